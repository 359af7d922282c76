/**
 * The application roles of migration 0008 (docs/security.md, "Database roles"): connected as
 * meterops_worker, ingest and the job queue do their whole work, partitions included; connected as
 * meterops_worker or meterops_web, no statement can change or remove a revision row.
 */
import { randomUUID } from 'node:crypto';
import { createDb } from '@meterops/db/client';
import { enqueueJob, getJobRun } from '@meterops/db/queries/jobs';
import { seedFleet } from '@meterops/db/seed';
import { runMigrations } from '@meterops/db/migrate';
import { PgBoss } from 'pg-boss';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { env } from '../src/env';
import { JobRunner } from '../src/jobs/runner';
import { lifecycleSettings } from '../src/lifecycle';
import {
  createTestDatabase,
  createTestTopics,
  silentLog,
  simulate,
  startIngest,
  storedSummary,
  waitForCaughtUp,
  type TestDatabase,
} from './harness';

const fleetSize = 6;
/** Older than the window of partitions the migrations create, so ingest must create this month's. */
const endDay = '2023-06-10';
const partition = 'readings_2023_06';

function urlAs(databaseUrl: string, role: string): string {
  const url = new URL(databaseUrl);
  url.username = role;
  url.password = '';
  return url.toString();
}

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await seedFleet(database.db, { meters: fleetSize, installedAt: new Date('2023-01-01T00:00:00Z') });
});

afterAll(async () => {
  await database?.drop();
});

describe('the worker role', () => {
  it('ingests from Kafka, creating the month partition through the owner function', async () => {
    expect((await database.sql`select to_regclass(${partition}) as found`)[0]?.found).toBeNull();
    const asWorker = createDb({ url: urlAs(database.url, 'meterops_worker'), max: 4 });
    const topics = await createTestTopics(2);
    const manifest = await simulate(topics, { meters: fleetSize, days: 2, endDay, faults: [], seed: 3 });
    const ingest = await startIngest({ ...database, db: asWorker.db, sql: asWorker.sql }, topics);
    try {
      await waitForCaughtUp(topics);
      const [who] = await asWorker.sql<{ user: string }[]>`select current_user as user`;
      expect(who?.user).toBe('meterops_worker');
    } finally {
      await ingest.stop();
      await asWorker.close();
    }
    const stored = await storedSummary(database.sql);
    expect(stored.readings).toBe(manifest.expected.storedReadings);
    expect(stored.totalKwh).toBe(manifest.expected.totalKwh);
    const [owner] = await database.sql<{ owner: string }[]>`
      select relowner::regrole::text as owner from pg_class where relname = ${partition}`;
    expect(owner?.owner).toBe('meterops_owner');
  });

  it('installs and runs the pg-boss job queue without CREATE on the database', async () => {
    const url = urlAs(database.url, 'meterops_worker');
    const asWorker = createDb({ url, max: 2 });
    const runner = new JobRunner({
      databaseUrl: url,
      sql: asWorker.sql,
      log: silentLog,
      metrics: null,
      workerId: 'it-least-privilege',
      lifecycle: lifecycleSettings(env),
      concurrency: 1,
      schedules: null,
      finalizeGraceHours: 24,
      queues: ['finalize-day'],
      retryOverrides: { retryDelay: 1, retryBackoff: false, retryLimit: 0 },
    });
    try {
      await runner.start();
      const run = await enqueueJob(database.sql, {
        name: 'finalize-day',
        params: { day: '2023-06-09' },
        startedBy: 'least-privilege-test',
      });
      runner.relaySoon();
      const deadline = Date.now() + 30_000;
      let status = run.status;
      while (!['completed', 'failed'].includes(status) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        status = (await getJobRun(database.sql, { id: run.id }))?.status ?? status;
      }
      expect(status).toBe('completed');
      const [final] = await database.sql<{ days: number }[]>`
        select count(*)::int as days from meter_usage_daily where day = '2023-06-09' and status = 'final'`;
      expect(final?.days).toBeGreaterThan(0);
    } finally {
      await runner.stop(5_000);
      await asWorker.close();
    }
  });
});

/** Every statement an application role might use to change or remove a revision, or to let a change through. */
const tamperings: { name: string; statements: (id: number) => string[] }[] = [
  {
    name: 'UPDATE',
    statements: (id) => [`update reading_revisions set reason = 'tampered' where id = ${id}`],
  },
  { name: 'DELETE', statements: (id) => [`delete from reading_revisions where id = ${id}`] },
  { name: 'TRUNCATE', statements: () => ['truncate reading_revisions'] },
  {
    name: 'ALTER TABLE … DISABLE TRIGGER, then UPDATE',
    statements: (id) => [
      'alter table reading_revisions disable trigger reading_revisions_no_update_or_delete',
      `update reading_revisions set reason = 'tampered' where id = ${id}`,
    ],
  },
  {
    name: 'SET session_replication_role = replica, then UPDATE',
    statements: (id) => [
      'set session_replication_role = replica',
      `update reading_revisions set reason = 'tampered' where id = ${id}`,
    ],
  },
  {
    name: 'set_config(session_replication_role), then DELETE',
    statements: (id) => [
      "select set_config('session_replication_role', 'replica', false)",
      `delete from reading_revisions where id = ${id}`,
    ],
  },
  {
    name: 'DROP TRIGGER',
    statements: () => ['drop trigger reading_revisions_no_update_or_delete on reading_revisions'],
  },
  { name: 'DROP TABLE', statements: () => ['drop table reading_revisions'] },
  {
    name: 'replacing the trigger function',
    statements: () => [
      'create or replace function refuse_revision_change() returns trigger language plpgsql as $$ begin return new; end $$',
    ],
  },
  {
    name: 'ALTER TABLE … OWNER TO',
    statements: (id) => [`alter table reading_revisions owner to current_user -- ${id}`],
  },
  {
    name: 'a trigger function of its own in public',
    statements: () => [
      'create function public.meterops_tamper() returns trigger language plpgsql as $$ begin return new; end $$',
    ],
  },
];

describe.each(['meterops_worker', 'meterops_web'])('the %s role and the revision history', (role) => {
  let client: ReturnType<typeof postgres>;
  let revisionId: number;

  beforeAll(async () => {
    client = postgres(urlAs(database.url, role), { max: 1, onnotice: () => {} });
    // Appending is part of the role's work (ingest and corrections write revisions).
    const [row] = await client<{ id: number }[]>`
      insert into reading_revisions (meter_id, interval_start, new_kwh, new_quality, new_version, source, reason, actor)
      values ('MTR-000001', '2023-06-09T00:00:00Z', 0.5, 'edited', 2, 'agent', 'least-privilege test', ${role})
      returning id`;
    if (!row) throw new Error('insert returned no row');
    revisionId = Number(row.id);
  });

  afterAll(async () => {
    await client?.end({ timeout: 5 });
  });

  it.each(tamperings)('refuses $name', async ({ statements }) => {
    // Each attempt runs in a transaction that is rolled back, so a statement that got through would
    // still be caught below by the row check rather than hidden by a later failure.
    const attempt = client.begin(async (tx) => {
      for (const statement of statements(revisionId)) await tx.unsafe(statement);
    });
    await expect(attempt).rejects.toMatchObject({ code: '42501' });
    const [row] = await database.sql<
      { reason: string }[]
    >`select reason from reading_revisions where id = ${revisionId}`;
    expect(row?.reason).toBe('least-privilege test');
    const [triggers] = await database.sql<{ enabled: number }[]>`
      select count(*)::int as enabled from pg_trigger
      where tgrelid = 'reading_revisions'::regclass and not tgisinternal and tgenabled = 'O'`;
    expect(triggers?.enabled).toBe(2);
  });

  it('reads the revision history', async () => {
    const [row] = await client<
      { reason: string }[]
    >`select reason from reading_revisions where id = ${revisionId}`;
    expect(row?.reason).toBe('least-privilege test');
  });
});

describe('the web role', () => {
  it('appends to the staff audit but cannot change or remove a record, even before the triggers', async () => {
    const client = postgres(urlAs(database.url, 'meterops_web'), { max: 1, onnotice: () => {} });
    try {
      const [row] = await client<{ id: number }[]>`
        insert into staff_audit (actor, action, target_type, target_id, details)
        values ('least-privilege test', 'user.role_changed', 'user', null, '{}'::jsonb)
        returning id`;
      if (!row) throw new Error('insert returned no row');
      // 42501: refused by the grants, before a trigger is even reached.
      for (const statement of [
        `update staff_audit set actor = 'forged' where id = ${row.id}`,
        `delete from staff_audit where id = ${row.id}`,
        'truncate staff_audit',
      ]) {
        await expect(client.unsafe(statement)).rejects.toMatchObject({ code: '42501' });
      }
    } finally {
      await client.end({ timeout: 5 });
    }
  });

  it('cannot create partitions (only the worker may call the owner function)', async () => {
    const client = postgres(urlAs(database.url, 'meterops_web'), { max: 1, onnotice: () => {} });
    try {
      await expect(
        client`select ensure_readings_partition('2022-01-15T00:00:00Z'::timestamptz)`,
      ).rejects.toMatchObject({
        code: '42501',
      });
    } finally {
      await client.end({ timeout: 5 });
    }
  });
});

describe('a database where pg-boss ran as a superuser before migration 0008', () => {
  it('hands the pgboss schema and its queues over to the worker role', async () => {
    // pg-boss installed by a superuser before migration 0008 ran, as on a demo database migrated earlier.
    const { url, drop } = await emptyDatabase();
    try {
      const asSuperuser = new PgBoss({
        connectionString: url,
        schema: 'pgboss',
        max: 1,
        schedule: false,
        supervise: false,
      });
      asSuperuser.on('error', () => {});
      await asSuperuser.start();
      await asSuperuser.createQueue('before-handover');
      await asSuperuser.send('before-handover', { n: 1 });
      await asSuperuser.stop({ graceful: false });

      await runMigrations(url);
      const owners = postgres(url, { max: 1, onnotice: () => {} });
      try {
        const foreign = await owners<{ name: string }[]>`
          select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'pgboss' and c.relowner <> 'meterops_worker'::regrole`;
        expect(foreign).toEqual([]);
      } finally {
        await owners.end({ timeout: 5 });
      }

      const asWorker = new PgBoss({
        connectionString: urlAs(url, 'meterops_worker'),
        schema: 'pgboss',
        createSchema: false,
        max: 1,
        schedule: false,
        supervise: false,
      });
      asWorker.on('error', () => {});
      await asWorker.start();
      try {
        const [earlier] = await asWorker.fetch('before-handover');
        expect(earlier?.data).toEqual({ n: 1 });
        await asWorker.createQueue('after-handover');
        await asWorker.send('after-handover', { n: 2 });
        const [later] = await asWorker.fetch('after-handover');
        expect(later?.data).toEqual({ n: 2 });
      } finally {
        await asWorker.stop({ graceful: false });
      }
    } finally {
      await drop();
    }
  });
});

/** A new database on the configured server with no migration applied. */
async function emptyDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `meterops_it_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const maintenance = new URL(database.url);
  maintenance.pathname = '/postgres';
  const admin = postgres(maintenance.toString(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(database.url);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const dropper = postgres(maintenance.toString(), { max: 1, onnotice: () => {} });
      await dropper.unsafe(`drop database if exists ${name} with (force)`);
      await dropper.end();
    },
  };
}
