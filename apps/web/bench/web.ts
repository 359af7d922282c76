/**
 * npm run bench:web -- [--iterations 30] [--reload] [--only <substring>]
 *
 * Latency of every tRPC procedure behind the operations pages, called in-process through `createCaller`
 * with an operator's context, on a fleet of 10,000 meters with 90 days of 15-minute data (86 million
 * readings) in a database of its own, `meterops_bench_web`, and 7 days of synthetic tracking metrics in
 * the InfluxDB database of the same name.
 *
 * The readings and aggregates are generated inside Postgres (INSERT … SELECT over generate_series,
 * straight into the month partitions and the aggregate tables, not through Kafka), two connections at a
 * time. A loaded database is reused when its marker matches (--reload loads it again); the InfluxDB
 * points are rewritten when their newest point is more than 10 minutes old, since pipeline ranges end now.
 *
 * Prints the first call's time and p50/p95/max of the following calls (after two more warm-ups) per
 * endpoint and input (the tRPC procedures of the pages, and the REST API's reads through its app);
 * the last line is `web: worst p95 <ms> ms (<endpoint>)`.
 */
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { createDb, type Sql } from '@meterops/db/client';
import { fleetTariffs } from '@meterops/db/fleet';
import { runMigrations } from '@meterops/db/migrate';
import { planFleet, seedDemoUsers } from '@meterops/db/seed';
import { createInfluxQuery } from '@meterops/metrics/query';
import { createRandom } from '@meterops/domain/random';
import { env } from '../src/env';
import { SESSION_COOKIE } from '../src/server/auth/cookie';
import { startSession } from '../src/server/auth/session';
import { createContext } from '../src/server/context';
import { completenessRouter } from '../src/server/routers/completeness';
import { consumptionRouter } from '../src/server/routers/consumption';
import { pipelineRouter } from '../src/server/routers/pipeline';
import { rejectsRouter } from '../src/server/routers/rejects';
import { createCallerFactory, router } from '../src/server/trpc';

/** The procedures behind the operations pages, mounted as in the app router. */
const createCaller = createCallerFactory(
  router({
    pipeline: pipelineRouter,
    completeness: completenessRouter,
    consumption: consumptionRouter,
    rejects: rejectsRouter,
  }),
);
import { apiEndpoints } from './api';
import { usageEndpoints } from './usage';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '30' },
    reload: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
const iterations = Math.max(5, Number(values.iterations));
const say = (line: string) => console.log(`[bench:web] ${line}`);

const METERS = 10_000;
const DAYS = 90;
const PARTITIONS = 12;
const databaseName = 'meterops_bench_web';
const marker = `bench:web v1 ${METERS} meters ${DAYS} days`;

const serverUrl = new URL(env.DATABASE_URL);
const benchUrl = new URL(serverUrl.toString());
benchUrl.pathname = `/${databaseName}`;
const influx = createInfluxQuery({
  url: env.INFLUX_URL,
  database: databaseName,
  token: env.INFLUX_TOKEN,
  timeoutMs: 60_000,
});

// ---------------------------------------------------------------------------------------------------
// Postgres

async function preparePostgres(): Promise<string> {
  const adminUrl = new URL(serverUrl.toString());
  adminUrl.pathname = '/postgres';
  const admin = postgres(adminUrl.toString(), { max: 1, onnotice: () => {} });
  const [existing] = await admin<{ exists: boolean }[]>`
    select exists (select 1 from pg_database where datname = ${databaseName}) as exists`;
  if (existing?.exists && !values.reload) {
    const bench = postgres(benchUrl.toString(), { max: 1, onnotice: () => {} });
    const [row] = await bench<{ comment: string | null }[]>`
      select obj_description('readings'::regclass, 'pg_class') as comment`.catch(() => [{ comment: null }]);
    await bench.end();
    const loadedEnd = row?.comment?.startsWith(`${marker} ending `)
      ? row.comment.slice(`${marker} ending `.length)
      : null;
    if (loadedEnd) {
      await admin.end();
      await runMigrations(benchUrl.toString());
      say(`reusing ${databaseName} (${METERS} meters, ${DAYS} days ending ${loadedEnd})`);
      await fillArrivalCounts(loadedEnd);
      return loadedEnd;
    }
  }
  await admin.unsafe(`drop database if exists ${databaseName} with (force)`);
  await admin.unsafe(`create database ${databaseName}`);
  await admin.end();
  await runMigrations(benchUrl.toString());
  const last = await load();
  await fillArrivalCounts(last);
  return last;
}

/**
 * What ingest counts and the nightly batch recounts for every meter-day: how many actual readings had
 * arrived by the end of D+1 and of D+5 (meter_usage_daily.actual_by_d1/d5_intervals). Done once; a
 * database loaded before those counts were kept gets them here. Ten local days at a time, two connections.
 */
async function fillArrivalCounts(last: string): Promise<void> {
  const { sql, close } = createDb({
    url: benchUrl.toString(),
    max: 2,
    applicationName: 'meterops-bench-web',
  });
  try {
    const [pending] = await sql<{ pending: boolean }[]>`
      select exists (select 1 from meter_usage_daily where actual_by_d1_intervals is null) as pending`;
    if (!pending?.pending) return;
    const started = performance.now();
    const windows: [string, string][] = [];
    for (let day = shiftDay(last, -(DAYS - 1)); day <= last; day = shiftDay(day, 10)) {
      const end = shiftDay(day, 9);
      windows.push([day, end < last ? end : last]);
    }
    await inParallel(2, windows, async ([from, to]) => {
      await sql.begin(async (tx) => {
        await tx`set local work_mem = '256MB'`;
        await tx`
          update meter_usage_daily u
          set actual_by_d1_intervals = c.d1, actual_by_d5_intervals = c.d5
          from (
            select r.meter_id, (r.interval_start at time zone m.time_zone)::date as day,
                   (count(*) filter (where r.quality = 'actual' and r.first_received_at
                      < (((r.interval_start at time zone m.time_zone)::date + 2)::timestamp at time zone m.time_zone)))::int as d1,
                   (count(*) filter (where r.quality = 'actual' and r.first_received_at
                      < (((r.interval_start at time zone m.time_zone)::date + 6)::timestamp at time zone m.time_zone)))::int as d5
            from readings r join meters m on m.id = r.meter_id
            where r.interval_start >= (${from}::date - 1)::timestamp at time zone 'UTC'
              and r.interval_start < (${to}::date + 2)::timestamp at time zone 'UTC'
            group by 1, 2
          ) c
          where u.meter_id = c.meter_id and u.day = c.day and c.day between ${from}::date and ${to}::date`;
      });
    });
    say(`arrival counts of every day filled in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await close();
  }
}

async function load(): Promise<string> {
  const loadStarted = performance.now();
  const elapsed = () => `${((performance.now() - loadStarted) / 1000).toFixed(0)} s`;
  const { db, sql, close } = createDb({
    url: benchUrl.toString(),
    max: 3,
    applicationName: 'meterops-bench-web',
  });
  const today = new Date().toISOString().slice(0, 10);
  const last = shiftDay(today, -1);
  const first = shiftDay(last, -(DAYS - 1));
  try {
    // The demo fleet's shape with every meter on 15 minutes; one in 50 stays removed and sends nothing.
    const fleet = planFleet(METERS).map((meter) => ({
      ...meter,
      intervalMinutes: 15,
      maxKwhPerInterval: meter.segment === 'residential' ? 5.75 : 69.25,
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
    for (let start = 0; start < fleet.length; start += 2_000) {
      const chunk = fleet.slice(start, start + 2_000);
      await sql`insert into customers ${sql(
        chunk.map((meter) => ({
          id: meter.customerId,
          name: `Customer ${meter.customerId}`,
          region: meter.region,
          segment: meter.segment,
        })),
      )}`;
      await sql`insert into meters ${sql(
        chunk.map((meter) => ({
          id: meter.id,
          customer_id: meter.customerId,
          region: meter.region,
          segment: meter.segment,
          tariff_id: meter.tariffId,
          interval_minutes: meter.intervalMinutes,
          time_zone: meter.timeZone,
          max_kwh_per_interval: meter.maxKwhPerInterval,
          status: meter.status,
          installed_at: meter.installedAt,
          removed_at: meter.removedAt,
        })),
      )}`;
    }
    await seedDemoUsers(db);
    say(`fleet: ${fleet.length} meters, days ${first} … ${last}`);

    // Month partitions (UTC months) for the local days of every zone in the range.
    const rangeStart = `${first}T00:00:00Z`;
    const rangeEnd = `${shiftDay(last, 1)}T00:00:00Z`;
    await sql`select ensure_readings_partition(m) from generate_series(
      date_trunc('month', ${rangeStart}::timestamptz - interval '1 day'), ${rangeEnd}::timestamptz, interval '1 month') m`;
    await sql`
      create temp table if not exists bench_meter (id text, n int, segment text, time_zone text)`;
    const months = await sql<{ from: string; to: string; partition: string }[]>`
      select greatest(m, ${rangeStart}::timestamptz - interval '1 day')::text as from,
             least(m + interval '1 month', ${rangeEnd}::timestamptz + interval '1 day')::text as to,
             'readings_' || to_char(m, 'YYYY_MM') as partition
      from generate_series(date_trunc('month', ${rangeStart}::timestamptz - interval '1 day'), ${rangeEnd}::timestamptz, interval '1 month') m`;
    const halves: [number, number][] = [
      [1, METERS / 2],
      [METERS / 2 + 1, METERS],
    ];
    const jobs = months.flatMap((month) => halves.map((half) => ({ ...month, half })));
    let done = 0;
    await inParallel(2, jobs, async (job) => {
      await insertReadings(sql, { ...job, first, last });
      done += 1;
      say(
        `readings: ${done}/${jobs.length} chunks (${job.partition}, meters ${job.half[0]}–${job.half[1]}) after ${elapsed()}`,
      );
    });

    await inParallel(2, jobs, async (job) => {
      await sql.begin(async (tx) => {
        await tx`set local work_mem = '256MB'`;
        await tx.unsafe(
          `insert into meter_usage_hourly (meter_id, hour_start, kwh, expected_intervals, actual_intervals, estimated_intervals, status, computed_at)
           select r.meter_id, date_bin('1 hour', r.interval_start, '2000-01-01T00:00:00Z'), sum(r.kwh), 4,
                  count(*) filter (where r.quality = 'actual'), count(*) filter (where r.quality = 'estimated'),
                  ${finalOrProvisional('min(r.interval_start)')}, max(r.first_received_at)
           from ${job.partition} r
           where r.meter_id between $1 and $2
           group by 1, 2`,
          [meterId(job.half[0]), meterId(job.half[1])],
        );
      });
    });
    say(`hourly aggregates after ${elapsed()}`);

    await sql.begin(async (tx) => {
      await tx`set local work_mem = '512MB'`;
      await tx.unsafe(`
        insert into meter_usage_daily (meter_id, day, kwh, expected_intervals, actual_intervals, estimated_intervals, status, computed_at, final_version, finalized_at)
        select h.meter_id, (h.hour_start at time zone m.time_zone)::date as day, sum(h.kwh),
               (extract(epoch from (((h.hour_start at time zone m.time_zone)::date + 1)::timestamp at time zone m.time_zone)
                                 - ((h.hour_start at time zone m.time_zone)::date::timestamp at time zone m.time_zone)) / 900)::int,
               sum(h.actual_intervals), sum(h.estimated_intervals),
               ${finalOrProvisional('min(h.hour_start)')}, max(h.computed_at),
               case when min(h.hour_start) < now() - interval '8 days' then 1 else 0 end,
               case when min(h.hour_start) < now() - interval '8 days' then max(h.computed_at) + interval '1 day' end
        from meter_usage_hourly h join meters m on m.id = h.meter_id
        group by 1, 2, m.time_zone
        having (h.hour_start at time zone m.time_zone)::date between '${first}' and '${last}'`);
    });
    say(`daily aggregates after ${elapsed()}`);

    // Dimensions: what each key's active meters should send, whether or not they did.
    await sql.unsafe(`
      with fleet_days as (
        select d::date as day, m.region, m.segment::text as segment, m.tariff_id,
               (extract(epoch from ((d::date + 1)::timestamp at time zone m.time_zone) - (d::date::timestamp at time zone m.time_zone)) / 900)::int as expected
        from generate_series('${first}'::date, '${last}'::date, interval '1 day') d cross join meters m
        where m.status = 'active'
      ),
      expected as (
        select day, dim.dimension, dim.key, sum(expected)::int as expected
        from fleet_days cross join lateral (values ('region'::usage_dimension, region), ('segment', segment), ('tariff', tariff_id)) as dim(dimension, key)
        group by 1, 2, 3
      ),
      received as (
        select u.day, dim.dimension, dim.key, sum(u.kwh) as kwh, sum(u.actual_intervals)::int as actual,
               sum(u.estimated_intervals)::int as estimated, bool_and(u.status = 'final') as final, max(u.computed_at) as computed_at
        from meter_usage_daily u join meters m on m.id = u.meter_id
        cross join lateral (values ('region'::usage_dimension, m.region), ('segment', m.segment::text), ('tariff', m.tariff_id)) as dim(dimension, key)
        group by 1, 2, 3
      )
      insert into dimension_usage_daily (day, dimension, key, kwh, expected_intervals, actual_intervals, estimated_intervals, status, computed_at)
      select e.day, e.dimension, e.key, coalesce(r.kwh, 0), e.expected, coalesce(r.actual, 0), coalesce(r.estimated, 0),
             case when r.final then 'final'::aggregate_status else 'provisional' end, coalesce(r.computed_at, now())
      from expected e left join received r using (day, dimension, key)`);
    say(`dimension aggregates after ${elapsed()}`);

    // Hours per key: the meters' hourly rows summed, expected from every active meter of the key.
    await sql.begin(async (tx) => {
      await tx`set local work_mem = '256MB'`;
      await tx.unsafe(`
        with combinations as (
          select h.hour_start, m.region, m.segment::text as segment, m.tariff_id, sum(h.kwh) as kwh,
                 sum(h.actual_intervals) as actual, sum(h.estimated_intervals) as estimated,
                 bool_and(h.status = 'final') as final, max(h.computed_at) as computed_at
          from meter_usage_hourly h join meters m on m.id = h.meter_id
          group by 1, 2, 3, 4
        ),
        expected as (
          select k.dimension, k.key, sum(60 / m.interval_minutes)::int as expected
          from meters m
          cross join lateral (values ('region'::usage_dimension, m.region), ('segment', m.segment::text), ('tariff', m.tariff_id)) as k(dimension, key)
          where m.status = 'active'
          group by 1, 2
        )
        insert into dimension_usage_hourly (hour_start, dimension, key, kwh, expected_intervals, actual_intervals, estimated_intervals, status, computed_at)
        select c.hour_start, d.dimension, d.key, sum(c.kwh), coalesce(min(e.expected), 0), sum(c.actual), sum(c.estimated),
               case when bool_and(c.final) then 'final'::aggregate_status else 'provisional' end, max(c.computed_at)
        from combinations c
        cross join lateral (values ('region'::usage_dimension, c.region), ('segment', c.segment), ('tariff', c.tariff_id)) as d(dimension, key)
        left join expected e on e.dimension = d.dimension and e.key = d.key
        group by 1, 2, 3`);
    });
    say(`dimension hours after ${elapsed()}`);

    await inParallel(2, months, async (month) => {
      await sql.begin(async (tx) => {
        await tx`set local work_mem = '256MB'`;
        await tx.unsafe(`
          with expected as (select region, sum(2)::int as expected from meters where status = 'active' group by region)
          insert into settlement_period_usage (region, period_start, kwh, expected_intervals, actual_intervals, estimated_intervals, status, computed_at)
          select s.region, s.period_start, s.kwh, e.expected, s.actual, s.estimated,
                 case when s.period_start < now() - interval '8 days' then 'final'::aggregate_status else 'provisional' end, s.computed_at
          from (
            select m.region, date_bin('30 minutes', r.interval_start, '2000-01-01T00:00:00Z') as period_start, sum(r.kwh) as kwh,
                   (count(*) filter (where r.quality = 'actual'))::int as actual, (count(*) filter (where r.quality = 'estimated'))::int as estimated,
                   max(r.first_received_at) as computed_at
            from ${month.partition} r join meters m on m.id = r.meter_id
            group by 1, 2
          ) s join expected e using (region)`);
      });
    });
    say(`settlement periods after ${elapsed()}`);

    await insertRejections(sql, first, last);
    await sql`
      insert into ingest_offsets (consumer_group, topic, partition, next_offset)
      select 'meterops-ingest', 'meter.readings', p, 1000000 + p * 1000 from generate_series(0, ${PARTITIONS - 1}) p`;
    await sql`analyze`;
    await sql.unsafe(`comment on table readings is '${marker} ending ${last}'`);
    const [counts] = await sql<{ readings: string; hourly: string; daily: string; rejected: string }[]>`
      select (select count(*) from readings)::text as readings, (select count(*) from meter_usage_hourly)::text as hourly,
             (select count(*) from meter_usage_daily)::text as daily, (select count(*) from rejected_readings)::text as rejected`;
    say(
      `loaded ${counts?.readings} readings, ${counts?.hourly} hourly, ${counts?.daily} daily rows, ${counts?.rejected} rejections in ${elapsed()}`,
    );
    return last;
  } finally {
    await close();
  }
}

const meterId = (n: number) => `MTR-${String(n).padStart(6, '0')}`;

/** Days more than 8 days old have been finalized by the nightly batch; newer ones are provisional. */
function finalOrProvisional(start: string): string {
  return `case when ${start} < now() - interval '8 days' then 'final'::aggregate_status else 'provisional'::aggregate_status end`;
}

/**
 * One month partition's readings for half of the fleet. kWh follows a daily shape per segment with a
 * per-meter scale and per-interval noise from hashes, so it is repeatable without a random generator:
 * 0.25 % of meter-days and 0.03 % of intervals are missing, 0.2 % of old intervals are estimates, and
 * readings arrive 4 to 28 hours after their interval (1 % three days late).
 */
async function insertReadings(
  sql: Sql,
  job: { from: string; to: string; partition: string; half: [number, number]; first: string; last: string },
): Promise<void> {
  const n = `substr(m.id, 5)::bigint`;
  const slot = `(extract(epoch from t.ts) / 900)::bigint`;
  await sql.unsafe(
    `
    insert into ${job.partition} (meter_id, interval_start, kwh, quality, estimation_method, source, version, received_at, first_received_at)
    select m.id, t.ts,
           round(((case when m.segment = 'commercial' then 1.2 else 0.12 end)
                  * (0.6 + 0.8 * (${n} * 2654435761 % 1000) / 1000.0)
                  * (0.45 + 0.55 * (1 + sin(2 * pi() * (((extract(epoch from t.ts) / 3600) + (case when m.time_zone = 'Europe/Amsterdam' then 1 else 0 end)) % 24 - 9) / 24)))
                  * (0.8 + 0.4 * (abs(hashint8(${n} * 1000003 + ${slot})) % 1000) / 1000.0))::numeric, 4),
           q.quality, case when q.quality = 'estimated' then 'linear_interpolation' end,
           case when q.quality = 'estimated' then 'estimation' else 'meter' end, 1, a.arrival, a.arrival
    from meters m
    cross join lateral generate_series(
      greatest($3::timestamptz, ($5::date)::timestamp at time zone m.time_zone),
      least($4::timestamptz, (($6::date + 1)::timestamp at time zone m.time_zone)) - interval '15 minutes',
      interval '15 minutes') t(ts)
    cross join lateral (select case when t.ts < now() - interval '8 days' and abs(hashint8(${n} * 7919 + ${slot})) % 500 = 0
                                    then 'estimated'::reading_quality else 'actual'::reading_quality end as quality) q
    cross join lateral (select t.ts + interval '4 hours' + (abs(hashint8(${n} * 31 + ${slot})) % 1440) * interval '1 minute'
                               + case when abs(hashint8(${n} * 131 + ${slot} / 96)) % 100 = 0 then interval '3 days' else interval '0' end as arrival) a
    where m.status = 'active' and m.id between $1 and $2
      and abs(hashint8(${n} * 104729 + (extract(epoch from t.ts) / 86400)::bigint)) % 400 <> 0
      and abs(hashint8(${n} * 15485863 + ${slot})) % 3000 <> 0
      and a.arrival < now()`,
    [meterId(job.half[0]), meterId(job.half[1]), job.from, job.to, job.first, job.last],
  );
}

/** 150,000 quarantined readings over the 90 days, in the proportions a real feed shows. */
async function insertRejections(sql: Sql, first: string, last: string): Promise<void> {
  await sql.unsafe(`
    insert into rejected_readings (topic, partition, kafka_offset, item_index, message_key, meter_id, interval_start, rule, detail, payload, kafka_timestamp, received_at)
    select 'meter.readings', i % ${PARTITIONS}, i, case when r.rule = 'malformed_json' then -1 else i % 96 end,
           'MTR-' || lpad(((i * 7) % ${METERS} + 1)::text, 6, '0'),
           case when r.rule = 'malformed_json' then null else 'MTR-' || lpad(((i * 7) % ${METERS} + 1)::text, 6, '0') end,
           case when r.rule = 'malformed_json' then null else date_bin('15 minutes', at, '2000-01-01') end,
           r.rule, r.rule || ' for reading ' || i,
           case when r.rule = 'malformed_json' then '{"meterId":"MTR-' || i || '","readings":[{"interval'
                else '{"meterId":"MTR-' || lpad(((i * 7) % ${METERS} + 1)::text, 6, '0') || '","reading":{"intervalStart":"' || to_char(at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || '","kwh":-0.5}}' end,
           at, at + interval '5 hours'
    from generate_series(1, 150000) i
    cross join lateral (select '${first}'::timestamptz + (i::float8 / 150000) * ('${last}'::date + 1 - '${first}'::date) * interval '1 day' as at) t
    cross join lateral (select case when i % 20 < 10 then 'unknown_meter' when i % 20 < 14 then 'negative_value'
                                    when i % 20 < 16 then 'misaligned_interval' when i % 20 < 18 then 'above_physical_max'
                                    when i % 20 = 18 then 'future_interval' else 'malformed_json' end as rule) r`);
}

// ---------------------------------------------------------------------------------------------------
// InfluxDB

async function prepareInflux(): Promise<void> {
  const now = Date.now();
  const weekAgo = now - 7 * 86_400_000;
  const newest = await influx
    .query<{ time: number }>(`SELECT LAST("offsets") FROM "consumer_lag"`)
    .then((series) => series[0]?.rows[0]?.time ?? 0)
    .catch(() => 0);
  if (newest < weekAgo) {
    await influx.query(`DROP DATABASE "${databaseName}"`).catch(() => undefined);
    await influx.query(`CREATE DATABASE "${databaseName}"`);
  }
  // Pipeline ranges end now: the points from the newest one up to now are added, so the last 7 days are
  // always covered without rewriting what is there.
  const from = Math.max(weekAgo, newest + 5_000);
  if (now - from < 60_000) {
    say('reusing the tracking metrics in InfluxDB');
    return;
  }
  const random = createRandom(`bench:web ${from}`);
  let lines: string[] = [];
  let written = 0;
  const flush = async () => {
    if (lines.length === 0) return;
    const response = await fetch(`${env.INFLUX_URL}/write?db=${databaseName}&precision=ms`, {
      method: 'POST',
      headers: env.INFLUX_TOKEN ? { authorization: `Token ${env.INFLUX_TOKEN}` } : {},
      body: lines.join('\n'),
    });
    if (response.status !== 204)
      throw new Error(`InfluxDB write: HTTP ${response.status} ${await response.text()}`);
    written += lines.length;
    lines = [];
  };
  // Commit offsets keep growing over time, whenever the points are written.
  const offsetAt = (time: number, partition: number) =>
    1_000_000 + partition * 1000 + Math.floor(time / 10_000) * 20;
  const tags = (partition: number) => `group=meterops-ingest,partition=${partition},topic=meter.readings`;
  // A worker batch every 10 s per worker (3 workers); lag reported every 5 s and a commit every 10 s per
  // partition, as the worker's defaults do.
  for (let time = Math.ceil(from / 5_000) * 5_000; time <= now; time += 5_000) {
    const tenSeconds = time % 10_000 === 0;
    // A backlog builds up for a few hours each day and is worked off again.
    const backlog = Math.max(0, Math.sin(((time / 3_600_000) % 24) * (Math.PI / 12)) - 0.8) * 5_000;
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const lag = Math.round(backlog * (0.5 + random.next()));
      lines.push(
        `consumer_lag,${tags(partition)},worker=w${partition % 3} offsets=${lag}i,seconds=${(lag / 40).toFixed(1)} ${time}`,
      );
      if (tenSeconds)
        lines.push(
          `commit,${tags(partition)},worker=w${partition % 3} offset=${offsetAt(time, partition)}i ${time}`,
        );
    }
    if (tenSeconds) {
      for (let worker = 0; worker < 3; worker++) {
        const records = 40 + Math.floor(random.next() * 40);
        const accepted = records * 96 - Math.floor(random.next() * 10);
        const dbMs = 20 + random.next() * 60 + (random.next() < 0.02 ? 400 : 0);
        const e2eMs = 3_600_000 * (4 + random.next() * 24);
        lines.push(
          `ingest_batch,topic=meter.readings,worker=w${worker} records=${records}i,accepted=${accepted}i,duplicates=${Math.floor(random.next() * 5)}i,revised=0i,rejected=${Math.floor(random.next() * 3)}i,db_ms=${dbMs.toFixed(3)},e2e_ms=${e2eMs.toFixed(0)},kafka_lag_ms=${(random.next() * 2000).toFixed(0)} ${time + worker}`,
          `validation,outcome=rejected,rule=unknown_meter,worker=w${worker} count=${1 + Math.floor(random.next() * 3)}i ${time + worker}`,
          `validation,outcome=flagged,rule=spike,worker=w${worker} count=${Math.floor(random.next() * 2)}i ${time + worker}`,
        );
      }
    }
    if (lines.length >= 10_000) await flush();
  }
  await flush();
  say(`InfluxDB: ${written} points added, covering ${new Date(from).toISOString()} to now`);
}

// ---------------------------------------------------------------------------------------------------
// Measuring

async function measure(last: string): Promise<void> {
  const { db, sql, close } = createDb({
    url: benchUrl.toString(),
    max: 10,
    applicationName: 'meterops-bench-web',
  });
  try {
    const [operator] = await sql<
      { id: string }[]
    >`select id from users where email = 'operator@meterops.test'`;
    if (!operator) throw new Error('no operator user in the bench database');
    const { token } = await startSession(db, operator.id);
    const ctx = await createContext({
      db,
      sql,
      influx,
      headers: new Headers({ cookie: `${SESSION_COOKIE}=${token}`, 'x-forwarded-for': 'bench' }),
      resHeaders: new Headers(),
    });
    const caller = createCaller(ctx);
    const [largest] = await sql<
      { region: string }[]
    >`select region from meters group by region order by count(*) desc limit 1`;
    const region = largest?.region ?? 'london';
    const [meter] = await sql<
      { id: string }[]
    >`select meter_id as id from rejected_readings where meter_id is not null limit 1`;
    const day = shiftDay(last, -3);
    const first = shiftDay(last, -(DAYS - 1));

    const endpoints: { name: string; call: () => Promise<unknown> }[] = [
      { name: 'pipeline.consumers (1h)', call: () => caller.pipeline.consumers({ range: '1h' }) },
      { name: 'pipeline.consumers (7d)', call: () => caller.pipeline.consumers({ range: '7d' }) },
      { name: 'pipeline.throughput (1h)', call: () => caller.pipeline.throughput({ range: '1h' }) },
      { name: 'pipeline.throughput (7d)', call: () => caller.pipeline.throughput({ range: '7d' }) },
      { name: 'pipeline.latency (1h)', call: () => caller.pipeline.latency({ range: '1h' }) },
      { name: 'pipeline.latency (7d)', call: () => caller.pipeline.latency({ range: '7d' }) },
      { name: 'pipeline.rules (1h)', call: () => caller.pipeline.rules({ range: '1h' }) },
      { name: 'pipeline.rules (7d)', call: () => caller.pipeline.rules({ range: '7d' }) },
      {
        name: 'completeness.overview (14 days)',
        call: () => caller.completeness.overview({ from: shiftDay(last, -13), to: last }),
      },
      {
        name: 'completeness.overview (90 days)',
        call: () => caller.completeness.overview({ from: first, to: last }),
      },
      {
        name: `completeness.meterGaps (${region}, day)`,
        call: () => caller.completeness.meterGaps({ day, region }),
      },
      {
        name: `completeness.meterGaps (${region}, page 5)`,
        call: () => caller.completeness.meterGaps({ day, region, page: 5 }),
      },
      {
        name: `completeness.timeliness (${region}, final day)`,
        call: () => caller.completeness.timeliness({ day: shiftDay(last, -20), region }),
      },
      {
        name: `completeness.timeliness (${region}, yesterday)`,
        call: () => caller.completeness.timeliness({ day: last, region }),
      },
      {
        name: `completeness.timeliness (${region}, not finalized)`,
        call: () => caller.completeness.timeliness({ day, region }),
      },
      { name: 'consumption.filters', call: () => caller.consumption.filters() },
      {
        name: 'consumption.byDimension (region, day, 14 days)',
        call: () =>
          caller.consumption.byDimension({
            dimension: 'region',
            granularity: 'day',
            from: shiftDay(last, -13),
            to: last,
          }),
      },
      {
        name: 'consumption.byDimension (tariff, day, 90 days)',
        call: () =>
          caller.consumption.byDimension({ dimension: 'tariff', granularity: 'day', from: first, to: last }),
      },
      {
        name: 'consumption.byDimension (segment, month, 90 days)',
        call: () =>
          caller.consumption.byDimension({
            dimension: 'segment',
            granularity: 'month',
            from: first,
            to: last,
          }),
      },
      {
        name: 'consumption.byDimension (region, hour, 7 days)',
        call: () =>
          caller.consumption.byDimension({
            dimension: 'region',
            granularity: 'hour',
            from: shiftDay(last, -6),
            to: last,
          }),
      },
      {
        name: 'consumption.byDimension (segment, hour, 1 day)',
        call: () =>
          caller.consumption.byDimension({ dimension: 'segment', granularity: 'hour', from: last, to: last }),
      },
      {
        name: 'consumption.byDimension (segment, hour, 7 days)',
        call: () =>
          caller.consumption.byDimension({
            dimension: 'segment',
            granularity: 'hour',
            from: shiftDay(last, -6),
            to: last,
          }),
      },
      {
        name: 'consumption.byDimension (tariff, hour, 1 day)',
        call: () =>
          caller.consumption.byDimension({
            dimension: 'tariff',
            granularity: 'hour',
            from: last,
            to: last,
          }),
      },
      {
        name: 'consumption.settlement (all regions)',
        call: () => caller.consumption.settlement({ day: last }),
      },
      {
        name: `consumption.settlement (${region})`,
        call: () => caller.consumption.settlement({ day: last, region }),
      },
      { name: 'rejects.list (page 1)', call: () => caller.rejects.list({ page: 1 }) },
      { name: 'rejects.list (page 1000)', call: () => caller.rejects.list({ page: 1000, pageSize: 100 }) },
      { name: 'rejects.list (rule)', call: () => caller.rejects.list({ rule: 'negative_value', page: 1 }) },
      {
        name: 'rejects.list (meter)',
        call: () => caller.rejects.list({ meterId: meter?.id ?? 'MTR-000001', page: 1 }),
      },
      {
        name: 'rejects.list (rule + 7 days)',
        call: () =>
          caller.rejects.list({
            rule: 'unknown_meter',
            from: new Date(Date.now() - 7 * 86_400_000),
            page: 1,
          }),
      },
      { name: 'rejects.byRule', call: () => caller.rejects.byRule({}) },
      {
        name: 'rejects.byRule (7 days)',
        call: () => caller.rejects.byRule({ from: new Date(Date.now() - 7 * 86_400_000) }),
      },
      // The end customer's usage endpoints (./usage.ts).
      ...(await usageEndpoints({ db, sql, influx, last, say })),
      // The REST API's read endpoints (./api.ts).
      ...(await apiEndpoints({ db, sql, last })),
    ].filter((endpoint) => values.only === undefined || endpoint.name.includes(values.only));

    const results: { name: string; p50: number; p95: number; max: number }[] = [];
    const width = Math.max(...endpoints.map((endpoint) => endpoint.name.length));
    // "first" is the first call of the process: for the pipeline endpoints it fills the InfluxDB bucket
    // cache over the whole range, which later calls only top up.
    console.log(
      `${'endpoint'.padEnd(width)}  ${'first ms'.padStart(8)}  ${'p50 ms'.padStart(8)}  ${'p95 ms'.padStart(8)}  ${'max ms'.padStart(8)}`,
    );
    for (const endpoint of endpoints) {
      const firstStarted = performance.now();
      await endpoint.call();
      const first = performance.now() - firstStarted;
      for (let warmup = 0; warmup < 2; warmup++) await endpoint.call();
      const durations: number[] = [];
      for (let iteration = 0; iteration < iterations; iteration++) {
        const callStarted = performance.now();
        await endpoint.call();
        durations.push(performance.now() - callStarted);
      }
      durations.sort((a, b) => a - b);
      const result = {
        name: endpoint.name,
        p50: percentile(durations, 50),
        p95: percentile(durations, 95),
        max: durations.at(-1) ?? 0,
      };
      results.push(result);
      console.log(
        `${result.name.padEnd(width)}  ${first.toFixed(1).padStart(8)}  ${result.p50.toFixed(1).padStart(8)}  ${result.p95.toFixed(1).padStart(8)}  ${result.max.toFixed(1).padStart(8)}`,
      );
    }
    const worst = results.reduce((a, b) => (b.p95 > a.p95 ? b : a));
    console.log(`web: worst p95 ${worst.p95.toFixed(1)} ms (${worst.name})`);
  } finally {
    await close();
  }
}

/** Nearest rank, like InfluxDB's PERCENTILE. */
function percentile(sorted: readonly number[], p: number): number {
  const index = Math.max(0, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[index] ?? 0;
}

function shiftDay(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

async function inParallel<T>(
  limit: number,
  items: readonly T[],
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(runners);
}

// Last, so that every const above is initialised before it runs.
const started = performance.now();
const endDay = await preparePostgres();
await prepareInflux();
say(
  `data ready in ${((performance.now() - started) / 1000).toFixed(0)} s; measuring ${iterations} calls per endpoint`,
);
await measure(endDay);
