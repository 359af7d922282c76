/**
 * npm run bench:finalize -- [--meters 100000] [--day 2026-11-18] [--reuse] [--runs 1]
 *
 * Finalizes one local day for a large fleet of 15-minute meters (100,000 meters = 9.6 million readings)
 * in a database of its own. The readings are COPYed straight into the month's partition, not sent
 * through Kafka: this measures the batch layer, not ingest. Some meters have gaps so estimation runs
 * too: 2% miss one hour (linear interpolation), 0.5% miss six hours and 0.1% the whole day (like-day
 * averages, from four weeks of history loaded for those meters only).
 *
 * --reuse keeps the loaded database and only resets what finalizing wrote, so runs can be repeated;
 * --runs N finalizes N times from the same starting point and prints each figure and the median.
 * --provisional first writes the provisional hourly and daily rows the speed layer would have written
 * (untimed), so finalizing updates rows instead of inserting them, as it does in production.
 * The last line is `finalize: <n> readings in <s> s, <r> readings/s` (the median when runs > 1).
 */
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createDb, type Sql } from '@meterops/db/client';
import { runMigrations } from '@meterops/db/migrate';
import { finalizeDay } from '@meterops/db/queries/batch';
import { planFleet } from '@meterops/db/seed';
import { fleetTariffs } from '@meterops/db/fleet';
import { formatKwh } from '@meterops/domain/kwh';
import { sampleIntervalKwh } from '@meterops/domain/profiles';
import { createRandom } from '@meterops/domain/random';
import { addDays, intervalStartsOfLocalDay, localDayBounds, localTimeParts } from '@meterops/domain/time';
import postgres from 'postgres';
import { env } from '../src/env';

const { values } = parseArgs({
  options: {
    meters: { type: 'string', default: '100000' },
    day: { type: 'string', default: '2026-11-18' },
    reuse: { type: 'boolean', default: false },
    runs: { type: 'string', default: '1' },
    provisional: { type: 'boolean', default: false },
  },
});
const meterCount = Number(values.meters);
const day = values.day;
const runs = Math.max(1, Number(values.runs));
const say = (line: string) => console.log(`[bench:finalize] ${line}`);

const databaseName = 'meterops_bench_finalize';
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
  if (reuse && (await loadedFor(sql)) === `${meterCount}/${day}`) {
    say(`reusing the loaded database ${databaseName}`);
  } else {
    await load(sql);
  }
  const figures: { readings: number; seconds: number }[] = [];
  const pids = await backendPids(sql);
  for (let run = 1; run <= runs; run++) {
    await resetFinalization(sql);
    const cpuBefore = { node: process.cpuUsage(), postgres: await postgresCpuSeconds(pids) };
    const started = performance.now();
    let printed = '';
    const result = await finalizeDay(sql, {
      day,
      actor: 'bench:finalize',
      onProgress: (progress) => {
        const line = `${progress.step} ${progress.done}/${progress.total}`;
        if (line === printed) return;
        printed = line;
        say(`  ${((performance.now() - started) / 1000).toFixed(1)} s  ${line}`);
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const nodeCpu = process.cpuUsage(cpuBefore.node);
    const postgresCpu = await postgresCpuSeconds(pids);
    if (postgresCpu !== null && cpuBefore.postgres !== null) {
      say(
        `cpu time: ${(postgresCpu - cpuBefore.postgres).toFixed(1)} s in Postgres, ` +
          `${((nodeCpu.user + nodeCpu.system) / 1e6).toFixed(1)} s in Node; load average ${loadAverage()}`,
      );
    }
    say(
      `run ${run}: ${result.readings} readings, ${result.meters} meters, ${result.estimated.inserted} estimates ` +
        `(${result.estimated.linear} linear, ${result.estimated.likeDay} like-day), ` +
        `${result.rows.daily} daily / ${result.rows.hourly} hourly / ${result.rows.dimension} dimension / ` +
        `${result.rows.settlement} settlement rows written in ${seconds.toFixed(1)} s`,
    );
    figures.push({ readings: result.readings, seconds });
  }
  const again = await finalizeDay(sql, { day, actor: 'bench:finalize' });
  say(
    `finalizing again changed ${again.rows.daily + again.rows.hourly + again.rows.dimension + again.rows.settlement} aggregate rows and wrote ${again.estimated.inserted + again.estimated.replaced} estimates (idempotent)`,
  );
  const sorted = figures.toSorted((a, b) => a.seconds - b.seconds);
  const median = sorted[Math.floor((sorted.length - 1) / 2)] as (typeof figures)[number];
  if (runs > 1)
    say(`runs: ${figures.map((figure) => figure.seconds.toFixed(1)).join(' s, ')} s; median below`);
  console.log(
    `finalize: ${median.readings} readings in ${median.seconds.toFixed(1)} s, ${Math.round(median.readings / median.seconds)} readings/s`,
  );
} finally {
  await close();
}

/** Process ids of the pool's server processes (the pool is opened in full first). */
async function backendPids(sql: Sql): Promise<number[]> {
  const pids = await Promise.all(
    Array.from({ length: 3 }, () =>
      sql.begin(async (tx) => {
        const [row] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid, pg_sleep(0.05)`;
        return row?.pid ?? 0;
      }),
    ),
  );
  return [...new Set(pids)];
}

/**
 * CPU seconds the given server processes have used, from /proc when Postgres runs on this machine (null
 * otherwise): the machine is shared, so wall time alone says little.
 */
async function postgresCpuSeconds(pids: number[]): Promise<number | null> {
  try {
    let ticks = 0;
    for (const pid of pids) {
      const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
      ticks += Number(fields[11]) + Number(fields[12]);
    }
    return ticks / 100;
  } catch {
    return null;
  }
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

/** Undoes a finalization so the next run starts from the same state: no aggregates, no estimates. */
async function resetFinalization(sql: Sql): Promise<void> {
  await sql`truncate meter_usage_hourly, meter_usage_daily, dimension_usage_daily, dimension_usage_hourly, settlement_period_usage, reprocess_queue`;
  await sql`delete from readings where quality = 'estimated'`;
  if (values.provisional) {
    say('writing the provisional rows the speed layer would have written');
    // Laid out as ingest lays them out: a meter's day arrives as one profile message and its batch writes
    // the rows in (meter, hour) order, so a meter's hours lie together; meters come in arrival order
    // (here a hash of the id). The bare GROUP BY's hash order would scatter each meter's 24 hours over 24
    // pages of the table, which no ingest produces and which makes every chunk touch every page.
    await sql`
      insert into meter_usage_hourly (meter_id, hour_start, kwh, expected_intervals, actual_intervals, status)
      select meter_id, date_bin('1 hour', interval_start, '2000-01-01Z'), sum(kwh), 4, count(*), 'provisional'
      from readings where interval_start >= ${day}::date - 1 and interval_start < ${day}::date + 2 group by 1, 2
      order by md5(meter_id), 2`;
    await sql`
      insert into meter_usage_daily (meter_id, day, kwh, expected_intervals, actual_intervals, status)
      select r.meter_id, ${day}::date, sum(r.kwh), 96, count(*), 'provisional'
      from readings r join meters m on m.id = r.meter_id
      where (r.interval_start at time zone m.time_zone)::date = ${day}::date group by 1
      order by md5(r.meter_id)`;
  }
  await sql`vacuum (analyze) meter_usage_hourly, meter_usage_daily`;
}

async function load(sql: Sql): Promise<void> {
  const loadStarted = performance.now();
  // Every meter active and on 15 minutes, so 100,000 meters make 9.6 million readings on an ordinary day.
  const fleet = planFleet(meterCount).map((meter) => ({
    ...meter,
    intervalMinutes: 15 as const,
    maxKwhPerInterval: meter.segment === 'residential' ? 5.75 : 69.25,
    status: 'active' as const,
    removedAt: null,
  }));
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
  await copyRows(
    sql,
    `copy customers (id, name, region, segment) from stdin`,
    fleet.map((meter) => [meter.customerId, `Customer ${meter.customerId}`, meter.region, meter.segment]),
  );
  await copyRows(
    sql,
    `copy meters (id, customer_id, region, segment, tariff_id, interval_minutes, time_zone, max_kwh_per_interval, status, installed_at, removed_at) from stdin`,
    fleet.map((meter) => [
      meter.id,
      meter.customerId,
      meter.region,
      meter.segment,
      meter.tariffId,
      String(meter.intervalMinutes),
      meter.timeZone,
      String(meter.maxKwhPerInterval),
      meter.status,
      meter.installedAt.toISOString(),
      null,
    ]),
  );
  say(`fleet: ${fleet.length} meters`);

  const active = fleet.filter((meter) => meter.status === 'active');
  const history = [7, 14, 21, 28].map((weeks) => addDays(day, -weeks));
  for (const target of [day, ...history]) {
    const { startMs } = localDayBounds(target, 'Europe/Amsterdam');
    await sql`select ensure_readings_partition(${new Date(startMs).toISOString()}::timestamptz)`;
    await sql`select ensure_readings_partition(${new Date(localDayBounds(target, 'Europe/London').endMs).toISOString()}::timestamptz)`;
  }
  let rows = 0;
  // Straight into the partition, as the brief for this benchmark asks.
  const partition = `readings_${day.slice(0, 4)}_${day.slice(5, 7)}`;
  const stream = await sql
    .unsafe(`copy ${partition} (meter_id, interval_start, kwh, quality, source) from stdin`)
    .writable();
  const write = (chunk: string) =>
    stream.write(chunk)
      ? Promise.resolve()
      : new Promise<void>((resolve) => stream.once('drain', () => resolve()));
  let buffer = '';
  for (const [index, meter] of active.entries()) {
    const gap = gapOf(index);
    const starts = intervalStartsOfLocalDay(day, meter.timeZone, 15);
    const kwh = profile(meter, day, starts);
    for (let i = 0; i < starts.length; i++) {
      if (gap !== null && i >= gap.from && i < gap.to) continue;
      buffer += `${meter.id}\t${new Date(starts[i] as number).toISOString()}\t${kwh[i]}\tactual\tmeter\n`;
      rows += 1;
    }
    if (buffer.length > 1 << 20) {
      await write(buffer);
      buffer = '';
    }
    if ((index + 1) % 20_000 === 0) say(`readings of ${index + 1}/${active.length} meters copied`);
  }
  await write(buffer);
  await new Promise<void>((resolve, reject) =>
    stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
  say(`day ${day}: ${rows} readings copied in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`);

  // Four weeks of history, only for the meters like-day estimation will look at.
  const withHistory = active.filter((_, index) => (gapOf(index)?.to ?? 0) - (gapOf(index)?.from ?? 0) > 8);
  const historyRows: string[][] = [];
  for (const meter of withHistory) {
    for (const past of history) {
      const starts = intervalStartsOfLocalDay(past, meter.timeZone, 15);
      const kwh = profile(meter, past, starts);
      starts.forEach((start, i) =>
        historyRows.push([meter.id, new Date(start).toISOString(), kwh[i] as string, 'actual', 'meter']),
      );
    }
  }
  await copyRows(
    sql,
    `copy readings (meter_id, interval_start, kwh, quality, source) from stdin`,
    historyRows,
  );
  say(`history: ${historyRows.length} readings for ${withHistory.length} meters with long gaps`);
  await sql`analyze`;
  await sql.unsafe(`comment on table readings is '${meterCount}/${day}'`);
  say(`loaded in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`);
}

/** Which intervals of the day a meter (by its index among active meters) is missing. */
function gapOf(index: number): { from: number; to: number } | null {
  const bucket = index % 1000;
  if (bucket < 20) return { from: 30 + (index % 40), to: 34 + (index % 40) };
  if (bucket < 25) return { from: 40, to: 64 };
  if (bucket === 25) return { from: 0, to: 96 };
  return null;
}

function profile(
  meter: { id: string; segment: 'residential' | 'commercial' },
  target: string,
  starts: number[],
): string[] {
  const random = createRandom(`${meter.id}/${target}`);
  const dayStart = starts[0] as number;
  const parts = localTimeParts(dayStart + 12 * 3_600_000, 'Europe/London');
  return starts.map(
    (start) =>
      formatKwh(
        sampleIntervalKwh(
          {
            segment: meter.segment,
            localHour: (start - dayStart) / 3_600_000,
            isoWeekday: parts.isoWeekday,
            dayOfYear: parts.dayOfYear,
            intervalMinutes: 15,
            meterScale: 1,
          },
          random,
        ),
      ) ?? '0.0000',
  );
}

async function copyRows(sql: Sql, statement: string, rows: (string | null)[][]): Promise<void> {
  const stream = await sql.unsafe(statement).writable();
  const escape = (value: string | null) =>
    value === null ? '\\N' : value.replaceAll('\\', '\\\\').replaceAll('\t', '\\t').replaceAll('\n', '\\n');
  let buffer = '';
  for (const row of rows) {
    buffer += `${row.map(escape).join('\t')}\n`;
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
