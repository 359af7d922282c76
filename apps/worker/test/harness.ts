/**
 * Real-stack fixtures for the worker's integration tests: a fresh database per test file (so fleet-wide
 * aggregates are exact), fresh topics and consumer group per test, and helpers to wait on what the
 * pipeline committed. Nothing here is mocked.
 */
import { randomUUID } from 'node:crypto';
import { createDb, type Db, type Sql } from '@meterops/db/client';
import { runMigrations } from '@meterops/db/migrate';
import { seedFleet } from '@meterops/db/seed';
import { createMetricsWriter, type MetricsWriter } from '@meterops/metrics/writer';
import { pino } from 'pino';
import { expect } from 'vitest';
import postgres from 'postgres';
import { env } from '../src/env';
import { IngestService, type IngestServiceOptions } from '../src/ingest/service';
import type { BatchOutcome } from '../src/ingest/pipeline';
import { createKafka, createLagProbe, ensureTopics, type KafkaClient } from '../src/kafka';
import { planSimulation, type SimulationOptions } from '../src/simulator/plan';
import { produceMessages } from '../src/simulator/produce';

export const kafka: KafkaClient = createKafka({ brokers: env.KAFKA_BROKERS, clientId: 'meterops-it' });

export interface TestDatabase {
  url: string;
  db: Db;
  sql: Sql;
  drop(): Promise<void>;
}

/** A new, migrated database on the configured server, dropped by `drop()`. */
export async function createTestDatabase(
  meters = 0,
  options: { serverUrl?: string } = {},
): Promise<TestDatabase> {
  const name = `meterops_it_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const serverUrl = new URL(options.serverUrl ?? env.DATABASE_URL);
  const admin = postgres({ ...adminOptions(serverUrl), onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl.toString());
  url.pathname = `/${name}`;
  await runMigrations(url.toString());
  const { db, sql, close } = createDb({ url: url.toString(), max: 6, applicationName: 'meterops-it' });
  if (meters > 0) await seedFleet(db, { meters });
  return {
    url: url.toString(),
    db,
    sql,
    async drop() {
      await close();
      const dropper = postgres({ ...adminOptions(serverUrl), onnotice: () => {} });
      await dropper.unsafe(`drop database if exists ${name} with (force)`);
      await dropper.end();
    },
  };
}

function adminOptions(serverUrl: URL) {
  const url = new URL(serverUrl.toString());
  url.pathname = '/postgres';
  return { ...parseUrl(url), max: 1 };
}

function parseUrl(url: URL) {
  return {
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username || 'postgres'),
    password: url.password ? decodeURIComponent(url.password) : undefined,
    database: url.pathname.slice(1),
  };
}

export interface TestTopics {
  topic: string;
  dlqTopic: string;
  groupId: string;
}

export async function createTestTopics(partitions = 3, client: KafkaClient = kafka): Promise<TestTopics> {
  const id = randomUUID().slice(0, 8);
  const topics = { topic: `it.${id}.readings`, dlqTopic: `it.${id}.readings.dlq`, groupId: `it-${id}` };
  await ensureTopics(client, [
    { topic: topics.topic, numPartitions: partitions },
    { topic: topics.dlqTopic, numPartitions: 1 },
  ]);
  return topics;
}

export const silentLog = pino({ level: 'silent' });

/** A metrics writer to the real InfluxDB test database (or any url, e.g. one where nothing listens). */
export function testMetrics(url = env.INFLUX_URL): MetricsWriter {
  return createMetricsWriter({ url, database: env.INFLUX_DB, onError: () => {}, closeTimeoutMs: 2_000 });
}

export interface RunningIngest {
  service: IngestService;
  outcomes: (BatchOutcome & { partition: number; lastOffset: string })[];
  totals(): {
    inserted: number;
    revised: number;
    duplicates: number;
    rejected: number;
    records: number;
    redelivered: number;
  };
  stop(): Promise<void>;
}

export async function startIngest(
  database: TestDatabase,
  topics: TestTopics,
  options: {
    metrics?: MetricsWriter;
    workerId?: string;
    kafka?: KafkaClient;
    /** Where accepted readings are published; none by default. */
    validatedTopic?: string;
    /** Passed to the service: short intervals let tests see reports and sweeps quickly. */
    service?: Partial<
      Pick<
        IngestServiceOptions,
        'statusIntervalMs' | 'maxBackoffMs' | 'deadLetterSweep' | 'watchdogMs' | 'settingsMaxAgeMs'
      >
    >;
  } = {},
): Promise<RunningIngest> {
  const outcomes: RunningIngest['outcomes'] = [];
  const metrics = options.metrics ?? testMetrics();
  const service = new IngestService({
    ...options.service,
    kafka: options.kafka ?? kafka,
    db: database.db,
    sql: database.sql,
    metrics,
    log: silentLog,
    topic: topics.topic,
    dlqTopic: topics.dlqTopic,
    validatedTopic: options.validatedTopic ?? null,
    groupId: topics.groupId,
    workerId: options.workerId ?? 'it-worker',
    concurrency: 3,
    lagReportIntervalMs: 1_000,
    onBatchCommitted: (outcome) => outcomes.push(outcome),
  });
  await service.start();
  return {
    service,
    outcomes,
    totals: () =>
      outcomes.reduce(
        (sum, outcome) => ({
          inserted: sum.inserted + outcome.inserted,
          revised: sum.revised + outcome.revised,
          duplicates: sum.duplicates + outcome.duplicates,
          rejected: sum.rejected + outcome.rejected,
          records: sum.records + outcome.records,
          redelivered: sum.redelivered + outcome.redelivered,
        }),
        { inserted: 0, revised: 0, duplicates: 0, rejected: 0, records: 0, redelivered: 0 },
      ),
    async stop() {
      await service.stop();
      if (!options.metrics) await metrics.close();
    },
  };
}

/** Plans a simulation for the test fleet and sends it; returns the manifest of the correct outcome. */
export async function simulate(topics: TestTopics, options: SimulationOptions, client: KafkaClient = kafka) {
  const planned = planSimulation(options);
  await produceMessages(client, { topic: topics.topic, messages: planned.messages() });
  return planned.manifest;
}

/** Waits until the group has committed everything produced to the topic. */
export async function waitForCaughtUp(
  topics: TestTopics,
  timeoutMs = 60_000,
  client: KafkaClient = kafka,
): Promise<void> {
  const probe = createLagProbe(client, topics.groupId, topics.topic);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      // A broker that was just restarted answers with leadership errors for a moment: ask again.
      const lags = await probe.read().catch((error: unknown) => {
        if (Date.now() > deadline) throw error;
        return null;
      });
      if (lags === null) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        continue;
      }
      if (lags.every((entry) => entry.lag === 0n)) return;
      if (Date.now() > deadline) {
        throw new Error(
          `consumer group ${topics.groupId} still lags: ${lags.map((l) => `${l.partition}:${l.lag}`).join(' ')}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await probe.stop();
  }
}

/** The database's view of what ingest stored, to compare with a simulation manifest. */
export async function storedSummary(sql: Sql) {
  const [readings] = await sql<{ count: number; kwh: string }[]>`
    select count(*)::int as count, coalesce(sum(kwh), 0)::numeric(18,4)::text as kwh from readings`;
  const byMeter = await sql<{ meterId: string; count: number; kwh: string }[]>`
    select meter_id as "meterId", count(*)::int as count, sum(kwh)::numeric(18,4)::text as kwh
    from readings group by meter_id`;
  const rejected = await sql<{ rule: string; count: number }[]>`
    select rule, count(*)::int as count from rejected_readings group by rule`;
  const [revisions] = await sql<{ count: number }[]>`select count(*)::int as count from reading_revisions`;
  return {
    readings: readings?.count ?? 0,
    totalKwh: readings?.kwh ?? '0.0000',
    kwhByMeter: Object.fromEntries(byMeter.map((row) => [row.meterId, row.kwh])),
    readingsByMeter: Object.fromEntries(byMeter.map((row) => [row.meterId, row.count])),
    rejectedByRule: Object.fromEntries(rejected.map((row) => [row.rule, row.count])),
    revisions: revisions?.count ?? 0,
  };
}

/**
 * Every aggregate compared with a fresh computation from the readings: rows where they differ. An empty
 * list means the speed layer's increments equal the sums of the readings.
 */
export async function aggregateMismatches(sql: Sql) {
  const hourly = await sql`
    with truth as (
      select meter_id, date_bin('1 hour', interval_start, '2000-01-01Z') as hour_start, sum(kwh) as kwh, count(*)::int as n
      from readings group by 1, 2
    )
    select 'hourly' as level, coalesce(t.meter_id, h.meter_id) as key, t.kwh as expected, h.kwh as actual
    from truth t full join meter_usage_hourly h using (meter_id, hour_start)
    where t.kwh is distinct from h.kwh or t.n is distinct from h.actual_intervals`;
  const daily = await sql`
    with arrivals as (
      select r.meter_id, (r.interval_start at time zone m.time_zone)::date as day, m.time_zone, r.kwh, r.quality,
             case when r.version = 1 then r.first_received_at
                  else coalesce((select min(v.created_at) from reading_revisions v
                                 where v.meter_id = r.meter_id and v.interval_start = r.interval_start
                                   and v.old_quality = 'estimated' and v.new_quality = 'actual'),
                                r.first_received_at) end as arrival
      from readings r join meters m on m.id = r.meter_id
    ),
    truth as (
      select meter_id, day, sum(kwh) as kwh, count(*)::int as n,
             (count(*) filter (where quality = 'actual' and arrival < ((day + 2)::timestamp at time zone time_zone)))::int as by_d1,
             (count(*) filter (where quality = 'actual' and arrival < ((day + 6)::timestamp at time zone time_zone)))::int as by_d5
      from arrivals group by 1, 2
    )
    select 'daily' as level, coalesce(t.meter_id, d.meter_id) || ' ' || coalesce(t.day, d.day) as key, t.kwh as expected, d.kwh as actual
    from truth t full join meter_usage_daily d using (meter_id, day)
    where t.kwh is distinct from d.kwh or t.n is distinct from d.actual_intervals
       or t.by_d1 is distinct from coalesce(d.actual_by_d1_intervals, t.by_d1)
       or t.by_d5 is distinct from coalesce(d.actual_by_d5_intervals, t.by_d5)`;
  const dimensions = await sql`
    with truth as (
      select (r.interval_start at time zone m.time_zone)::date as day, dim.dimension, dim.key, sum(r.kwh) as kwh, count(*)::int as n
      from readings r join meters m on m.id = r.meter_id
      cross join lateral (values ('region'::usage_dimension, m.region), ('segment', m.segment::text), ('tariff', m.tariff_id)) as dim(dimension, key)
      group by 1, 2, 3
    )
    select 'dimension' as level, coalesce(t.dimension, d.dimension) || ' ' || coalesce(t.key, d.key) || ' ' || coalesce(t.day, d.day) as key,
           t.kwh as expected, d.kwh as actual
    from truth t full join dimension_usage_daily d using (day, dimension, key)
    where t.kwh is distinct from d.kwh or t.n is distinct from d.actual_intervals`;
  const dimensionHours = await sql`
    with truth as (
      select date_bin('1 hour', r.interval_start, '2000-01-01Z') as hour_start, dim.dimension, dim.key, sum(r.kwh) as kwh, count(*)::int as n
      from readings r join meters m on m.id = r.meter_id
      cross join lateral (values ('region'::usage_dimension, m.region), ('segment', m.segment::text), ('tariff', m.tariff_id)) as dim(dimension, key)
      group by 1, 2, 3
    )
    select 'dimension hour' as level, coalesce(t.dimension, d.dimension) || ' ' || coalesce(t.key, d.key) || ' ' || coalesce(t.hour_start, d.hour_start) as key,
           t.kwh as expected, d.kwh as actual
    from truth t full join dimension_usage_hourly d using (hour_start, dimension, key)
    where t.kwh is distinct from d.kwh or t.n is distinct from d.actual_intervals`;
  const settlement = await sql`
    with truth as (
      select m.region, date_bin('30 minutes', r.interval_start, '2000-01-01Z') as period_start, sum(r.kwh) as kwh, count(*)::int as n
      from readings r join meters m on m.id = r.meter_id group by 1, 2
    )
    select 'settlement' as level, coalesce(t.region, s.region) || ' ' || coalesce(t.period_start, s.period_start) as key,
           t.kwh as expected, s.kwh as actual
    from truth t full join settlement_period_usage s using (region, period_start)
    where t.kwh is distinct from s.kwh or t.n is distinct from s.actual_intervals`;
  return [...hourly, ...daily, ...dimensions, ...dimensionHours, ...settlement];
}

/** `items[index]`, failing the test when there is no such element (instead of a non-null assertion). */
export function nth<T>(items: readonly T[], index: number): T {
  const item = index < 0 ? items.at(index) : items[index];
  if (item === undefined) throw new Error(`expected an element at ${index} of ${items.length}`);
  return item;
}

/**
 * What ingest stored equals the simulation's manifest exactly (readings, kWh in total and per meter,
 * rejections by rule, revisions), and every aggregate equals a recomputation from the readings.
 */
export async function expectStoredAsManifest(
  sql: Sql,
  manifest: ReturnType<typeof planSimulation>['manifest'],
) {
  const stored = await storedSummary(sql);
  expect(stored.readings).toBe(manifest.expected.storedReadings);
  expect(stored.totalKwh).toBe(manifest.expected.totalKwh);
  expect(stored.kwhByMeter).toEqual(manifest.expected.kwhByMeter);
  expect(stored.rejectedByRule).toEqual(manifest.expected.rejectedByRule);
  expect(stored.revisions).toBe(manifest.expected.revisions);
  expect(await aggregateMismatches(sql)).toEqual([]);
}
