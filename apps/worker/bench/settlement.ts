/**
 * npm run bench:settlement -- [--meters 100000] [--day 2026-11-18] [--reuse] [--runs 3]
 *
 * One settlement run for a grid supply point of 100,000 meters on 15 minutes (9.6 million readings of one
 * local day), in a database of its own. As in bench:finalize, the readings are COPYed straight into the
 * month's partition: this measures settlement, not ingest. Meters are spread over the demo fleet's four
 * suppliers. After the timed initial runs, 1% of the readings are revised (each with its
 * reading_revisions row, as corrections and re-sent values leave them) and a few late readings arrive;
 * then an R1 run (with its differences and causes) and the reproduction of the first run (which looks up
 * the revisions of every revised reading) are timed too.
 *
 * --reuse keeps the loaded database (runs are append-only; later runs just get new versions).
 * The last line is `settlement: <n> readings in <s> s` for the initial run (the median when runs > 1).
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createDb, type Sql } from '@meterops/db/client';
import { fleetSuppliers, fleetTariffs, supplierIdFor } from '@meterops/db/fleet';
import { runMigrations } from '@meterops/db/migrate';
import { reproduceSettlementRun, runSettlement } from '@meterops/db/queries/settlement';
import { planFleet } from '@meterops/db/seed';
import { intervalStartsOfLocalDay } from '@meterops/domain/time';
import postgres from 'postgres';
import { env } from '../src/env';

const { values } = parseArgs({
  options: {
    meters: { type: 'string', default: '100000' },
    day: { type: 'string', default: '2026-11-18' },
    reuse: { type: 'boolean', default: false },
    runs: { type: 'string', default: '1' },
  },
});
const meterCount = Number(values.meters);
const day = values.day;
const runs = Math.max(1, Number(values.runs));
const region = 'london';
const timeZone = 'Europe/London';
const say = (line: string) => console.log(`[bench:settlement] ${line}`);

const databaseName = 'meterops_bench_settlement';
const serverUrl = new URL(env.DATABASE_URL);
const benchUrl = new URL(serverUrl.toString());
benchUrl.pathname = `/${databaseName}`;

const admin = postgres({ ...connection(serverUrl, 'postgres'), max: 1, onnotice: () => {} });
const [existing] = await admin<{ exists: boolean }[]>`
  select exists (select 1 from pg_database where datname = ${databaseName}) as exists`;
const reuse = values.reuse && existing?.exists === true;
if (!reuse) {
  await admin.unsafe(`drop database if exists ${databaseName} with (force)`);
  await admin.unsafe(`create database ${databaseName}`);
}
await admin.end();
await runMigrations(benchUrl.toString());
const { sql, close } = createDb({ url: benchUrl.toString(), max: 3, applicationName: 'meterops-bench' });

try {
  if (reuse && (await loadedFor(sql)) === `${meterCount}/${day}`)
    say(`reusing the loaded database ${databaseName}`);
  else await load(sql);

  const figures: { readings: number; seconds: number; runId: number }[] = [];
  for (let run = 1; run <= runs; run++) {
    const started = performance.now();
    const result = await runSettlement(sql, {
      day,
      region,
      runType: 'initial',
      actor: 'bench:settlement',
      settleMarginMs: 0,
      onProgress: (step) => say(`  ${((performance.now() - started) / 1000).toFixed(1)} s  ${step}`),
    });
    const seconds = (performance.now() - started) / 1000;
    say(
      `run ${run}: initial v${result.run.version}, ${result.run.readings} readings of ${result.run.meters} meters, ` +
        `${result.run.suppliers} suppliers × ${result.run.periods} periods, ${result.run.kwh} kWh ` +
        `(region metered ${result.run.regionKwh} kWh) in ${seconds.toFixed(1)} s; load average ${loadAverage()}`,
    );
    figures.push({ readings: result.run.readings, seconds, runId: result.run.id });
  }

  const revised = await reviseSome(sql);
  say(`revised ${revised.revised} readings (with revisions) and added ${revised.late} late ones`);
  let started = performance.now();
  const r1 = await runSettlement(sql, {
    day,
    region,
    runType: 'r1',
    actor: 'bench:settlement',
    settleMarginMs: 0,
  });
  say(
    `R1: ${r1.run.readings} readings, ${r1.differences} differences, ${r1.causes} causes in ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const first = figures[0] as (typeof figures)[number];
  started = performance.now();
  const reproduction = await reproduceSettlementRun(sql, { id: first.runId });
  say(
    `reproducing run ${first.runId} as of its instant (touching the ${revised.revised} revised readings): ` +
      `${reproduction?.matches === true ? 'identical' : 'DIFFERENT'} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );

  const sorted = figures.toSorted((x, y) => x.seconds - y.seconds);
  const median = sorted[Math.floor((sorted.length - 1) / 2)] as (typeof figures)[number];
  if (runs > 1)
    say(`runs: ${figures.map((figure) => figure.seconds.toFixed(1)).join(' s, ')} s; median below`);
  console.log(`settlement: ${median.readings} readings in ${median.seconds.toFixed(1)} s`);
} finally {
  await close();
}

function loadAverage(): string {
  return loadavg()
    .map((value) => value.toFixed(1))
    .join(' ');
}

async function loadedFor(sql: Sql): Promise<string | null> {
  const [row] = await sql<{ value: string | null }[]>`
    select obj_description('readings'::regclass, 'pg_class') as value`;
  return row?.value ?? null;
}

/** 1% of the day's readings get a new value with a revision row; 0.1% of meters send a missing one late. */
async function reviseSome(sql: Sql): Promise<{ revised: number; late: number }> {
  const [revised] = await sql<{ count: number }[]>`
    with changed as (
      update readings r set kwh = r.kwh + 0.0100, version = r.version + 1, revised_at = clock_timestamp(),
             received_at = clock_timestamp()
      where r.interval_start >= ${day}::date - 1 and r.interval_start < ${day}::date + 2
        and hashtext(r.meter_id || r.interval_start::text) % 100 = 0
      returning r.meter_id, r.interval_start, r.kwh, r.version
    ),
    revisions as (
      insert into reading_revisions
        (meter_id, interval_start, old_kwh, new_kwh, old_quality, new_quality, old_version, new_version, source, reason, actor, created_at)
      select meter_id, interval_start, kwh - 0.0100, kwh, 'actual', 'actual', version - 1, version, 'meter_resend',
             'bench: meter resent the interval', 'bench:settlement', clock_timestamp()
      from changed
      returning 1
    )
    select count(*)::int as count from revisions`;
  const [late] = await sql<{ count: number }[]>`
    with late as (
      insert into readings (meter_id, interval_start, kwh, quality, source)
      select m.id, ${new Date(intervalStartsOfLocalDay(day, timeZone, 15)[40] as number)}, 0.3000, 'actual', 'meter'
      from meters m where right(m.id, 3) = '001'
      on conflict do nothing
      returning 1
    )
    select count(*)::int as count from late`;
  await sql`analyze readings`;
  return { revised: revised?.count ?? 0, late: late?.count ?? 0 };
}

async function load(sql: Sql): Promise<void> {
  const loadStarted = performance.now();
  const fleet = planFleet(meterCount).map((meter) => ({ ...meter, region, timeZone }));
  await sql`insert into tariffs ${sql(
    fleetTariffs.map((tariff) => ({
      ...tariff,
      base_price_per_kwh: tariff.basePricePerKwh,
      windows: JSON.stringify(tariff.windows),
    })),
    'id',
    'name',
    'kind',
    'base_price_per_kwh',
    'windows',
  )} on conflict do nothing`;
  await sql`insert into suppliers ${sql(
    fleetSuppliers.map(({ id, name }) => ({ id, name })),
    'id',
    'name',
  )} on conflict do nothing`;
  await copyRows(
    sql,
    `copy customers (id, name, region, segment) from stdin`,
    fleet.map((meter) => [meter.customerId, `Customer ${meter.customerId}`, meter.region, meter.segment]),
  );
  await copyRows(
    sql,
    `copy meters (id, customer_id, region, segment, tariff_id, interval_minutes, time_zone, max_kwh_per_interval, status, installed_at) from stdin`,
    fleet.map((meter) => [
      meter.id,
      meter.customerId,
      meter.region,
      meter.segment,
      meter.tariffId,
      '15',
      meter.timeZone,
      meter.segment === 'residential' ? '5.75' : '69.25',
      'active',
      meter.installedAt.toISOString(),
    ]),
  );
  await copyRows(
    sql,
    `copy meter_suppliers (meter_id, supplier_id, valid_from, recorded_by) from stdin`,
    fleet.map((meter, index) => [meter.id, supplierIdFor(index), '2024-01-01', 'bench']),
  );
  say(`fleet: ${fleet.length} meters in ${region}, registered to ${fleetSuppliers.length} suppliers`);

  const starts = intervalStartsOfLocalDay(day, timeZone, 15).map((start) => new Date(start).toISOString());
  await sql`select ensure_readings_partition(${starts[0] as string}::timestamptz)`;
  await sql`select ensure_readings_partition(${starts.at(-1) as string}::timestamptz)`;
  const partition = `readings_${(starts[0] as string).slice(0, 4)}_${(starts[0] as string).slice(5, 7)}`;
  const stream = await sql
    .unsafe(
      `copy ${partition} (meter_id, interval_start, kwh, quality, source, first_received_at, received_at) from stdin`,
    )
    .writable();
  const write = (chunk: string) =>
    stream.write(chunk)
      ? Promise.resolve()
      : new Promise<void>((resolve) => stream.once('drain', () => resolve()));
  // Received the morning after, long before any run of this benchmark.
  const receivedAt = new Date(Date.parse(`${day}T00:00:00Z`) + 30 * 3_600_000).toISOString();
  let buffer = '';
  let rows = 0;
  for (const [index, meter] of fleet.entries()) {
    // A 1-in-1000 meter misses interval 40 (sent late by reviseSome); the rest report every interval.
    const scale = meter.segment === 'residential' ? 1 : 8;
    for (const [i, start] of starts.entries()) {
      if (i === 40 && index % 1000 === 0) continue;
      const kwh = (scale * (50 + ((index * 7 + i * 13) % 400))) / 10_000;
      buffer += `${meter.id}\t${start}\t${kwh.toFixed(4)}\tactual\tmeter\t${receivedAt}\t${receivedAt}\n`;
      rows += 1;
    }
    if (buffer.length > 1 << 20) {
      await write(buffer);
      buffer = '';
    }
    if ((index + 1) % 20_000 === 0) say(`readings of ${index + 1}/${fleet.length} meters copied`);
  }
  await write(buffer);
  await new Promise<void>((resolve, reject) =>
    stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
  await sql`analyze`;
  await sql.unsafe(`comment on table readings is '${meterCount}/${day}'`);
  say(`day ${day}: ${rows} readings loaded in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`);
}

async function copyRows(sql: Sql, statement: string, rows: (string | null)[][]): Promise<void> {
  const stream = await sql.unsafe(statement).writable();
  let buffer = '';
  for (const row of rows) {
    buffer += `${row.map((value) => (value === null ? '\\N' : value)).join('\t')}\n`;
    if (buffer.length > 1 << 20) {
      if (!stream.write(buffer)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
      buffer = '';
    }
  }
  stream.write(buffer);
  await new Promise<void>((resolve, reject) =>
    stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
}

function connection(url: URL, database: string) {
  return {
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username || 'postgres'),
    password: url.password ? decodeURIComponent(url.password) : undefined,
    database,
  };
}
