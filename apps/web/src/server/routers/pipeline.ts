/**
 * Pipeline health from the tracking metrics in InfluxDB (and the ingest positions stored in Postgres).
 * Ranges end now and start at the bucket containing `now − range`; settled buckets come from a
 * per-process BucketCache, so a refresh asks InfluxDB only for the newest buckets. The consumer status is
 * judged over the last STATUS_WINDOW_MS whatever the range.
 */
import { z } from 'zod';
import type { InfluxQuery } from '@meterops/metrics/query';
import { ingestPositions } from '@meterops/db/queries/pipeline';
import { listWorkerHeartbeats } from '@meterops/db/queries/workers';
import { pipelineRanges, pipelineRangeSchema, type PipelineRange } from '../../lib/ops-params';
import { alignDown, BucketCache, nearestRank, nearestRankOfTwo } from '../pipeline/bucket-cache';
import {
  estimateLagTrend,
  judgeConsumers,
  statusSeverity,
  type PartitionStatus,
} from '@meterops/metrics/consumer-status';
import {
  partitionId,
  readCommit,
  readConsumerWindow,
  type PartitionCommit,
  type PartitionKey,
} from '@meterops/metrics/consumer-reads';
import {
  emptyThroughput,
  fetchLag,
  fetchLatencyValues,
  fetchRuleCounts,
  fetchThroughput,
  readWorkerIncidents,
  type LatencyValues,
  type PartitionLag,
  type RuleCount,
} from '../pipeline/metrics';
import { router, withRole } from '../trpc';

/** A worker that has not reported for this long is shown as silent (stopped, hung or cut off). */
export const WORKER_SILENT_AFTER_S = 30;

const workerCondition = z.enum([
  'consuming',
  'paused',
  'restarting',
  'starting',
  'stopping',
  'stopped',
  'silent',
]);

/** The sliding window of the Burrow-style evaluation and of the lag trend. */
export const STATUS_WINDOW_MS = 5 * 60_000;
/** Commits older than the longest range are not looked for. */
const COMMIT_HORIZON_MS = pipelineRanges['7d'].ms;
/** A commit this old is settled: no point for it will still arrive. */
const SETTLE_MS = 2 * 60_000;

const opsProcedure = withRole('operator', 'admin');
const rangeInput = z.object({ range: pipelineRangeSchema });

interface InfluxState {
  buckets: BucketCache;
  /**
   * Per range, every settled bucket's latencies merged and sorted, rebuilt only when a bucket settles or
   * leaves the range: the 7-day percentiles then cost two bisections, not a sort of a week of batches.
   */
  settledLatency: Map<PipelineRange, { key: string; values: LatencyValues }>;
  /** Each partition's newest commit up to `settledUpTo`, so the 7-day look-back runs once per process. */
  lastCommits: {
    settledUpTo: number;
    byPartition: Map<string, PartitionCommit>;
  } | null;
}

const states = new WeakMap<InfluxQuery, InfluxState>();

function stateOf(influx: InfluxQuery): InfluxState {
  let state = states.get(influx);
  if (!state) {
    state = { buckets: new BucketCache(SETTLE_MS), settledLatency: new Map(), lastCommits: null };
    states.set(influx, state);
  }
  return state;
}

function rangeOf(range: PipelineRange, now = Date.now()) {
  const spec = pipelineRanges[range];
  return { from: alignDown(now - spec.ms, spec.bucketMs), to: now, bucketMs: spec.bucketMs, range };
}

/** Each partition's newest commit: the settled part from the cache, newer ones asked of InfluxDB. */
async function lastCommits(influx: InfluxQuery, now: number) {
  const state = stateOf(influx);
  const settledUpTo = now - SETTLE_MS;
  const known = state.lastCommits ?? {
    settledUpTo: now - COMMIT_HORIZON_MS,
    byPartition: new Map<string, PartitionCommit>(),
  };
  const [settled, recent] = await Promise.all([
    settledUpTo > known.settledUpTo
      ? readCommit(influx, { from: known.settledUpTo, to: settledUpTo, which: 'last' })
      : Promise.resolve([]),
    readCommit(influx, { from: Math.max(known.settledUpTo, settledUpTo), to: now, which: 'last' }),
  ]);
  const byPartition = new Map(known.byPartition);
  for (const entry of settled) byPartition.set(partitionId(entry), entry);
  state.lastCommits = {
    settledUpTo: Math.max(known.settledUpTo, settledUpTo),
    byPartition: new Map(byPartition),
  };
  for (const entry of recent) byPartition.set(partitionId(entry), entry);
  return byPartition;
}

const rangeOutput = { from: z.date(), to: z.date(), bucketMs: z.number().int().positive() };
const percentiles = z.object({
  p50: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
});
const latencySummary = z.object({
  batches: z.number().int().nonnegative(),
  dbMs: percentiles,
  e2eMs: percentiles,
});
const partitionStatus = z.enum(['OK', 'WARN', 'STALL', 'STOP', 'UNKNOWN']);

const partitionOutput = z.object({
  id: z.string(),
  group: z.string(),
  topic: z.string(),
  partition: z.number().int(),
  /** Latest reported lag; null when none was reported in the status window. */
  lagOffsets: z.number().nullable(),
  lagSeconds: z.number().nullable(),
  lagReportedAt: z.date().nullable(),
  status: partitionStatus,
  reason: z.string(),
  lastCommitAt: z.date().nullable(),
  committedOffset: z.number().nullable(),
  /** Next offset stored in Postgres by the ingest transaction, and when it moved. */
  storedNextOffset: z.string().nullable(),
  storedAt: z.date().nullable(),
  worst: z.boolean(),
});

function summarize(values: LatencyValues) {
  const pick = (sorted: number[]) => ({
    p50: nearestRank(sorted, 50),
    p95: nearestRank(sorted, 95),
    p99: nearestRank(sorted, 99),
  });
  return { batches: values.dbMs.length, dbMs: pick(values.dbMs), e2eMs: pick(values.e2eMs) };
}

/** Merges sorted arrays into one sorted array. */
function mergeSorted(arrays: readonly number[][]): number[] {
  return arrays.flat().sort((a, b) => a - b);
}

export const pipelineRouter = router({
  /** Readings in (consumed) against readings out (stored), per bucket, with totals. */
  throughput: opsProcedure
    .input(rangeInput)
    .output(
      z.object({
        ...rangeOutput,
        points: z.array(
          z.object({
            time: z.number(),
            messages: z.number(),
            readingsIn: z.number(),
            stored: z.number(),
            duplicates: z.number(),
            rejected: z.number(),
            revised: z.number(),
          }),
        ),
        totals: z.object({
          messages: z.number(),
          readingsIn: z.number(),
          stored: z.number(),
          duplicates: z.number(),
          rejected: z.number(),
          revised: z.number(),
        }),
      }),
    )
    .query(async ({ ctx, input }) => {
      const range = rangeOf(input.range);
      const buckets = await stateOf(ctx.influx).buckets.read({
        key: 'throughput',
        ...range,
        fetch: (from, to) => fetchThroughput(ctx.influx, { from, to, bucketMs: range.bucketMs }),
        empty: emptyThroughput,
      });
      const points = buckets.map(({ start, value }) => ({
        time: start,
        ...value,
        readingsIn: value.stored + value.duplicates + value.rejected,
      }));
      const totals = { messages: 0, readingsIn: 0, stored: 0, duplicates: 0, rejected: 0, revised: 0 };
      for (const point of points) {
        for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += point[key];
      }
      return { from: new Date(range.from), to: new Date(range.to), bucketMs: range.bucketMs, points, totals };
    }),

  /** Batch latency: time in the Postgres transaction (db_ms) and interval end to commit (e2e_ms). */
  latency: opsProcedure
    .input(rangeInput)
    .output(
      z.object({
        ...rangeOutput,
        summary: latencySummary,
        points: z.array(latencySummary.extend({ time: z.number() })),
      }),
    )
    .query(async ({ ctx, input }) => {
      const range = rangeOf(input.range);
      const buckets = await stateOf(ctx.influx).buckets.read({
        key: 'latency',
        ...range,
        fetch: (from, to) => fetchLatencyValues(ctx.influx, { from, to, bucketMs: range.bucketMs }),
        empty: (): LatencyValues => ({ dbMs: [], e2eMs: [] }),
      });
      const settled = buckets.filter((bucket) => bucket.settled);
      const fresh = buckets.filter((bucket) => !bucket.settled);
      const settledKey = `${settled[0]?.start ?? ''}…${settled.at(-1)?.start ?? ''}`;
      const state = stateOf(ctx.influx);
      let merged = state.settledLatency.get(input.range);
      if (merged?.key !== settledKey) {
        merged = {
          key: settledKey,
          values: {
            dbMs: mergeSorted(settled.map(({ value }) => value.dbMs)),
            e2eMs: mergeSorted(settled.map(({ value }) => value.e2eMs)),
          },
        };
        state.settledLatency.set(input.range, merged);
      }
      const recent = {
        dbMs: mergeSorted(fresh.map(({ value }) => value.dbMs)),
        e2eMs: mergeSorted(fresh.map(({ value }) => value.e2eMs)),
      };
      const over = (field: 'dbMs' | 'e2eMs') => {
        const [a, b] = [merged.values[field], recent[field]];
        return {
          p50: nearestRankOfTwo(a, b, 50),
          p95: nearestRankOfTwo(a, b, 95),
          p99: nearestRankOfTwo(a, b, 99),
        };
      };
      const summary = {
        batches: merged.values.dbMs.length + recent.dbMs.length,
        dbMs: over('dbMs'),
        e2eMs: over('e2eMs'),
      };
      const points = buckets
        .filter(({ value }) => value.dbMs.length > 0)
        .map(({ start, value }) => ({ time: start, ...summarize(value) }));
      return {
        from: new Date(range.from),
        to: new Date(range.to),
        bucketMs: range.bucketMs,
        summary,
        points,
      };
    }),

  /** Readings rejected and flagged per VEE rule. */
  rules: opsProcedure
    .input(rangeInput)
    .output(
      z.object({
        ...rangeOutput,
        rules: z.array(z.object({ rule: z.string(), rejected: z.number().int(), flagged: z.number().int() })),
      }),
    )
    .query(async ({ ctx, input }) => {
      const range = rangeOf(input.range);
      const buckets = await stateOf(ctx.influx).buckets.read({
        key: 'rules',
        ...range,
        fetch: (from, to) => fetchRuleCounts(ctx.influx, { from, to, bucketMs: range.bucketMs }),
        empty: (): RuleCount[] => [],
      });
      const byRule = new Map<string, RuleCount>();
      for (const { value } of buckets) {
        for (const entry of value) {
          const total = byRule.get(entry.rule) ?? { rule: entry.rule, rejected: 0, flagged: 0 };
          total.rejected += entry.rejected;
          total.flagged += entry.flagged;
          byRule.set(entry.rule, total);
        }
      }
      const rules = [...byRule.values()]
        .filter((entry) => entry.rejected + entry.flagged > 0)
        .sort((a, b) => b.rejected - a.rejected || b.flagged - a.flagged || a.rule.localeCompare(b.rule));
      return { from: new Date(range.from), to: new Date(range.to), bucketMs: range.bucketMs, rules };
    }),

  /**
   * Every worker process that reported in the last day, with what it says (consuming, paused and why,
   * restarting) or that it fell silent, and the pauses over the range (from InfluxDB), so an incident and
   * its recovery stay visible afterwards.
   */
  workers: opsProcedure
    .input(rangeInput)
    .output(
      z.object({
        checkedAt: z.date(),
        workers: z.array(
          z.object({
            workerId: z.string(),
            consumerGroup: z.string(),
            host: z.string(),
            pid: z.number().int(),
            condition: workerCondition,
            pausedReason: z.string().nullable(),
            pausedSince: z.date().nullable(),
            partitions: z.array(z.number().int()),
            lastBatchAt: z.date().nullable(),
            lastFetchAt: z.date().nullable(),
            consumerRestarts: z.number().int(),
            startedAt: z.date(),
            reportedAt: z.date(),
          }),
        ),
        incidents: z.array(
          z.object({
            worker: z.string(),
            group: z.string(),
            start: z.date(),
            end: z.date().nullable(),
            reason: z.string(),
            restarts: z.number().int(),
          }),
        ),
        incidentsAvailable: z.boolean(),
      }),
    )
    .query(async ({ ctx, input }) => {
      const now = Date.now();
      const range = rangeOf(input.range, now);
      const [heartbeats, incidents] = await Promise.all([
        listWorkerHeartbeats(ctx.sql, { withinHours: 24 }),
        readWorkerIncidents(ctx.influx, { from: range.from, to: now, gapMs: 20_000, now }).catch(() => null),
      ]);
      return {
        checkedAt: new Date(now),
        workers: heartbeats.map((beat) => ({
          workerId: beat.workerId,
          consumerGroup: beat.consumerGroup,
          host: beat.host,
          pid: beat.pid,
          condition:
            beat.state === 'stopped'
              ? 'stopped'
              : beat.silentSeconds > WORKER_SILENT_AFTER_S
                ? 'silent'
                : workerCondition.catch('silent').parse(beat.state),
          pausedReason: beat.pausedReason,
          pausedSince: beat.pausedSince,
          partitions: beat.partitions,
          lastBatchAt: beat.lastBatchAt,
          lastFetchAt: beat.lastFetchAt,
          consumerRestarts: beat.consumerRestarts,
          startedAt: beat.startedAt,
          reportedAt: beat.updatedAt,
        })),
        incidents: (incidents ?? []).map((incident) => ({
          ...incident,
          start: new Date(incident.start),
          end: incident.end === null ? null : new Date(incident.end),
        })),
        incidentsAvailable: incidents !== null,
      };
    }),

  /**
   * Consumer lag per partition now (offsets and seconds) with a Burrow-style status, the group's lag
   * trend and time to catch up, freshness, and the lag over the range.
   */
  consumers: opsProcedure
    .input(rangeInput)
    .output(
      z.object({
        ...rangeOutput,
        evaluatedAt: z.date(),
        windowMs: z.number(),
        status: partitionStatus,
        partitions: z.array(partitionOutput),
        totalLagOffsets: z.number(),
        trend: z.object({
          trend: z.enum(['growing', 'shrinking', 'steady']),
          offsetsPerSecond: z.number(),
          catchUpSeconds: z.number().nullable(),
        }),
        freshness: z.object({ lastCommitAt: z.date().nullable(), lastStoredAt: z.date().nullable() }),
        series: z.array(
          z.object({
            id: z.string(),
            label: z.string(),
            points: z.array(z.object({ time: z.number(), offsets: z.number(), seconds: z.number() })),
          }),
        ),
      }),
    )
    .query(async ({ ctx, input }) => {
      const now = Date.now();
      const range = rangeOf(input.range, now);
      const [window, lagBuckets, positions] = await Promise.all([
        readConsumerWindow(ctx.influx, {
          now,
          windowMs: STATUS_WINDOW_MS,
          newestCommits: lastCommits(ctx.influx, now),
        }),
        stateOf(ctx.influx).buckets.read({
          key: 'lag',
          ...range,
          fetch: (from, to) => fetchLag(ctx.influx, { from, to, bucketMs: range.bucketMs }),
          empty: (): PartitionLag[] => [],
        }),
        ingestPositions(ctx.db),
      ]);
      const series = new Map<
        string,
        PartitionKey & { points: { time: number; offsets: number; seconds: number }[] }
      >();
      for (const { start, value } of lagBuckets) {
        for (const entry of value) {
          const id = partitionId(entry);
          let found = series.get(id);
          if (!found)
            series.set(
              id,
              (found = { group: entry.group, topic: entry.topic, partition: entry.partition, points: [] }),
            );
          found.points.push({ time: start, offsets: entry.offsets, seconds: entry.seconds });
        }
      }
      const judged = judgeConsumers(window, [...series.values()]);
      const positionsById = new Map(
        positions.map((row) => [partitionId({ group: row.consumerGroup, ...row }), row]),
      );
      const multipleTopics = new Set(judged.map((key) => `${key.group}\u0000${key.topic}`)).size > 1;
      const labelOf = (key: PartitionKey) =>
        multipleTopics ? `${key.group} · ${key.topic} · ${key.partition}` : `Partition ${key.partition}`;

      const partitions = judged.map(({ id, lag, lastCommit, verdict, ...key }) => {
        const latest = lag.at(-1);
        const position = positionsById.get(id);
        return {
          id,
          group: key.group,
          topic: key.topic,
          partition: key.partition,
          lagOffsets: latest?.offsets ?? null,
          lagSeconds: latest?.seconds ?? null,
          lagReportedAt: latest ? new Date(latest.time) : null,
          status: verdict.status,
          reason: verdict.reason,
          lastCommitAt: lastCommit ? new Date(lastCommit.time) : null,
          committedOffset: lastCommit?.offset ?? null,
          storedNextOffset: position?.nextOffset ?? null,
          storedAt: position?.updatedAt ?? null,
          worst: false,
        };
      });

      const worst = partitions
        .filter((partition) => (partition.lagOffsets ?? 0) > 0)
        .sort(
          (a, b) => (b.lagOffsets ?? 0) - (a.lagOffsets ?? 0) || (b.lagSeconds ?? 0) - (a.lagSeconds ?? 0),
        )[0];
      if (worst) worst.worst = true;

      const status = partitions.reduce<PartitionStatus>(
        (current, partition) =>
          statusSeverity[partition.status] > statusSeverity[current] ? partition.status : current,
        'OK',
      );
      const lastCommit = Math.max(
        ...partitions.map((partition) => partition.lastCommitAt?.getTime() ?? -Infinity),
      );
      const lastStored = Math.max(
        ...partitions.map((partition) => partition.storedAt?.getTime() ?? -Infinity),
      );

      return {
        from: new Date(range.from),
        to: new Date(range.to),
        bucketMs: range.bucketMs,
        evaluatedAt: new Date(now),
        windowMs: STATUS_WINDOW_MS,
        status: partitions.length === 0 ? 'UNKNOWN' : status,
        partitions,
        totalLagOffsets: partitions.reduce((sum, partition) => sum + (partition.lagOffsets ?? 0), 0),
        trend: estimateLagTrend(
          window.samples.map((entry) => entry.lag),
          STATUS_WINDOW_MS,
        ),
        freshness: {
          lastCommitAt: Number.isFinite(lastCommit) ? new Date(lastCommit) : null,
          lastStoredAt: Number.isFinite(lastStored) ? new Date(lastStored) : null,
        },
        series: [...series.values()]
          .sort(
            (a, b) =>
              a.group.localeCompare(b.group) || a.topic.localeCompare(b.topic) || a.partition - b.partition,
          )
          .map((entry) => ({ id: partitionId(entry), label: labelOf(entry), points: entry.points })),
      };
    }),
});
