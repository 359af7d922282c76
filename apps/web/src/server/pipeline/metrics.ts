/**
 * InfluxQL reads of the tracking metrics the ingest worker writes (`@meterops/metrics/measurements`).
 * Functions shaped `(influx, params)`, like the Postgres query layer; the pipeline router combines them.
 * Every value reaches InfluxDB as a bound parameter.
 */
import { MEASUREMENT } from '@meterops/metrics/measurements';
import type { InfluxQuery, InfluxSeries } from '@meterops/metrics/query';
import type { CommitSample, LagSample } from './evaluate';

export interface TimeRange {
  from: Date;
  to: Date;
}

interface Bucketed extends TimeRange {
  /** InfluxQL duration literal of one bucket, e.g. `1m`. */
  bucket: string;
}

/** A consumer group's partition, as tagged by the worker. */
export interface PartitionKey {
  group: string;
  topic: string;
  partition: number;
}

export const partitionId = (key: PartitionKey) => `${key.group}\u0000${key.topic}\u0000${key.partition}`;

function keyOf(series: InfluxSeries<object>): PartitionKey {
  return {
    group: series.tags.group ?? '',
    topic: series.tags.topic ?? '',
    partition: Number(series.tags.partition ?? -1),
  };
}

const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
const numOrNull = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;

export interface ThroughputPoint {
  /** Start of the bucket, epoch ms. */
  time: number;
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

export async function readThroughput(influx: InfluxQuery, params: Bucketed): Promise<ThroughputPoint[]> {
  const [series] = await influx.query<Record<string, unknown> & { time: number }>(
    `SELECT SUM("records") AS messages, SUM("accepted") AS stored, SUM("duplicates") AS duplicates,
            SUM("rejected") AS rejected, SUM("revised") AS revised
     FROM "${MEASUREMENT.ingestBatch}" WHERE time >= $from AND time <= $to GROUP BY time($bucket) fill(0)`,
    { from: params.from, to: params.to, bucket: { duration: params.bucket } },
  );
  return (series?.rows ?? []).map((row) => ({
    time: row.time,
    messages: num(row.messages),
    stored: num(row.stored),
    duplicates: num(row.duplicates),
    rejected: num(row.rejected),
    revised: num(row.revised),
  }));
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

export interface LatencyPoint extends LatencySummary {
  time: number;
}

const latencySelect = `COUNT("db_ms") AS batches,
  PERCENTILE("db_ms", 50) AS db_p50, PERCENTILE("db_ms", 95) AS db_p95, PERCENTILE("db_ms", 99) AS db_p99,
  PERCENTILE("e2e_ms", 50) AS e2e_p50, PERCENTILE("e2e_ms", 95) AS e2e_p95, PERCENTILE("e2e_ms", 99) AS e2e_p99`;

function toLatency(row: Record<string, unknown>): LatencySummary {
  return {
    batches: num(row.batches),
    dbMs: { p50: numOrNull(row.db_p50), p95: numOrNull(row.db_p95), p99: numOrNull(row.db_p99) },
    e2eMs: { p50: numOrNull(row.e2e_p50), p95: numOrNull(row.e2e_p95), p99: numOrNull(row.e2e_p99) },
  };
}

/** Batch latency percentiles (InfluxDB's nearest-rank PERCENTILE) over the range and per bucket. */
export async function readLatency(
  influx: InfluxQuery,
  params: Bucketed,
): Promise<{ summary: LatencySummary; points: LatencyPoint[] }> {
  const bound = { from: params.from, to: params.to };
  const [summarySeries, bucketSeries] = await Promise.all([
    influx.query<Record<string, unknown> & { time: number }>(
      `SELECT ${latencySelect} FROM "${MEASUREMENT.ingestBatch}" WHERE time >= $from AND time <= $to`,
      bound,
    ),
    influx.query<Record<string, unknown> & { time: number }>(
      `SELECT ${latencySelect} FROM "${MEASUREMENT.ingestBatch}" WHERE time >= $from AND time <= $to
       GROUP BY time($bucket) fill(none)`,
      { ...bound, bucket: { duration: params.bucket } },
    ),
  ]);
  const summaryRow = summarySeries[0]?.rows[0];
  return {
    summary: summaryRow
      ? toLatency(summaryRow)
      : { batches: 0, dbMs: { p50: null, p95: null, p99: null }, e2eMs: { p50: null, p95: null, p99: null } },
    points: (bucketSeries[0]?.rows ?? [])
      .map((row) => ({ time: row.time, ...toLatency(row) }))
      .filter((point) => point.batches > 0),
  };
}

export interface RuleCount {
  rule: string;
  rejected: number;
  flagged: number;
}

/** Readings each VEE rule rejected or flagged in the range. */
export async function readRuleCounts(influx: InfluxQuery, params: TimeRange): Promise<RuleCount[]> {
  const series = await influx.query<{ time: number; count: number | null }>(
    `SELECT SUM("count") AS "count" FROM "${MEASUREMENT.validation}" WHERE time >= $from AND time <= $to
     GROUP BY "rule", "outcome"`,
    { from: params.from, to: params.to },
  );
  const byRule = new Map<string, RuleCount>();
  for (const entry of series) {
    const rule = entry.tags.rule ?? '';
    const outcome = entry.tags.outcome;
    const count = num(entry.rows[0]?.count);
    const current = byRule.get(rule) ?? { rule, rejected: 0, flagged: 0 };
    if (outcome === 'rejected') current.rejected += count;
    else if (outcome === 'flagged') current.flagged += count;
    byRule.set(rule, current);
  }
  return [...byRule.values()]
    .filter((entry) => entry.rejected + entry.flagged > 0)
    .sort((a, b) => b.rejected - a.rejected || b.flagged - a.flagged || a.rule.localeCompare(b.rule));
}

export interface PartitionLagSeries extends PartitionKey {
  points: { time: number; offsets: number; seconds: number }[];
}

/** Highest lag of each partition in each bucket. */
export async function readLagSeries(influx: InfluxQuery, params: Bucketed): Promise<PartitionLagSeries[]> {
  const series = await influx.query<{ time: number; offsets: number | null; seconds: number | null }>(
    `SELECT MAX("offsets") AS offsets, MAX("seconds") AS seconds FROM "${MEASUREMENT.consumerLag}"
     WHERE time >= $from AND time <= $to GROUP BY time($bucket), "group", "topic", "partition" fill(none)`,
    { from: params.from, to: params.to, bucket: { duration: params.bucket } },
  );
  return series.map((entry) => ({
    ...keyOf(entry),
    points: entry.rows.map((row) => ({ time: row.time, offsets: num(row.offsets), seconds: num(row.seconds) })),
  }));
}

export interface PartitionSamples extends PartitionKey {
  /** Lag samples as reported, oldest first. */
  lag: (LagSample & { seconds: number })[];
}

/** Every lag sample since `since`, per partition, for the status evaluation. */
export async function readLagSamples(
  influx: InfluxQuery,
  params: { since: Date; until: Date },
): Promise<PartitionSamples[]> {
  const series = await influx.query<{ time: number; offsets: number | null; seconds: number | null }>(
    `SELECT "offsets", "seconds" FROM "${MEASUREMENT.consumerLag}" WHERE time > $since AND time <= $until
     GROUP BY "group", "topic", "partition"`,
    { since: params.since, until: params.until },
  );
  return series.map((entry) => ({
    ...keyOf(entry),
    lag: entry.rows
      .filter((row) => row.offsets !== null)
      .map((row) => ({ time: row.time, offsets: num(row.offsets), seconds: num(row.seconds) })),
  }));
}

export interface PartitionCommits extends PartitionKey {
  /** Last commit at or before the window start (within the horizon). */
  beforeWindow: CommitSample | null;
  /** First and last commit inside the window. */
  firstInWindow: CommitSample | null;
  last: CommitSample | null;
}

/**
 * What the commits say about each partition: the last one before the window, the first inside it, and
 * the latest one within `horizon` (the oldest commit the page looks for).
 */
export async function readCommits(
  influx: InfluxQuery,
  params: { horizon: Date; windowStart: Date; until: Date },
): Promise<PartitionCommits[]> {
  type Row = { time: number; offset: number | null };
  const measurement = MEASUREMENT.commit;
  const [last, before, first] = await Promise.all([
    influx.query<Row>(
      `SELECT LAST("offset") AS "offset" FROM "${measurement}" WHERE time > $horizon AND time <= $until
       GROUP BY "group", "topic", "partition"`,
      { horizon: params.horizon, until: params.until },
    ),
    influx.query<Row>(
      `SELECT LAST("offset") AS "offset" FROM "${measurement}" WHERE time > $horizon AND time <= $windowStart
       GROUP BY "group", "topic", "partition"`,
      { horizon: params.horizon, windowStart: params.windowStart },
    ),
    influx.query<Row>(
      `SELECT FIRST("offset") AS "offset" FROM "${measurement}" WHERE time > $windowStart AND time <= $until
       GROUP BY "group", "topic", "partition"`,
      { windowStart: params.windowStart, until: params.until },
    ),
  ]);
  const byPartition = new Map<string, PartitionCommits>();
  const entry = (series: InfluxSeries<Row>) => {
    const key = keyOf(series);
    const id = partitionId(key);
    let found = byPartition.get(id);
    if (!found) byPartition.set(id, (found = { ...key, beforeWindow: null, firstInWindow: null, last: null }));
    const row = series.rows[0];
    return { found, sample: row && row.offset !== null ? { time: row.time, offset: row.offset } : null };
  };
  for (const series of last) {
    const { found, sample } = entry(series);
    found.last = sample;
  }
  for (const series of before) {
    const { found, sample } = entry(series);
    found.beforeWindow = sample;
  }
  for (const series of first) {
    const { found, sample } = entry(series);
    found.firstInWindow = sample;
  }
  return [...byPartition.values()];
}
