/**
 * The housekeeping job (issue 12, finding 8): expired sessions and old sign-in attempts are deleted on a
 * schedule and with `npm run jobs -- housekeeping`, and nothing still in use is touched.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { listJobRuns } from '@meterops/db/queries/jobs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { env } from '../src/env';
import { JobRunner } from '../src/jobs/runner';
import { lifecycleSettings } from '../src/lifecycle';
import { createTestDatabase, type TestDatabase } from './harness';

const run = promisify(execFile);
const workerDir = fileURLToPath(new URL('..', import.meta.url));

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
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

async function seedSignInState() {
  const { sql } = database;
  const [user] = await sql<{ id: string }[]>`
    insert into users (email, name, password_hash, role)
    values (${`housekeeping-${Date.now()}@test`}, 'Housekeeping test', 'not a hash', 'operator')
    returning id`;
  await sql`
    insert into sessions (id, user_id, expires_at) values
      ('expired-1', ${user?.id ?? ''}, now() - interval '1 minute'),
      ('expired-2', ${user?.id ?? ''}, now() - interval '40 days'),
      ('live', ${user?.id ?? ''}, now() + interval '10 days')`;
  await sql`
    insert into sign_in_attempts (email, client_address, succeeded, attempted_at)
    select 'someone@test', '192.0.2.1', false, now() - make_interval(hours => hours)
    from unnest(array[1, 2, 167, 169, 500, 5000]) as hours`;
}

describe('housekeeping', () => {
  it('deletes expired sessions and sign-in attempts older than a week, from the jobs CLI', async () => {
    await seedSignInState();
    const { stdout } = await cli('housekeeping');
    expect(stdout).toMatch(/deleted 2 expired sessions and 3 sign-in attempts older than 168 h/);
    expect(stdout).toMatch(/\[housekeeping\] completed/);

    const sessions = await database.sql<{ id: string }[]>`select id from sessions order by id`;
    expect(sessions.map((session) => session.id)).toEqual(['live']);
    const attempts = await database.sql<{ hours: number }[]>`
      select round(extract(epoch from now() - attempted_at) / 3600)::int as hours
      from sign_in_attempts order by attempted_at desc`;
    expect(attempts.map((attempt) => attempt.hours)).toEqual([1, 2, 167]);

    const [latest] = await listJobRuns(database.sql, { limit: 1 });
    expect(latest).toMatchObject({
      name: 'housekeeping',
      status: 'completed',
      result: { expiredSessions: 2, signInAttempts: 3, attemptRetentionHours: 168 },
    });
  }, 120_000);

  it('takes a shorter retention, but never one shorter than an hour', async () => {
    // --here: the previous run's process may still count as a live pg-boss instance for a while.
    const { stdout } = await cli('housekeeping', '--here', '--retention-hours', '1.5');
    expect(stdout).toMatch(/deleted 0 expired sessions and 2 sign-in attempts older than 1.5 h/);
    await expect(cli('housekeeping', '--here', '--retention-hours', '0.1')).rejects.toMatchObject({
      stderr: expect.stringMatching(/attemptRetentionHours/) as unknown,
    });
  }, 120_000);

  it('is scheduled by the worker', async () => {
    const runner = new JobRunner({
      databaseUrl: database.url,
      sql: database.sql,
      log: pino({ level: 'silent' }),
      metrics: null,
      workerId: 'housekeeping-test',
      concurrency: 1,
      schedules: {
        nightly: '30 2 * * *',
        reprocessQueue: '*/10 * * * *',
        housekeeping: '17 * * * *',
        settlement: '40 * * * *',
        archive: '0 4 * * *',
        retention: '15 4 * * *',
        forecast: '45 4 * * *',
      },
      finalizeGraceHours: 24,
      queues: [],
      lifecycle: lifecycleSettings(env),
    });
    await runner.start();
    try {
      const schedules = await database.sql<{ name: string; cron: string }[]>`
        select name, cron from pgboss.schedule where name = 'housekeeping'`;
      expect(schedules).toEqual([{ name: 'housekeeping', cron: '17 * * * *' }]);
    } finally {
      await runner.stop();
    }
  }, 60_000);
});
