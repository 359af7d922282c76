/**
 * A fresh database per test file (archiving drops whole partitions, so files do not share one), seeded
 * with a month of readings and revisions that exercise every column: decimals at full scale, flags,
 * estimation methods, NULLs, and text with commas, quotes and newlines.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createDb, type Sql } from '@meterops/db/client';
import { runMigrations } from '@meterops/db/migrate';
import postgres from 'postgres';
import { monthBounds } from '../src/months';

const baseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/meterops';

export interface TestDatabase {
  url: string;
  sql: Sql;
  drop(): Promise<void>;
}

function adminUrl(): string {
  const url = new URL(baseUrl);
  url.pathname = '/postgres';
  return url.toString();
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `meterops_archive_it_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  await runMigrations(url.toString());
  const { sql, close } = createDb({ url: url.toString(), max: 4, applicationName: 'meterops-archive-it' });
  return {
    url: url.toString(),
    sql,
    async drop() {
      await close();
      const dropper = postgres(adminUrl(), { max: 1, onnotice: () => {} });
      await dropper.unsafe(`drop database if exists ${name} with (force)`);
      await dropper.end();
    },
  };
}

export async function scratchDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'meterops-archive-'));
}

/**
 * `meters` meters with a 30-minute reading for every interval of the month, a few edited with
 * revisions, estimated and flagged; plus a revision of the month before (which must stay untouched).
 */
export async function seedMonth(sql: Sql, month: string, meters = 5): Promise<void> {
  const { start, end } = monthBounds(month);
  await sql`select ensure_readings_partition(${start})`;
  await sql`
    insert into readings (meter_id, interval_start, kwh, quality, estimation_method, flags, source, version,
                          received_at, revised_at, first_received_at)
    select 'M-' || lpad(m::text, 3, '0'),
           t,
           ((m * 7919 + extract(epoch from t)::bigint / 1800) % 99999) / 10000.0,
           case when extract(hour from t) = 3 then 'estimated'::reading_quality else 'actual' end,
           case when extract(hour from t) = 3 then 'linear_interpolation' end,
           case when extract(hour from t) = 12 and extract(minute from t) = 0 then array['spike', 'zero_on_active']
                else '{}'::text[] end,
           'meter',
           1,
           t + interval '1 hour 0.123456 seconds',
           null,
           t + interval '1 hour 0.123456 seconds'
    from generate_series(1, ${meters}) as m,
         generate_series(${start}::timestamptz, ${end}::timestamptz - interval '30 minutes', interval '30 minutes') as t`;
  // Edits with revisions; the source and reason carry CSV-hostile text.
  const edited = await sql<{ meterId: string; intervalStart: Date; kwh: string }[]>`
    select meter_id as "meterId", interval_start as "intervalStart", kwh::text as kwh from readings
    where interval_start >= ${start} and interval_start < ${end} and extract(hour from interval_start) = 10
      and extract(minute from interval_start) = 30 and extract(day from interval_start) in (2, 9)`;
  for (const row of edited) {
    await sql`
      update readings set kwh = 12.3456, quality = 'edited', source = ${'agent, "night" shift\nline 2'},
                          version = 2, revised_at = ${new Date(row.intervalStart.getTime() + 86_400_000)}
      where meter_id = ${row.meterId} and interval_start = ${row.intervalStart}`;
    await sql`
      insert into reading_revisions (meter_id, interval_start, old_kwh, new_kwh, old_quality, new_quality,
                                     old_version, new_version, source, reason, actor, created_at)
      values (${row.meterId}, ${row.intervalStart}, ${row.kwh}, 12.3456, 'actual', 'edited', 1, 2, 'agent',
              ${'customer said, "the meter was read wrong"'}, 'user-1', ${new Date(row.intervalStart.getTime() + 86_400_000)})`;
  }
  // An empty string is not NULL, through CSV and Parquet and back.
  await sql`update readings set estimation_method = '' where meter_id = 'M-001' and interval_start = ${start}`;
  await sql`
    insert into reading_revisions (meter_id, interval_start, old_kwh, new_kwh, old_quality, new_quality,
                                   old_version, new_version, source, reason, actor)
    values ('M-001', ${new Date(start.getTime() - 1_800_000)}, null, 1.0000, null, 'actual', null, 1,
            'meter_resend', '', 'ingest')`;
}

/** Every readings and revisions row of the month as text, in key order: what must survive exactly. */
export async function snapshotMonth(
  sql: Sql,
  month: string,
): Promise<{ readings: string[]; revisions: string[] }> {
  const { start, end } = monthBounds(month);
  const readings = await sql<{ row: string }[]>`
    select r::text as row from readings r
    where interval_start >= ${start} and interval_start < ${end} order by meter_id, interval_start`;
  const revisions = await sql<{ row: string }[]>`
    select v::text as row from reading_revisions v
    where interval_start >= ${start} and interval_start < ${end} order by id`;
  return { readings: readings.map((r) => r.row), revisions: revisions.map((r) => r.row) };
}
