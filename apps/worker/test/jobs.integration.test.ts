import {
  enqueueJob,
  getJobRun,
  listJobRuns,
  requestCancel,
  type JobRun,
  type JobRunLog,
} from '@meterops/db/queries/jobs';
import type { MetricsWriter } from '@meterops/metrics/writer';
import type { Point } from '@influxdata/influxdb-client';
import { addDays } from '@meterops/domain/time';
import { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { env } from '../src/env';
import { JobRunner } from '../src/jobs/runner';
import { lifecycleSettings } from '../src/lifecycle';
import { createTestDatabase, silentLog, type TestDatabase } from './harness';
import { createMeters, dayOf, insertReadings, type TestMeter } from './batch-support';

const day = '2026-11-02';
const fleet: TestMeter[] = [
  { id: 'MTR-000001', region: 'london' },
  { id: 'MTR-000002', region: 'london' },
  { id: 'MTR-000003', region: 'wales' },
];

/** Keeps the points the runner writes, so the test can read them back. */
function recordingMetrics(): MetricsWriter & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    write(points: Point | readonly Point[]) {
      for (const point of Array.isArray(points) ? (points as Point[]) : [points as Point]) {
        lines.push(point.toLineProtocol() ?? '');
      }
    },
    flush: async () => {},
    close: async () => {},
    stats: () => ({
      received: lines.length,
      written: lines.length,
      dropped: 0,
      buffered: 0,
      failedFlushes: 0,
    }),
  };
}

async function until(
  id: string,
  done: (run: JobRun) => boolean,
  timeoutMs = 30_000,
): Promise<JobRun & { logs: JobRunLog[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await getJobRun(database.sql, { id });
    if (run !== null && done(run)) return run;
    if (Date.now() > deadline) throw new Error(`run ${id} is still ${run?.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
const ended = (run: JobRun) => ['completed', 'failed', 'cancelled'].includes(run.status);

let database: TestDatabase;
let runner: JobRunner;
const metrics = recordingMetrics();

beforeAll(async () => {
  database = await createTestDatabase();
  await createMeters(database.sql, fleet);
  for (const meter of fleet) await insertReadings(database.sql, dayOf(meter, day, '0.1000'));
  runner = new JobRunner({
    databaseUrl: database.url,
    sql: database.sql,
    log: silentLog,
    metrics,
    workerId: 'it-jobs',
    concurrency: 1,
    schedules: null,
    finalizeGraceHours: 24,
    lifecycle: lifecycleSettings(env),
    // estimate-gaps is left without a worker, so a run of it stays queued.
    queues: ['finalize-day', 'reprocess', 'reprocess-queue', 'nightly'],
    retryOverrides: { retryDelay: 1, retryBackoff: false },
  });
  await runner.start();
});

afterAll(async () => {
  await runner?.stop(5_000);
  await database?.drop();
});

describe('job runs', () => {
  it('runs a requested finalize-day, recording progress, log, result, who started it and a job_run metric', async () => {
    const requested = await enqueueJob(database.sql, {
      name: 'finalize-day',
      params: { day },
      startedBy: 'user-42',
    });
    expect(requested).toMatchObject({
      status: 'queued',
      pgbossJobId: null,
      startedBy: 'user-42',
      params: { day },
    });
    const run = await until(requested.id, ended);
    expect(run).toMatchObject({
      status: 'completed',
      pgbossJobId: requested.id,
      attempts: 1,
      progressDone: 3,
      progressTotal: 3,
      progressUnit: 'meter-days',
      error: null,
      result: { day, meters: 3, readings: 288 },
    });
    expect(run.startedAt).not.toBeNull();
    expect(run.finishedAt).not.toBeNull();
    expect(run.logs.map((line) => line.message)).toEqual([
      'attempt 1 of finalize-day started on it-jobs',
      expect.stringMatching(/^finalized 2026-11-02: 3 meters, 288 readings, 0 estimates written/),
      expect.stringMatching(/^completed in \d+\.\d s$/),
    ]);
    const [row] = await database.sql<{ status: string }[]>`
      select status from meter_usage_daily where meter_id = 'MTR-000001' and day = ${day}`;
    expect(row?.status).toBe('final');
    expect(
      metrics.lines.find((line) => line.startsWith('job_run,job=finalize-day,status=completed ')),
    ).toMatch(/^job_run,job=finalize-day,status=completed duration_ms=[\d.]+,items=3i \d+$/);
  });

  it('has pg-boss retry a failing run and records every attempt until it fails', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const requested = await enqueueJob(database.sql, {
      name: 'finalize-day',
      params: { day: today },
      startedBy: 'user-42',
    });
    const run = await until(requested.id, ended, 45_000);
    expect(run).toMatchObject({ status: 'failed', attempts: 3 });
    expect(run.error).toMatch(/has not ended in every zone/);
    const failures = run.logs.filter((line) => line.level === 'error').map((line) => line.message);
    expect(failures).toHaveLength(3);
    expect(failures.slice(0, 2).every((message) => message.endsWith('pg-boss will retry it'))).toBe(true);
    expect(failures[2]).not.toMatch(/will retry/);
    expect(metrics.lines.some((line) => line.startsWith('job_run,job=finalize-day,status=failed '))).toBe(
      true,
    );
  }, 60_000);

  it('cancels a queued run at once, and no worker starts it afterwards', async () => {
    const requested = await enqueueJob(database.sql, {
      name: 'estimate-gaps',
      params: { day },
      startedBy: 'user-7',
    });
    const cancelled = await requestCancel(database.sql, { id: requested.id, actor: 'user-8' });
    expect(cancelled).toMatchObject({ status: 'cancelled', cancelRequestedBy: 'user-8', attempts: 0 });
    const worker = new JobRunner({
      databaseUrl: database.url,
      sql: database.sql,
      log: silentLog,
      metrics: null,
      workerId: 'it-late-worker',
      concurrency: 1,
      schedules: null,
      finalizeGraceHours: 24,
      lifecycle: lifecycleSettings(env),
      queues: ['estimate-gaps'],
    });
    await worker.start();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await worker.stop(5_000);
    const run = await getJobRun(database.sql, { id: requested.id });
    expect(run).toMatchObject({ status: 'cancelled', attempts: 0 });
    expect(run?.logs.map((line) => line.message)).toEqual(['cancellation requested by user-8']);
  });

  it('stops a running run at its next checkpoint, keeping what it committed', async () => {
    const from = addDays(day, -89);
    const requested = await enqueueJob(database.sql, {
      name: 'reprocess',
      params: { from, to: day },
      startedBy: 'user-42',
    });
    await until(requested.id, (run) => run.status === 'running' && run.progressDone >= 2);
    await requestCancel(database.sql, { id: requested.id, actor: 'user-9' });
    const run = await until(requested.id, ended);
    expect(run.status).toBe('cancelled');
    expect(run.progressTotal).toBe(90);
    expect(run.progressDone).toBeGreaterThanOrEqual(2);
    expect(run.progressDone).toBeLessThan(90);
    expect(run.logs.map((line) => line.message)).toEqual(
      expect.arrayContaining([
        'cancellation requested by user-9',
        'stopped: cancellation requested; work committed before this point stays',
      ]),
    );
    const [final] = await database.sql<{ days: number }[]>`
      select count(distinct day)::int as days from meter_usage_daily where status = 'final' and day >= ${from} and day < ${day}`;
    expect(final?.days).toBeGreaterThanOrEqual(2);
    expect(final?.days).toBeLessThan(89);
  });

  it('records a run started by a schedule, with no request behind it, as started by the schedule', async () => {
    const boss = new PgBoss({
      connectionString: database.url,
      schema: 'pgboss',
      max: 1,
      schedule: false,
      supervise: false,
    });
    boss.on('error', () => {});
    await boss.start();
    // What pg-boss's cron does when the nightly schedule comes due.
    const id = await boss.send('nightly', { graceHours: 24 });
    await boss.stop({ graceful: false });
    expect(id).not.toBeNull();
    const run = await until(id as string, ended);
    expect(run).toMatchObject({
      name: 'nightly',
      status: 'completed',
      startedBy: 'schedule',
      progressUnit: 'steps',
    });
    expect(run.progressDone).toBe(run.progressTotal);
    expect(run.logs.map((line) => line.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^days to finalize: \d{4}-\d{2}-\d{2}/),
        'reprocess queue: 0 keys, 0 billing alerts',
      ]),
    );
  });

  it('lists runs newest first for the portal', async () => {
    const runs = await listJobRuns(database.sql, { limit: 10 });
    expect(runs.map((run) => run.name)).toEqual([
      'nightly',
      'reprocess',
      'estimate-gaps',
      'finalize-day',
      'finalize-day',
    ]);
    expect((await listJobRuns(database.sql, { status: 'cancelled' })).map((run) => run.name)).toEqual([
      'reprocess',
      'estimate-gaps',
    ]);
  });

  it('refuses a job it does not know and arguments that do not validate', async () => {
    await expect(enqueueJob(database.sql, { name: 'drop-everything', startedBy: 'x' })).rejects.toThrow(
      /is not a job/,
    );
    await expect(
      enqueueJob(database.sql, { name: 'finalize-day', params: { day: '2026-02-30' }, startedBy: 'x' }),
    ).rejects.toThrow(/real calendar day/);
  });
});
