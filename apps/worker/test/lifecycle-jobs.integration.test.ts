/**
 * The scheduled lifecycle jobs run through pg-boss like the others, reporting progress and log lines to
 * job_runs: `archive` moves months past the retention to the Parquet archive, `retention` deletes resolved
 * rejects and old job logs and nothing else.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FolderStore } from '@meterops/archive/storage';
import { enqueueJob, getJobRun, type JobRun, type JobRunLog } from '@meterops/db/queries/jobs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobRunner } from '../src/jobs/runner';
import { createTestDatabase, silentLog, type TestDatabase } from './harness';

let database: TestDatabase;
let runner: JobRunner;
let root: string;

async function until(id: string, timeoutMs = 60_000): Promise<JobRun & { logs: JobRunLog[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await getJobRun(database.sql, { id });
    if (run !== null && ['completed', 'failed', 'cancelled'].includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${id} is still ${run?.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  database = await createTestDatabase();
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'meterops-lifecycle-'));
  runner = new JobRunner({
    databaseUrl: database.url,
    sql: database.sql,
    log: silentLog,
    metrics: null,
    workerId: 'it-lifecycle',
    concurrency: 1,
    schedules: null,
    finalizeGraceHours: 24,
    lifecycle: {
      store: new FolderStore(path.join(root, 'archive')),
      workDir: path.join(root, 'work'),
      retentionMonths: 25,
      retentionYears: 7,
      rejectedDays: 30,
      jobLogDays: 30,
    },
    queues: ['archive', 'retention'],
    retryOverrides: { retryLimit: 0 },
  });
  await runner.start();
}, 60_000);

afterAll(async () => {
  await runner?.stop(5_000);
  await database?.drop();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

describe('lifecycle jobs', () => {
  it('archives the months before the cut-off with progress and a log line per month', async () => {
    for (const month of ['2019-01', '2019-02', '2019-03']) {
      await database.sql`select ensure_readings_partition(${`${month}-01T00:00:00Z`}::timestamptz)`;
      await database.sql`
        insert into readings (meter_id, interval_start, kwh, quality, source)
        select 'MTR-' || m, t, 0.25, 'actual', 'meter'
        from generate_series(1, 3) m,
             generate_series(${`${month}-01T00:00:00Z`}::timestamptz, ${`${month}-10T00:00:00Z`}::timestamptz, interval '1 hour') t`;
    }
    const requested = await enqueueJob(database.sql, {
      name: 'archive',
      params: { before: '2019-03' },
      startedBy: 'user-1',
    });
    const run = await until(requested.id);
    expect(run).toMatchObject({
      status: 'completed',
      progressUnit: 'steps',
      progressDone: 3,
      progressTotal: 3,
    });
    expect(run.result).toMatchObject({
      before: '2019-03',
      archived: [
        { month: '2019-01', readings: 651, revisions: 0 },
        { month: '2019-02', readings: 651, revisions: 0 },
      ],
    });
    const messages = run.logs.map((line) => line.message);
    expect(messages).toContain('2019-01: 651 readings and 0 revisions archived and dropped');
    expect(messages.some((message) => message.startsWith('2019-02 drop: readings_2019_02 dropped'))).toBe(
      true,
    );
    const partitions = await database.sql<{ name: string }[]>`
      select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'readings'::regclass and c.relname like 'readings_2019_%' order by 1`;
    expect(partitions.map((row) => row.name)).toEqual(['readings_2019_03']);
  });

  it('fails the run and keeps the month when the archive cannot be written', async () => {
    await database.sql`select ensure_readings_partition('2019-03-01T00:00:00Z'::timestamptz)`;
    // A file where the archive folder's month directory must go: writing fails before anything is dropped.
    await fs.mkdir(path.join(root, 'archive', 'readings'), { recursive: true });
    await fs.writeFile(path.join(root, 'archive', 'readings', 'month=2019-03'), 'not a folder');
    const requested = await enqueueJob(database.sql, {
      name: 'archive',
      params: { before: '2019-04' },
      startedBy: 'user-1',
    });
    const run = await until(requested.id);
    expect(run.status).toBe('failed');
    const [row] = await database.sql<
      { count: number }[]
    >`select count(*)::int as count from readings_2019_03`;
    expect(row?.count).toBe(651);
  });

  it('deletes resolved rejects and finished runs’ logs past retention, and keeps open rejects', async () => {
    await database.sql`
      insert into rejected_readings (topic, partition, kafka_offset, item_index, rule, detail, payload, received_at,
                                     resolution, resolved_at, resolved_by, dead_lettered_at)
      values ('t', 0, 1, 0, 'negative_value', 'd', '{}', now() - interval '90 days', 'dismissed', now() - interval '60 days', 'u', now()),
             ('t', 0, 2, 0, 'negative_value', 'd', '{}', now() - interval '90 days', 'open', null, null, now()),
             ('t', 0, 3, 0, 'negative_value', 'd', '{}', now() - interval '10 days', 'dismissed', now() - interval '5 days', 'u', now())`;
    const [old] = await database.sql<{ id: string }[]>`
      insert into job_runs (name, status, started_by, finished_at) values ('nightly', 'completed', 'schedule', now() - interval '40 days')
      returning id`;
    await database.sql`insert into job_run_logs (run_id, level, message) values (${old?.id ?? ''}, 'info', 'old line')`;

    const requested = await enqueueJob(database.sql, { name: 'retention', params: {}, startedBy: 'user-1' });
    const run = await until(requested.id);
    expect(run).toMatchObject({ status: 'completed', result: { rejects: 1, logLines: 1 } });
    const offsets = await database.sql<{ offset: number }[]>`
      select kafka_offset::int as offset from rejected_readings order by 1`;
    expect(offsets.map((row) => row.offset)).toEqual([2, 3]);
    const [kept] = await getJobRun(database.sql, { id: old?.id ?? '' }).then((found) => [found]);
    expect(kept?.status).toBe('completed');
    expect(kept?.logs).toEqual([]);
  });
});
