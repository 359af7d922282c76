/**
 * Pipeline health from the tracking metrics in InfluxDB (and the ingest positions stored in Postgres).
 * Ranges always end now; the consumer status is judged over the last STATUS_WINDOW_MS whatever the range.
 */
import { z } from 'zod';
import { ingestPositions } from '@meterops/db/queries/pipeline';
import { pipelineRanges, pipelineRangeSchema, type PipelineRange } from '../../lib/ops-params';
import {
  estimateLagTrend,
  evaluatePartition,
  statusSeverity,
  type CommitSample,
  type PartitionStatus,
} from '../pipeline/evaluate';
import {
  partitionId,
  readCommits,
  readLagSamples,
  readLagSeries,
  readLatency,
  readRuleCounts,
  readThroughput,
  type PartitionKey,
} from '../pipeline/metrics';
import { router, withRole } from '../trpc';

/** The sliding window of the Burrow-style evaluation and of the lag trend. */
export const STATUS_WINDOW_MS = 5 * 60_000;
/** Commits older than the longest range are not looked for. */
const COMMIT_HORIZON_MS = pipelineRanges['7d'].ms;

const opsProcedure = withRole('operator', 'admin');
const rangeInput = z.object({ range: pipelineRangeSchema });

function rangeOf(range: PipelineRange, now = Date.now()) {
  const spec = pipelineRanges[range];
  return { from: new Date(now - spec.ms), to: new Date(now), bucket: spec.bucket, bucketMs: spec.bucketMs };
}

const rangeOutput = { from: z.date(), to: z.date(), bucketMs: z.number().int().positive() };
const percentiles = z.object({ p50: z.number().nullable(), p95: z.number().nullable(), p99: z.number().nullable() });
const latencySummary = z.object({ batches: z.number().int().nonnegative(), dbMs: percentiles, e2eMs: percentiles });
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
      const points = (await readThroughput(ctx.influx, range)).map((point) => ({
        ...point,
        readingsIn: point.stored + point.duplicates + point.rejected,
      }));
      const totals = { messages: 0, readingsIn: 0, stored: 0, duplicates: 0, rejected: 0, revised: 0 };
      for (const point of points) {
        for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += point[key];
      }
      return { from: range.from, to: range.to, bucketMs: range.bucketMs, points, totals };
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
      const { summary, points } = await readLatency(ctx.influx, range);
      return { from: range.from, to: range.to, bucketMs: range.bucketMs, summary, points };
    }),

  /** Readings rejected and flagged per VEE rule. */
  rules: opsProcedure
    .input(rangeInput)
    .output(
      z.object({
        ...rangeOutput,
        rules: z.array(
          z.object({ rule: z.string(), rejected: z.number().int(), flagged: z.number().int() }),
        ),
      }),
    )
    .query(async ({ ctx, input }) => {
      const range = rangeOf(input.range);
      return { from: range.from, to: range.to, bucketMs: range.bucketMs, rules: await readRuleCounts(ctx.influx, range) };
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
      const windowStart = new Date(now - STATUS_WINDOW_MS);
      const [samples, commits, series, positions] = await Promise.all([
        readLagSamples(ctx.influx, { since: windowStart, until: range.to }),
        readCommits(ctx.influx, { horizon: new Date(now - COMMIT_HORIZON_MS), windowStart, until: range.to }),
        readLagSeries(ctx.influx, range),
        ingestPositions(ctx.db),
      ]);

      const keys = new Map<string, PartitionKey>();
      for (const entry of [...samples, ...commits, ...series]) {
        keys.set(partitionId(entry), { group: entry.group, topic: entry.topic, partition: entry.partition });
      }
      const samplesById = new Map(samples.map((entry) => [partitionId(entry), entry.lag]));
      const commitsById = new Map(commits.map((entry) => [partitionId(entry), entry]));
      const positionsById = new Map(positions.map((row) => [partitionId({ group: row.consumerGroup, ...row }), row]));
      const multipleTopics = new Set([...keys.values()].map((key) => `${key.group}\u0000${key.topic}`)).size > 1;
      const labelOf = (key: PartitionKey) =>
        multipleTopics ? `${key.group} · ${key.topic} · ${key.partition}` : `Partition ${key.partition}`;

      const partitions = [...keys.entries()]
        .sort(([, a], [, b]) => a.group.localeCompare(b.group) || a.topic.localeCompare(b.topic) || a.partition - b.partition)
        .map(([id, key]) => {
          const lag = samplesById.get(id) ?? [];
          const commit = commitsById.get(id);
          const judged: CommitSample[] = [];
          if (commit?.beforeWindow) judged.push(commit.beforeWindow);
          if (commit?.firstInWindow) judged.push(commit.firstInWindow);
          if (commit?.last && commit.last.time > windowStart.getTime()) judged.push(commit.last);
          // A last commit before the window still tells STOP how long ago it was.
          if (judged.length === 0 && commit?.last) judged.push(commit.last);
          const verdict = evaluatePartition({ now, windowMs: STATUS_WINDOW_MS, lag, commits: judged });
          const latest = lag.at(-1);
          const position = positionsById.get(id);
          return {
            id,
            ...key,
            lagOffsets: latest?.offsets ?? null,
            lagSeconds: latest?.seconds ?? null,
            lagReportedAt: latest ? new Date(latest.time) : null,
            status: verdict.status,
            reason: verdict.reason,
            lastCommitAt: commit?.last ? new Date(commit.last.time) : null,
            committedOffset: commit?.last?.offset ?? null,
            storedNextOffset: position?.nextOffset ?? null,
            storedAt: position?.updatedAt ?? null,
            worst: false,
          };
        });

      const worst = partitions
        .filter((partition) => (partition.lagOffsets ?? 0) > 0)
        .sort((a, b) => (b.lagOffsets ?? 0) - (a.lagOffsets ?? 0) || (b.lagSeconds ?? 0) - (a.lagSeconds ?? 0))[0];
      if (worst) worst.worst = true;

      const status = partitions.reduce<PartitionStatus>(
        (current, partition) => (statusSeverity[partition.status] > statusSeverity[current] ? partition.status : current),
        'OK',
      );
      const lastCommit = Math.max(...partitions.map((partition) => partition.lastCommitAt?.getTime() ?? -Infinity));
      const lastStored = Math.max(...partitions.map((partition) => partition.storedAt?.getTime() ?? -Infinity));

      return {
        from: range.from,
        to: range.to,
        bucketMs: range.bucketMs,
        evaluatedAt: new Date(now),
        windowMs: STATUS_WINDOW_MS,
        status: partitions.length === 0 ? 'UNKNOWN' : status,
        partitions,
        totalLagOffsets: partitions.reduce((sum, partition) => sum + (partition.lagOffsets ?? 0), 0),
        trend: estimateLagTrend([...samplesById.values()], STATUS_WINDOW_MS),
        freshness: {
          lastCommitAt: Number.isFinite(lastCommit) ? new Date(lastCommit) : null,
          lastStoredAt: Number.isFinite(lastStored) ? new Date(lastStored) : null,
        },
        series: series
          .map((entry) => ({ id: partitionId(entry), label: labelOf(entry), points: entry.points, key: entry }))
          .sort((a, b) => a.key.partition - b.key.partition)
          .map(({ key: _key, ...entry }) => entry),
      };
    }),
});
