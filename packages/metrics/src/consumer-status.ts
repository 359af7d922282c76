/**
 * Consumer health judged the way LinkedIn's Burrow does it: no thresholds, only how lag and committed
 * offsets behave over a sliding window. The pipeline page and the alert rules judge partitions with
 * `judgeConsumers` (below), fed by `readConsumerWindow` from InfluxDB.
 *
 * Rules, first match wins (Burrow's order, without its REWIND):
 *   UNKNOWN  no lag was reported for the partition in the window (the worker that owns it is not reporting)
 *   OK       the lag is zero now, or was zero at some sample in the window
 *   STOP     lag throughout, and no commit for at least the window
 *   STALL    lag throughout, commits keep coming, but the committed offset did not move
 *   WARN     lag throughout, offsets move, but the lag never fell and ended higher than it began
 *   OK       otherwise: the consumer is working the backlog down
 */

import { partitionId, type ConsumerWindow, type PartitionKey } from './consumer-reads';

export type PartitionStatus = 'OK' | 'WARN' | 'STALL' | 'STOP' | 'UNKNOWN';

/** Worst first, for sorting and for the group's overall status. */
export const statusSeverity: Record<PartitionStatus, number> = {
  STOP: 4,
  STALL: 3,
  WARN: 2,
  UNKNOWN: 1,
  OK: 0,
};

export interface LagSample {
  /** Epoch milliseconds. */
  time: number;
  /** Messages between the committed offset and the high watermark. */
  offsets: number;
}

export interface CommitSample {
  time: number;
  /** The committed offset (the next message to consume). */
  offset: number;
}

export interface PartitionWindow {
  now: number;
  windowMs: number;
  /** Lag samples inside the window, oldest first. */
  lag: readonly LagSample[];
  /**
   * Commits to judge movement by, oldest first: the last commit before the window (if any), then commits
   * inside it. Only the first and last are read, so the first and last commit in the window suffice.
   */
  commits: readonly CommitSample[];
}

export interface PartitionVerdict {
  status: PartitionStatus;
  /** One sentence for people: why this status. */
  reason: string;
}

export function evaluatePartition(window: PartitionWindow): PartitionVerdict {
  const { lag, commits, now, windowMs } = window;
  const windowText = formatWindow(windowMs);
  const current = lag.at(-1);
  if (current === undefined) {
    return { status: 'UNKNOWN', reason: `No lag reported in the last ${windowText}.` };
  }
  if (current.offsets === 0) return { status: 'OK', reason: 'Caught up: no lag.' };
  if (lag.some((sample) => sample.offsets === 0)) {
    return { status: 'OK', reason: `Lag was zero within the last ${windowText}.` };
  }
  const lastCommit = commits.at(-1);
  if (lastCommit === undefined || now - lastCommit.time >= windowMs) {
    return {
      status: 'STOP',
      reason:
        lastCommit === undefined
          ? 'Lag, and no offset has been committed.'
          : `Lag, and no offset committed for ${formatWindow(now - lastCommit.time)}.`,
    };
  }
  const firstCommit = commits[0] ?? lastCommit;
  const moved = commits.length < 2 || lastCommit.offset > firstCommit.offset;
  if (!moved) {
    return {
      status: 'STALL',
      reason: `Commits continue, but the offset has stayed at ${lastCommit.offset}.`,
    };
  }
  const first = lag[0] ?? current;
  const neverFell = lag.every(
    (sample, index) => index === 0 || sample.offsets >= (lag[index - 1]?.offsets ?? 0),
  );
  if (lag.length >= 2 && neverFell && current.offsets > first.offsets) {
    return {
      status: 'WARN',
      reason: `Lag grew from ${first.offsets} to ${current.offsets} offsets without falling once.`,
    };
  }
  return { status: 'OK', reason: 'Consuming the backlog.' };
}

export interface JudgedPartition extends PartitionKey {
  id: string;
  /** Lag samples in the window, oldest first. */
  lag: readonly (LagSample & { seconds?: number })[];
  /** The partition's newest commit, however old. */
  lastCommit: CommitSample | null;
  verdict: PartitionVerdict;
}

/**
 * Every partition seen in the window (or with a known commit, or among `alsoKnown`) with its verdict:
 * the commits judged are the last one at or before the window start, the first and the last inside it.
 */
export function judgeConsumers(
  window: ConsumerWindow,
  alsoKnown: readonly PartitionKey[] = [],
): JudgedPartition[] {
  const { now, windowMs } = window;
  const windowStart = now - windowMs;
  const firstById = new Map(window.firstInWindow.map((entry) => [partitionId(entry), entry.commit]));
  const beforeById = new Map(window.beforeWindow.map((entry) => [partitionId(entry), entry.commit]));
  const samplesById = new Map(window.samples.map((entry) => [partitionId(entry), entry.lag]));
  const keys = new Map<string, PartitionKey>();
  for (const entry of [...window.samples, ...window.newestCommits.values(), ...alsoKnown]) {
    keys.set(partitionId(entry), { group: entry.group, topic: entry.topic, partition: entry.partition });
  }
  return [...keys.entries()]
    .sort(
      ([, a], [, b]) =>
        a.group.localeCompare(b.group) || a.topic.localeCompare(b.topic) || a.partition - b.partition,
    )
    .map(([id, key]) => {
      const lag = samplesById.get(id) ?? [];
      const last = window.newestCommits.get(id)?.commit ?? null;
      // The last commit at or before the window start: from the stretch before it, or else the
      // partition's newest commit if that is older than the window.
      const before = beforeById.get(id) ?? (last && last.time <= windowStart ? last : null);
      const judged: CommitSample[] = [];
      if (before) judged.push(before);
      const first = firstById.get(id);
      if (first) judged.push(first);
      if (last && last.time > windowStart) judged.push(last);
      // A last commit before the window still tells STOP how long ago it was.
      if (judged.length === 0 && last) judged.push(last);
      return {
        id,
        ...key,
        lag,
        lastCommit: last,
        verdict: evaluatePartition({ now, windowMs, lag, commits: judged }),
      };
    });
}

export type LagTrend = 'growing' | 'shrinking' | 'steady';

export interface LagTrendEstimate {
  trend: LagTrend;
  /** Least-squares change of the lag, offsets per second (negative when shrinking). */
  offsetsPerSecond: number;
  /** Seconds until the lag reaches zero at that rate; 0 when caught up, null when it is not falling. */
  catchUpSeconds: number | null;
}

/** Least-squares slope of offsets over time, in offsets per second; 0 with fewer than two distinct times. */
export function lagSlope(samples: readonly LagSample[]): number {
  if (samples.length < 2) return 0;
  const n = samples.length;
  const meanT = samples.reduce((sum, s) => sum + s.time, 0) / n;
  const meanY = samples.reduce((sum, s) => sum + s.offsets, 0) / n;
  let numerator = 0;
  let denominator = 0;
  for (const sample of samples) {
    const dt = (sample.time - meanT) / 1000;
    numerator += dt * (sample.offsets - meanY);
    denominator += dt * dt;
  }
  return denominator === 0 ? 0 : numerator / denominator;
}

/**
 * Trend of a consumer group's total lag from each partition's samples in the window: the sum of the
 * partitions' slopes. A change over the window smaller than 5% of the current lag (or one offset) is
 * steady, so sampling noise does not flip the trend.
 */
export function estimateLagTrend(
  partitions: readonly (readonly LagSample[])[],
  windowMs: number,
): LagTrendEstimate {
  const currentLag = partitions.reduce((sum, samples) => sum + (samples.at(-1)?.offsets ?? 0), 0);
  const offsetsPerSecond = partitions.reduce((sum, samples) => sum + lagSlope(samples), 0);
  if (currentLag === 0) return { trend: 'steady', offsetsPerSecond, catchUpSeconds: 0 };
  const changeOverWindow = offsetsPerSecond * (windowMs / 1000);
  const noise = Math.max(1, 0.05 * currentLag);
  if (Math.abs(changeOverWindow) < noise) return { trend: 'steady', offsetsPerSecond, catchUpSeconds: null };
  if (offsetsPerSecond > 0) return { trend: 'growing', offsetsPerSecond, catchUpSeconds: null };
  return { trend: 'shrinking', offsetsPerSecond, catchUpSeconds: currentLag / -offsetsPerSecond };
}

function formatWindow(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  return `${Math.round(minutes / 60)} h`;
}
