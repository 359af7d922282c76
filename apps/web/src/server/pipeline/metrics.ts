/**
 * InfluxQL reads of the tracking metrics the ingest worker writes (`@meterops/metrics/measurements`).
 * Functions shaped `(influx, params)`, like the Postgres query layer; the pipeline router combines them
 * (and keeps settled buckets in a BucketCache). Every value reaches InfluxDB as a bound parameter.
 */
import { MEASUREMENT } from '@meterops/metrics/measurements';
import type { InfluxQuery } from '@meterops/metrics/query';
import { keyOf, type PartitionKey, type TimeRange } from '@meterops/metrics/consumer-reads';
import { alignDown } from './bucket-cache';

interface Bucketed extends TimeRange {
  bucketMs: number;
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
  const [series] = await influx.query<Record<string, unknown> & { time: number }>(
    `SELECT SUM("records") AS messages, SUM("accepted") AS stored, SUM("duplicates") AS duplicates,
            SUM("rejected") AS rejected, SUM("revised") AS revised
     FROM "${MEASUREMENT.ingestBatch}" WHERE time >= $from AND time <= $to GROUP BY time($bucket) fill(none)`,
    { ...range(params), bucket: duration(params.bucketMs) },
  );
  return new Map(
    (series?.rows ?? []).map((row) => [
      row.time,
      {
        messages: num(row.messages),
        stored: num(row.stored),
        duplicates: num(row.duplicates),
        rejected: num(row.rejected),
        revised: num(row.revised),
      },
    ]),
  );
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
  const series = await influx.query<{ time: number; count: number | null }>(
    `SELECT SUM("count") AS "count" FROM "${MEASUREMENT.validation}" WHERE time >= $from AND time <= $to
     GROUP BY time($bucket), "rule", "outcome" fill(none)`,
    { ...range(params), bucket: duration(params.bucketMs) },
  );
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
  const series = await influx.query<{ time: number; offsets: number | null; seconds: number | null }>(
    `SELECT MAX("offsets") AS offsets, MAX("seconds") AS seconds FROM "${MEASUREMENT.consumerLag}"
     WHERE time >= $from AND time <= $to GROUP BY time($bucket), "group", "topic", "partition" fill(none)`,
    { ...range(params), bucket: duration(params.bucketMs) },
  );
  const buckets = new Map<number, PartitionLag[]>();
  for (const entry of series) {
    const key = keyOf(entry);
    for (const row of entry.rows) {
      const list = buckets.get(row.time) ?? [];
      list.push({ ...key, offsets: num(row.offsets), seconds: num(row.seconds) });
      buckets.set(row.time, list);
    }
  }
  return buckets;
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
