/**
 * InfluxQL reads of the tracking metrics the ingest worker writes (`../measurements`). Functions shaped
 * `(influx, params)`, like the Postgres query layer; the pipeline router combines them (and keeps settled
 * buckets in a BucketCache). Every value reaches InfluxDB as a bound parameter.
 *
 * Long ranges (`hourly: true`, buckets of whole hours) read the hourly series the continuous queries
 * fill (`long_term.*_1h`, see ../retention.ts) up to the last hour surely downsampled, and the raw points
 * only after it, so a 90-day chart reads about 2,000 hourly rows per series instead of every batch.
 */
import { MEASUREMENT } from '../measurements';
import type { InfluxQuery, InfluxSeries } from '../query';
import { hourly, LONG_TERM_POLICY } from '../retention';
import { keyOf, partitionId, type PartitionKey, type TimeRange } from '../consumer-reads';
import { alignDown, nearestRank } from './bucket-cache';

export type { TimeRange };

interface Bucketed extends TimeRange {
  bucketMs: number;
  /** Read the hourly series up to `downsampledUntil(to)`; the buckets must be whole hours. */
  hourly?: boolean;
}

const HOUR_MS = 3_600_000;
/** The continuous queries run as each hour ends; this long after, the hour is taken as downsampled. */
const DOWNSAMPLE_DELAY_MS = 5 * 60_000;

/** Start of the raw part of a long range that ends at `to`: every hour before it is in the hourly series. */
export const downsampledUntil = (to: number) => alignDown(to - DOWNSAMPLE_DELAY_MS, HOUR_MS);

interface Part {
  /** Measurement as written in FROM: the raw one, or the policy-qualified hourly one. */
  from: string;
  params: { from: Date; to: Date };
  /** `<` for the hourly part (it ends where the raw part begins), `<=` for the raw part. */
  upper: '<' | '<=';
}

/** The hourly and the raw part of a range, or the raw part alone. */
function parts(measurement: string, params: Bucketed): Part[] {
  const raw = (from: number): Part => ({
    from: `"${measurement}"`,
    params: { from: new Date(from), to: new Date(params.to) },
    upper: '<=',
  });
  const cut = downsampledUntil(params.to);
  if (!params.hourly || cut <= params.from) return [raw(params.from)];
  return [
    {
      from: `"${LONG_TERM_POLICY}"."${hourly(measurement)}"`,
      params: { from: new Date(params.from), to: new Date(cut) },
      upper: '<',
    },
    raw(cut),
  ];
}

const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
const duration = (ms: number) => ({ duration: `${Math.round(ms / 1000)}s` });
const range = (params: TimeRange) => ({ from: new Date(params.from), to: new Date(params.to) });

export interface ThroughputCounts {
  /** Kafka messages consumed. */
  messages: number;
  /** Readings inserted or changed in Postgres. */
  stored: number;
  /** Readings identical to the stored ones (redeliveries, resends of the same value). */
  duplicates: number;
  /** Rejections quarantined: one per rejected reading, one per rejected whole message. */
  rejected: number;
  /** Stored readings that replaced a different value (part of `stored`). */
  revised: number;
}

export const emptyThroughput = (): ThroughputCounts => ({
  messages: 0,
  stored: 0,
  duplicates: 0,
  rejected: 0,
  revised: 0,
});

/** Sums of `ingest_batch` per bucket. */
export async function fetchThroughput(
  influx: InfluxQuery,
  params: Bucketed,
): Promise<Map<number, ThroughputCounts>> {
  const buckets = new Map<number, ThroughputCounts>();
  for (const part of parts(MEASUREMENT.ingestBatch, params)) {
    // The hourly series keeps the batch counters' sums under the same field names.
    const [series] = await influx.query<Record<string, unknown> & { time: number }>(
      `SELECT SUM("records") AS messages, SUM("accepted") AS stored, SUM("duplicates") AS duplicates,
              SUM("rejected") AS rejected, SUM("revised") AS revised
       FROM ${part.from} WHERE time >= $from AND time ${part.upper} $to GROUP BY time($bucket) fill(none)`,
      { ...part.params, bucket: duration(params.bucketMs) },
    );
    for (const row of series?.rows ?? []) {
      const counts = buckets.get(row.time) ?? emptyThroughput();
      counts.messages += num(row.messages);
      counts.stored += num(row.stored);
      counts.duplicates += num(row.duplicates);
      counts.rejected += num(row.rejected);
      counts.revised += num(row.revised);
      buckets.set(row.time, counts);
    }
  }
  return buckets;
}

export interface LatencyValues {
  /** Every batch's Postgres transaction time in the bucket, ascending. */
  dbMs: number[];
  /** Every batch's end-to-end latency in the bucket, ascending. */
  e2eMs: number[];
}

/**
 * The raw latencies of every batch, per bucket. Percentiles do not add up across buckets, so the
 * values themselves are kept; at one point per batch that is a few hundred thousand numbers a week.
 */
export async function fetchLatencyValues(
  influx: InfluxQuery,
  params: Bucketed,
): Promise<Map<number, LatencyValues>> {
  const [series] = await influx.query<{ time: number; db_ms: number | null; e2e_ms: number | null }>(
    `SELECT "db_ms", "e2e_ms" FROM "${MEASUREMENT.ingestBatch}" WHERE time >= $from AND time <= $to`,
    range(params),
  );
  const buckets = new Map<number, LatencyValues>();
  for (const row of series?.rows ?? []) {
    const start = alignDown(row.time, params.bucketMs);
    let bucket = buckets.get(start);
    if (!bucket) buckets.set(start, (bucket = { dbMs: [], e2eMs: [] }));
    if (typeof row.db_ms === 'number') bucket.dbMs.push(row.db_ms);
    if (typeof row.e2e_ms === 'number') bucket.e2eMs.push(row.e2e_ms);
  }
  for (const bucket of buckets.values()) {
    bucket.dbMs.sort((a, b) => a - b);
    bucket.e2eMs.sort((a, b) => a - b);
  }
  return buckets;
}

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface LatencySummary {
  batches: number;
  dbMs: Percentiles;
  e2eMs: Percentiles;
}

export const emptyLatencySummary = (): LatencySummary => ({
  batches: 0,
  dbMs: { p50: null, p95: null, p99: null },
  e2eMs: { p50: null, p95: null, p99: null },
});

/** Nearest-rank percentiles (as InfluxQL's PERCENTILE) of one bucket's sorted latencies. */
export function summarizeLatency(values: LatencyValues): LatencySummary {
  const pick = (sorted: readonly number[]): Percentiles => ({
    p50: nearestRank(sorted, 50),
    p95: nearestRank(sorted, 95),
    p99: nearestRank(sorted, 99),
  });
  return { batches: values.dbMs.length, dbMs: pick(values.dbMs), e2eMs: pick(values.e2eMs) };
}

const higher = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

/** Two summaries as one: batches add up, each percentile is the higher of the two (the worse hour). */
export function worseLatency(a: LatencySummary, b: LatencySummary): LatencySummary {
  const both = (x: Percentiles, y: Percentiles): Percentiles => ({
    p50: higher(x.p50, y.p50),
    p95: higher(x.p95, y.p95),
    p99: higher(x.p99, y.p99),
  });
  return { batches: a.batches + b.batches, dbMs: both(a.dbMs, b.dbMs), e2eMs: both(a.e2eMs, b.e2eMs) };
}

/**
 * Batch latency over a long range, per bucket, from the hourly series: percentiles do not add up across
 * hours, so each one is the highest hourly percentile in the bucket (the worst hour); the hours not yet
 * downsampled count as one more such hour, from their raw values.
 */
export async function fetchHourlyLatency(
  influx: InfluxQuery,
  params: Bucketed,
): Promise<Map<number, LatencySummary>> {
  const split = parts(MEASUREMENT.ingestBatch, { ...params, hourly: true });
  const hourlyPart = split.length === 2 ? split[0] : undefined;
  const rawFrom = split.at(-1)?.params.from.getTime() ?? params.from;
  const buckets = new Map<number, LatencySummary>();
  const add = (start: number, summary: LatencySummary) =>
    buckets.set(start, worseLatency(buckets.get(start) ?? emptyLatencySummary(), summary));
  if (hourlyPart !== undefined) {
    const [series] = await influx.query<Record<string, number | null> & { time: number }>(
      `SELECT SUM("batches") AS batches, MAX("db_ms_p50") AS db50, MAX("db_ms_p95") AS db95,
              MAX("db_ms_p99") AS db99, MAX("e2e_ms_p50") AS e2e50, MAX("e2e_ms_p95") AS e2e95,
              MAX("e2e_ms_p99") AS e2e99
       FROM ${hourlyPart.from} WHERE time >= $from AND time < $to GROUP BY time($bucket) fill(none)`,
      { ...hourlyPart.params, bucket: duration(params.bucketMs) },
    );
    const value = (row: Record<string, number | null>, key: string) => row[key] ?? null;
    for (const row of series?.rows ?? []) {
      add(row.time, {
        batches: num(row.batches),
        dbMs: { p50: value(row, 'db50'), p95: value(row, 'db95'), p99: value(row, 'db99') },
        e2eMs: { p50: value(row, 'e2e50'), p95: value(row, 'e2e95'), p99: value(row, 'e2e99') },
      });
    }
  }
  const recent = await fetchLatencyValues(influx, {
    from: rawFrom,
    to: params.to,
    bucketMs: params.bucketMs,
  });
  for (const [start, values] of recent) add(start, summarizeLatency(values));
  return buckets;
}

export interface RuleCount {
  rule: string;
  rejected: number;
  flagged: number;
}

/** Readings each VEE rule rejected or flagged, per bucket. */
export async function fetchRuleCounts(
  influx: InfluxQuery,
  params: Bucketed,
): Promise<Map<number, RuleCount[]>> {
  const series: InfluxSeries<{ time: number; count: number | null }>[] = [];
  for (const part of parts(MEASUREMENT.validation, params)) {
    series.push(
      ...(await influx.query<{ time: number; count: number | null }>(
        `SELECT SUM("count") AS "count" FROM ${part.from} WHERE time >= $from AND time ${part.upper} $to
         GROUP BY time($bucket), "rule", "outcome" fill(none)`,
        { ...part.params, bucket: duration(params.bucketMs) },
      )),
    );
  }
  const buckets = new Map<number, Map<string, RuleCount>>();
  for (const entry of series) {
    const rule = entry.tags.rule ?? '';
    for (const row of entry.rows) {
      let rules = buckets.get(row.time);
      if (!rules) buckets.set(row.time, (rules = new Map<string, RuleCount>()));
      const count = rules.get(rule) ?? { rule, rejected: 0, flagged: 0 };
      if (entry.tags.outcome === 'rejected') count.rejected += num(row.count);
      else if (entry.tags.outcome === 'flagged') count.flagged += num(row.count);
      rules.set(rule, count);
    }
  }
  return new Map([...buckets].map(([start, rules]) => [start, [...rules.values()]]));
}

export interface PartitionLag extends PartitionKey {
  offsets: number;
  seconds: number;
}

/** Highest lag of each partition in each bucket. */
export async function fetchLag(influx: InfluxQuery, params: Bucketed): Promise<Map<number, PartitionLag[]>> {
  const highest = new Map<number, Map<string, PartitionLag>>();
  for (const part of parts(MEASUREMENT.consumerLag, params)) {
    const series = await influx.query<{ time: number; offsets: number | null; seconds: number | null }>(
      `SELECT MAX("offsets") AS offsets, MAX("seconds") AS seconds FROM ${part.from}
       WHERE time >= $from AND time ${part.upper} $to GROUP BY time($bucket), "group", "topic", "partition" fill(none)`,
      { ...part.params, bucket: duration(params.bucketMs) },
    );
    for (const entry of series) {
      const key = keyOf(entry);
      const id = partitionId(key);
      for (const row of entry.rows) {
        let bucket = highest.get(row.time);
        if (!bucket) highest.set(row.time, (bucket = new Map<string, PartitionLag>()));
        const seen = bucket.get(id);
        bucket.set(id, {
          ...key,
          offsets: Math.max(seen?.offsets ?? 0, num(row.offsets)),
          seconds: Math.max(seen?.seconds ?? 0, num(row.seconds)),
        });
      }
    }
  }
  return new Map([...highest].map(([start, bucket]) => [start, [...bucket.values()]]));
}

/** A stretch of time a worker's ingest was paused (Postgres or the broker away, a consumer restarting). */
export interface WorkerIncident {
  worker: string;
  group: string;
  start: number;
  /** The last paused report; null while the worker still reports itself paused. */
  end: number | null;
  reason: string;
  /** consumer restarts during the incident */
  restarts: number;
}

/**
 * Pauses in (from, to]: consecutive paused reports of a worker (gaps shorter than `gapMs`) make one
 * incident. Only paused points are read, so the work is bounded by how long workers were paused.
 */
export async function readWorkerIncidents(
  influx: InfluxQuery,
  params: TimeRange & { gapMs: number; now: number },
): Promise<WorkerIncident[]> {
  const series = await influx.query<{
    time: number;
    reason: string | null;
    consumer_restarts: number | null;
  }>(
    `SELECT "reason", "consumer_restarts" FROM "${MEASUREMENT.workerStatus}"
     WHERE "paused" = 1 AND time > $from AND time <= $to GROUP BY "worker", "group" LIMIT 20000`,
    range(params),
  );
  const incidents: WorkerIncident[] = [];
  for (const entry of series) {
    let current: (WorkerIncident & { firstRestarts: number; lastRestarts: number }) | null = null;
    const close = () => {
      if (!current) return;
      const { firstRestarts, lastRestarts, ...incident } = current;
      incidents.push({ ...incident, restarts: lastRestarts - firstRestarts });
    };
    for (const row of entry.rows) {
      const restarts = num(row.consumer_restarts);
      if (current && current.end !== null && row.time - current.end <= params.gapMs) {
        current.end = row.time;
        current.lastRestarts = restarts;
        if (row.reason) current.reason = row.reason;
        continue;
      }
      close();
      current = {
        worker: entry.tags.worker ?? '',
        group: entry.tags.group ?? '',
        start: row.time,
        end: row.time,
        reason: row.reason ?? 'paused',
        restarts: 0,
        firstRestarts: restarts,
        lastRestarts: restarts,
      };
    }
    close();
  }
  // An incident whose last report is recent is still going on.
  return incidents
    .map((incident) =>
      incident.end !== null && params.now - incident.end <= params.gapMs
        ? { ...incident, end: null }
        : incident,
    )
    .sort((a, b) => b.start - a.start);
}
