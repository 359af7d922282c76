/**
 * InfluxQL reads of the consumer lag and commits the ingest worker reports, for the Burrow-style status
 * (`./consumer-status`): the pipeline page and the alert rules read the same window the same way.
 */
import { MEASUREMENT } from './measurements';
import type { InfluxQuery, InfluxSeries } from './query';
import type { CommitSample, LagSample } from './consumer-status';

export interface TimeRange {
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, inclusive. */
  to: number;
}

/** A consumer group's partition, as tagged by the worker. */
export interface PartitionKey {
  group: string;
  topic: string;
  partition: number;
}

export const partitionId = (key: PartitionKey) => `${key.group}\u0000${key.topic}\u0000${key.partition}`;

export function keyOf(series: InfluxSeries<object>): PartitionKey {
  return {
    group: series.tags.group ?? '',
    topic: series.tags.topic ?? '',
    partition: Number(series.tags.partition ?? -1),
  };
}

const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
const range = (params: TimeRange) => ({ from: new Date(params.from), to: new Date(params.to) });

export interface PartitionSamples extends PartitionKey {
  /** Lag samples as reported, oldest first. */
  lag: (LagSample & { seconds: number })[];
}

/** Every lag sample in (since, until], per partition, for the status evaluation. */
export async function readLagSamples(influx: InfluxQuery, params: TimeRange): Promise<PartitionSamples[]> {
  const series = await influx.query<{ time: number; offsets: number | null; seconds: number | null }>(
    `SELECT "offsets", "seconds" FROM "${MEASUREMENT.consumerLag}" WHERE time > $from AND time <= $to
     GROUP BY "group", "topic", "partition"`,
    range(params),
  );
  return series.map((entry) => ({
    ...keyOf(entry),
    lag: entry.rows
      .filter((row) => row.offsets !== null)
      .map((row) => ({ time: row.time, offsets: num(row.offsets), seconds: num(row.seconds) })),
  }));
}

export interface PartitionCommit extends PartitionKey {
  commit: CommitSample;
}

/** The first or the last commit of each partition in (from, to]. */
export async function readCommit(
  influx: InfluxQuery,
  params: TimeRange & { which: 'first' | 'last' },
): Promise<PartitionCommit[]> {
  const selector = params.which === 'first' ? 'FIRST' : 'LAST';
  const series = await influx.query<{ time: number; offset: number | null }>(
    `SELECT ${selector}("offset") AS "offset" FROM "${MEASUREMENT.commit}" WHERE time > $from AND time <= $to
     GROUP BY "group", "topic", "partition"`,
    range(params),
  );
  return series.flatMap((entry) => {
    const row = entry.rows[0];
    return row && row.offset !== null
      ? [{ ...keyOf(entry), commit: { time: row.time, offset: row.offset } }]
      : [];
  });
}

/** What the status of every partition is judged from (see `judgeConsumers`). */
export interface ConsumerWindow {
  now: number;
  windowMs: number;
  samples: PartitionSamples[];
  /** The first commit inside the window, per partition. */
  firstInWindow: PartitionCommit[];
  /** The last commit in the window-long stretch before the window, per partition. */
  beforeWindow: PartitionCommit[];
  /** Each partition's newest commit (however old), by `partitionId`. */
  newestCommits: ReadonlyMap<string, PartitionCommit>;
}

/**
 * Reads the window ending `now`. `newestCommits` may be passed by a caller that caches them (the pipeline
 * page); otherwise they are looked for over `commitHorizonMs`.
 */
export async function readConsumerWindow(
  influx: InfluxQuery,
  params: {
    now: number;
    windowMs: number;
    newestCommits?: Promise<ReadonlyMap<string, PartitionCommit>>;
    commitHorizonMs?: number;
  },
): Promise<ConsumerWindow> {
  const { now, windowMs } = params;
  const windowStart = now - windowMs;
  const [samples, firstInWindow, beforeWindow, newestCommits] = await Promise.all([
    readLagSamples(influx, { from: windowStart, to: now }),
    readCommit(influx, { from: windowStart, to: now, which: 'first' }),
    readCommit(influx, { from: windowStart - windowMs, to: windowStart, which: 'last' }),
    params.newestCommits ??
      readCommit(influx, {
        from: now - (params.commitHorizonMs ?? 24 * 3_600_000),
        to: now,
        which: 'last',
      }).then((commits) => new Map(commits.map((entry) => [partitionId(entry), entry]))),
  ]);
  return { now, windowMs, samples, firstInWindow, beforeWindow, newestCommits };
}
