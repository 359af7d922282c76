/**
 * Replay: re-read a window of the readings topic through the normal ingest path. The replay's stored
 * positions move back in Postgres (startReplay); the worker owning each partition sees the gap and seeks
 * Kafka back (IngestService), so the group's offsets follow and nothing is read out of order. When no
 * worker is in the group, the group's Kafka offsets are moved here as well.
 */
import type { Sql } from '@meterops/db/client';
import {
  abandonReplay,
  finishReplayIfCaughtUp,
  readReplay,
  startReplay,
  type ReplayPartitionPlan,
  type ReplayRow,
} from '@meterops/db/queries/replay';
import type { KafkaClient } from '../kafka';

export interface ReplayTarget {
  kafka: KafkaClient;
  topic: string;
  groupId: string;
}

/** `from`: an offset (digits, the same on every partition) or an ISO-8601 instant with its offset. */
export function parseReplayFrom(from: string): { offset: bigint } | { timeMs: number } {
  if (/^\d{1,19}$/.test(from)) return { offset: BigInt(from) };
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(from)) {
    throw new Error(
      `--from must be an offset or an ISO-8601 instant with an offset (e.g. 2026-12-01T00:00:00Z), got "${from}"`,
    );
  }
  const timeMs = Date.parse(from);
  if (Number.isNaN(timeMs)) throw new Error(`--from is not a valid instant: "${from}"`);
  return { timeMs };
}

/** The window of each chosen partition: [offset at `from`, end of the log now). */
async function planReplay(
  target: ReplayTarget,
  params: { from: string; partitions?: readonly number[] },
): Promise<ReplayPartitionPlan[]> {
  const from = parseReplayFrom(params.from);
  const admin = target.kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(target.topic);
    const known = new Set(ends.map((entry) => entry.partition));
    const unknown = (params.partitions ?? []).filter((partition) => !known.has(partition));
    if (unknown.length > 0) {
      throw new Error(
        `topic ${target.topic} has no partition ${unknown.join(', ')} (it has 0–${known.size - 1})`,
      );
    }
    const chosen = params.partitions && params.partitions.length > 0 ? new Set(params.partitions) : known;
    const atTime =
      'timeMs' in from
        ? new Map(
            (await admin.fetchTopicOffsetsByTimestamp(target.topic, from.timeMs)).map((entry) => [
              entry.partition,
              BigInt(entry.offset),
            ]),
          )
        : null;
    return ends
      .filter((entry) => chosen.has(entry.partition))
      .map((entry) => {
        const low = BigInt(entry.low);
        const high = BigInt(entry.high);
        const wanted = 'offset' in from ? from.offset : (atTime?.get(entry.partition) ?? high);
        // Offsets by time answer -1 past the end; a start below the log start reads from the log start.
        const start = wanted < 0n ? high : wanted < low ? low : wanted > high ? high : wanted;
        return { partition: entry.partition, fromOffset: start, toOffset: high };
      })
      .sort((a, b) => a.partition - b.partition);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Records the replay and rewinds the stored positions; when the group has no member, moves its Kafka
 * offsets too (with members, the owning worker seeks on its next batch).
 */
export async function requestReplay(
  sql: Sql,
  target: ReplayTarget,
  params: { from: string; partitions?: readonly number[]; requestedBy: string },
): Promise<{ id: number; partitions: ReplayPartitionPlan[]; groupOffsetsMoved: boolean }> {
  const plan = await planReplay(target, params);
  const replay = await startReplay(sql, {
    consumerGroup: target.groupId,
    topic: target.topic,
    requestedBy: params.requestedBy,
    fromSpec: params.from,
    partitions: plan,
  });
  let groupOffsetsMoved = false;
  if (replay.partitions.length > 0) {
    const admin = target.kafka.admin();
    await admin.connect();
    try {
      const [group] = (await admin.describeGroups([target.groupId])).groups;
      if (!group || group.state === 'Empty' || group.state === 'Dead') {
        await admin.setOffsets({
          groupId: target.groupId,
          topic: target.topic,
          partitions: replay.partitions.map((entry) => ({
            partition: entry.partition,
            offset: entry.fromOffset.toString(),
          })),
        });
        groupOffsetsMoved = true;
      }
    } finally {
      await admin.disconnect();
    }
  }
  return { ...replay, groupOffsetsMoved };
}

/** Messages re-read so far and in all, from the stored positions of the replay's partitions. */
export function replayProgress(replay: ReplayRow): { done: number; total: number } {
  let done = 0;
  let total = 0;
  for (const entry of replay.partitions) {
    const size = entry.toOffset - entry.fromOffset;
    total += size;
    const next = entry.nextOffset ?? entry.fromOffset;
    done += Math.max(0, Math.min(size, next - entry.fromOffset));
  }
  return { done, total };
}

/**
 * Waits for the workers to re-read the window, reporting progress; resolves with the final counts.
 * `checkpoint` throws to cancel, which stops the counting (what was re-read stays).
 */
export async function followReplay(
  sql: Sql,
  id: number,
  options: {
    onProgress: (replay: ReplayRow, progress: { done: number; total: number }) => void | Promise<void>;
    checkpoint?: () => Promise<void>;
    pollMs?: number;
  },
): Promise<ReplayRow> {
  for (;;) {
    const done = await finishReplayIfCaughtUp(sql, id);
    const replay = await readReplay(sql, id);
    if (!replay) throw new Error(`replay ${id} does not exist`);
    await options.onProgress(replay, replayProgress(replay));
    if (done || replay.status !== 'running') return replay;
    try {
      await options.checkpoint?.();
    } catch (error) {
      await abandonReplay(sql, id);
      throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1_000));
  }
}
