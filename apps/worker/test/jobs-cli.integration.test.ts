import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { getJobRun, listJobRuns } from '@meterops/db/queries/jobs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './harness';
import { createMeters, dayOf, insertReadings, type TestMeter } from './batch-support';

const run = promisify(execFile);
const workerDir = fileURLToPath(new URL('..', import.meta.url));
const day = '2026-11-05';
const meter: TestMeter = { id: 'MTR-000001', region: 'london' };

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await createMeters(database.sql, [meter]);
  await insertReadings(database.sql, dayOf(meter, day, '0.1000', { 60: null }));
});

afterAll(async () => {
  await database?.drop();
});

const cli = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'src/cli/jobs.ts', ...args], {
    cwd: workerDir,
    env: { ...process.env, DATABASE_URL: database.url },
    timeout: 90_000,
  });

describe('npm run jobs', () => {
  it('prints a dry run as JSON without changing anything', async () => {
    const { stdout } = await cli('vee-dry-run', '--meter', meter.id, '--day', day, '--json');
    const result = JSON.parse(stdout) as { completeness: unknown; intervals: { change: string }[] };
    expect(result.completeness).toEqual({ expected: 96, measured: 95, estimated: 0, missing: 1 });
    expect(result.intervals.filter((interval) => interval.change === 'insert_estimate')).toHaveLength(1);
    const [stored] = await database.sql<{ readings: number; rows: number }[]>`
      select (select count(*) from readings)::int as readings, (select count(*) from meter_usage_daily)::int as rows`;
    expect(stored).toEqual({ readings: 95, rows: 0 });
  }, 90_000);

  it('runs a job to the end, following its log, when no worker is up', async () => {
    const { stdout } = await cli('finalize-day', '--day', day);
    expect(stdout).toMatch(/no worker serves this queue; running it here/);
    expect(stdout).toMatch(/finalized 2026-11-05: 1 meters, 96 readings, 1 estimates written/);
    expect(stdout).toMatch(/\[finalize-day\] completed 1\/1 meter-days \(100%\)/);
    const [latest] = await listJobRuns(database.sql, { limit: 1 });
    expect(latest).toMatchObject({ name: 'finalize-day', status: 'completed', params: { day } });
    expect(latest?.startedBy).toMatch(/^cli:/);
    expect((await getJobRun(database.sql, { id: latest?.id ?? '' }))?.logs.length).toBe(3);
  }, 120_000);
});
