/**
 * npm run bench:archive -- [--meters 10000] [--month 2025-04] [--side-meters 200] [--queries 100]
 *
 * Archives one month of a 15-minute fleet (10,000 meters × 30 days × 96 = 28.8 million readings, with
 * revisions) from a database of its own (meterops_bench_archive) to Parquet on the local folder store:
 * write, read back and verify, drop; then restores it, drops it again, and times the archived-year usage
 * of one meter (kWh per month computed from the raw readings in the archive).
 *
 * For the year to be archived without loading 12 full months, the other 11 months of the year hold
 * `--side-meters` meters only (the queried meters among them). A one-meter read opens one file and one
 * row group per month whatever the fleet size, so this is the cost of a fully archived year.
 *
 * The last line is
 * `archive: <n> readings in <s> s, <r> readings/s; restore <s2> s; archived-year usage p95 <ms> ms`.
 */
import fs from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  archiveMonth,
  dropMonth,
  restoreMonth,
  writeMonth,
  type ArchiveDeps,
} from '@meterops/archive/archive';
import { archivePaths } from '@meterops/archive/config';
import { monthBounds, partitionName } from '@meterops/archive/months';
import { ArchiveReader, archivedMonthsBetween } from '@meterops/archive/reader';
import { FolderStore } from '@meterops/archive/storage';
import { createDb, type Sql } from '@meterops/db/client';
import { runMigrations } from '@meterops/db/migrate';
import postgres from 'postgres';
import { env } from '../src/env';

const { values } = parseArgs({
  options: {
    meters: { type: 'string', default: '10000' },
    month: { type: 'string', default: '2025-04' },
    'side-meters': { type: 'string', default: '200' },
    queries: { type: 'string', default: '100' },
  },
});
const meterCount = Number(values.meters);
const month = values.month;
const sideMeters = Math.min(meterCount, Number(values['side-meters']));
const queries = Number(values.queries);
const year = month.slice(0, 4);
const say = (line: string) => console.log(`[bench:archive] ${line}`);
const seconds = (ms: number) => (ms / 1000).toFixed(1);

const databaseName = 'meterops_bench_archive';
const serverUrl = new URL(env.DATABASE_URL);
const benchUrl = new URL(serverUrl.toString());
benchUrl.pathname = `/${databaseName}`;

const adminUrl = new URL(serverUrl.toString());
adminUrl.pathname = '/postgres';
const admin = postgres(adminUrl.toString(), { max: 1, onnotice: () => {} });
const [existing] = await admin<{ exists: boolean }[]>`
  select exists (select 1 from pg_database where datname = ${databaseName}) as exists`;
// Archiving drops the loaded months, so every run starts from a fresh database.
if (existing?.exists === true) await admin.unsafe(`drop database ${databaseName} with (force)`);
await admin.unsafe(`create database ${databaseName}`);
await admin.end();
await runMigrations(benchUrl.toString());
const { sql, close } = createDb({ url: benchUrl.toString(), max: 3, applicationName: 'meterops-bench' });

const root = path.join(archivePaths(env).stateDir, 'bench-archive');
await fs.rm(root, { recursive: true, force: true });
const deps: ArchiveDeps = {
  sql,
  store: new FolderStore(path.join(root, 'store')),
  workDir: path.join(root, 'work'),
};

try {
  await load(sql);

  const meterIds = (await sql<{ id: string }[]>`select id from meters order by id limit ${sideMeters}`).map(
    (r) => r.id,
  );
  const [before] = await sql<{ rows: number; kwh: string }[]>`
    select count(*)::float8 as rows, sum(kwh)::text as kwh from ${sql(partitionName(month))}`;
  const probeMeter = meterIds[0] as string;
  const probeBefore = await sql<{ month: string; kwh: string }[]>`
    select to_char(interval_start at time zone 'UTC', 'YYYY-MM') as month, sum(kwh)::text as kwh from readings
    where meter_id = ${probeMeter} and interval_start >= ${`${year}-01-01T00:00:00Z`} and interval_start < ${`${Number(year) + 1}-01-01T00:00:00Z`}
    group by 1 order by 1`;
  say(
    `${month}: ${before?.rows} readings in Postgres, ${before?.kwh} kWh; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );

  // The side months first (not timed): the year must be archived for the year query.
  for (let m = 1; m <= 12; m++) {
    const side = `${year}-${String(m).padStart(2, '0')}`;
    if (side === month) continue;
    await archiveMonth(deps, side);
  }
  say(`the other 11 months of ${year} archived (${sideMeters} meters each)`);

  let lastLine = '';
  const progress: ArchiveDeps['onProgress'] = (p) => {
    const line = `${p.step}${p.total > 0 ? ` ${p.done}/${p.total}` : ''}${p.message ? `: ${p.message}` : ''}`;
    if (line !== lastLine) say(`  ${seconds(performance.now() - archiveStarted)} s  ${line}`);
    lastLine = line;
  };
  const archiveStarted = performance.now();
  const manifest = await writeMonth({ ...deps, onProgress: progress }, month);
  const written = performance.now();
  await dropMonth({ ...deps, onProgress: progress }, month);
  const archiveMs = performance.now() - archiveStarted;
  const bytes = manifest.files.reduce((sum, file) => sum + file.bytes, 0);
  say(
    `archived ${manifest.readings.rows} readings and ${manifest.revisions.rows} revisions: write ${seconds(written - archiveStarted)} s, ` +
      `verify + drop ${seconds(performance.now() - written)} s; ${manifest.files.length} files, ${(bytes / 1e6).toFixed(1)} MB ` +
      `(${(bytes / manifest.readings.rows).toFixed(2)} bytes/reading); load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );

  const restoreStarted = performance.now();
  await restoreMonth(
    {
      ...deps,
      onProgress: (p) =>
        say(
          `  ${seconds(performance.now() - restoreStarted)} s  ${p.step} ${p.done}/${p.total} ${p.message ?? ''}`,
        ),
    },
    month,
  );
  const restoreMs = performance.now() - restoreStarted;
  const [after] = await sql<{ rows: number; kwh: string }[]>`
    select count(*)::float8 as rows, sum(kwh)::text as kwh from ${sql(partitionName(month))}`;
  if (after?.rows !== before?.rows || after?.kwh !== before?.kwh)
    throw new Error(`restore differs: ${JSON.stringify(after)} vs ${JSON.stringify(before)}`);
  say(`restored in ${seconds(restoreMs)} s: ${after?.rows} readings, ${after?.kwh} kWh, as before`);
  const dropAgainStarted = performance.now();
  await dropMonth(deps, month);
  say(`dropped again in ${seconds(performance.now() - dropAgainStarted)} s`);

  // The archived year of one meter: which months are archived (Postgres) + kWh per month (Parquet).
  const reader = new ArchiveReader(deps.store, deps.workDir);
  const yearFrom = new Date(`${year}-01-01T00:00:00Z`);
  const yearTo = new Date(`${Number(year) + 1}-01-01T00:00:00Z`);
  const timings: number[] = [];
  let probeAfter: { month: string; kwh: string }[] = [];
  for (let q = 0; q < queries; q++) {
    const meterId = meterIds[(q * 7919) % meterIds.length] as string;
    const queryStarted = performance.now();
    const months = await archivedMonthsBetween(sql, { from: yearFrom, to: yearTo });
    const usage = await reader.monthlyUsage({ months, meterId });
    timings.push(performance.now() - queryStarted);
    if (q === 0 && months.length !== 12) throw new Error(`expected 12 archived months, got ${months.length}`);
    if (meterId === probeMeter) probeAfter = usage.map(({ month: m, kwh }) => ({ month: m, kwh }));
  }
  if (JSON.stringify(probeAfter) !== JSON.stringify(probeBefore))
    throw new Error(`archived year of ${probeMeter} differs from Postgres before archiving`);
  const sorted = timings.toSorted((a, b) => a - b);
  const p95 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)] as number;
  say(
    `archived-year usage of ${queries} meters: p50 ${(sorted[Math.floor(sorted.length / 2)] as number).toFixed(1)} ms, ` +
      `p95 ${p95.toFixed(1)} ms, max ${(sorted.at(-1) as number).toFixed(1)} ms; ${probeMeter}'s 12 months equal Postgres before archiving`,
  );
  console.log(
    `archive: ${manifest.readings.rows} readings in ${seconds(archiveMs)} s, ${Math.round(manifest.readings.rows / (archiveMs / 1000))} readings/s; ` +
      `restore ${seconds(restoreMs)} s; archived-year usage p95 ${p95.toFixed(1)} ms`,
  );
} finally {
  await close();
  await fs.rm(deps.workDir, { recursive: true, force: true });
}

/**
 * Loads the fleet and a year of readings: the measured month for every meter, the other months for the
 * side meters. Rows are generated in time order (as meters deliver them) into a table beside the
 * partitioned one, indexed, then attached, which is how a bulk load avoids per-row index upkeep.
 */
async function load(db: Sql): Promise<void> {
  const started = performance.now();
  await db`insert into tariffs (id, name, kind, base_price_per_kwh) values ('BENCH', 'Bench flat', 'flat', 0.2)`;
  await db`
    insert into customers (id, name, region, segment)
    select 'CUS-' || lpad(i::text, 6, '0'), 'Bench customer ' || i, 'london', 'residential'
    from generate_series(1, ${meterCount}) as i`;
  await db`
    insert into meters (id, customer_id, region, segment, tariff_id, interval_minutes, time_zone,
                        max_kwh_per_interval, installed_at)
    select 'MTR-' || lpad(i::text, 6, '0'), 'CUS-' || lpad(i::text, 6, '0'), 'london', 'residential', 'BENCH', 15,
           'Europe/London', 5.75, '2020-01-01'
    from generate_series(1, ${meterCount}) as i`;
  for (let m = 1; m <= 12; m++) {
    const key = `${year}-${String(m).padStart(2, '0')}`;
    const meters = key === month ? meterCount : sideMeters;
    await loadMonth(db, key, meters);
    say(`loaded ${key}: ${meters} meters (${seconds(performance.now() - started)} s)`);
  }
  await db`analyze readings`;
}

async function loadMonth(db: Sql, key: string, meters: number): Promise<void> {
  const { start, end } = monthBounds(key);
  const table = partitionName(key);
  await db.unsafe(`drop table if exists ${table}`);
  await db.unsafe(`create table ${table} (like readings including defaults)`);
  // Values look like household profiles; every 97th reading estimated, every 211th flagged.
  await db.unsafe(`
    insert into ${table} (meter_id, interval_start, kwh, quality, estimation_method, flags, source, version,
                          received_at, first_received_at)
    select 'MTR-' || lpad(m::text, 6, '0'), t,
           ((hashint8(m::bigint * 100000 + n) & 4095) + 200) / 10000.0,
           case when (m + n) % 97 = 0 then 'estimated'::reading_quality else 'actual' end,
           case when (m + n) % 97 = 0 then 'linear_interpolation' end,
           case when (m + n) % 211 = 0 then array['spike'] else '{}'::text[] end,
           case when (m + n) % 97 = 0 then 'estimation' else 'meter' end,
           1, t + interval '20 minutes' + (hashint8(m::bigint * 7 + n) & 65535) * interval '1 millisecond',
           t + interval '20 minutes' + (hashint8(m::bigint * 7 + n) & 65535) * interval '1 millisecond'
    from generate_series('${start.toISOString()}'::timestamptz, '${end.toISOString()}'::timestamptz - interval '15 minutes', interval '15 minutes')
           with ordinality as g(t, n),
         generate_series(1, ${meters}) as m`);
  // One edited reading per meter and month, with its revision.
  await db.unsafe(`
    with edited as (
      update ${table} set kwh = kwh + 0.5, quality = 'edited', source = 'agent', version = 2,
                          revised_at = interval_start + interval '2 days'
      where interval_start = '${start.toISOString()}'::timestamptz + interval '10 days 12 hours'
      returning meter_id, interval_start, kwh
    )
    insert into reading_revisions (meter_id, interval_start, old_kwh, new_kwh, old_quality, new_quality,
                                   old_version, new_version, source, reason, actor, created_at)
    select meter_id, interval_start, kwh - 0.5, kwh, 'actual', 'edited', 1, 2, 'agent', 'bench correction',
           'user-bench', interval_start + interval '2 days'
    from edited`);
  await db.unsafe(`alter table ${table} add primary key (meter_id, interval_start)`);
  await db.unsafe(
    `alter table readings attach partition ${table} for values from ('${start.toISOString()}') to ('${end.toISOString()}')`,
  );
}
