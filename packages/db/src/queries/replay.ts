/**
 * Replays: re-reading a window of a consumer group's partitions. The stored positions (ingest_offsets)
 * move back in one transaction with the replay's record; the worker that owns a partition sees its stored
 * position behind what Kafka delivers and seeks back, so Kafka's group offsets follow. Same values are
 * duplicates (no-ops), changed values become new versions, and both are counted on the replay.
 */
import type { Sql } from '../client';

export interface ReplayWindow {
  replayId: number;
  topic: string;
  partition: number;
  fromOffset: bigint;
  toOffset: bigint;
}

export interface ReplayPartitionPlan {
  partition: number;
  /** First offset to read again. */
  fromOffset: bigint;
  /** The partition's end when the replay was asked for: the window is [from, to). */
  toOffset: bigint;
}

export interface ReplayRow {
  id: number;
  consumerGroup: string;
  topic: string;
  requestedBy: string;
  requestedAt: Date;
  fromSpec: string;
  status: string;
  finishedAt: Date | null;
  records: number;
  inserted: number;
  revised: number;
  duplicates: number;
  rejected: number;
  partitions: { partition: number; fromOffset: number; toOffset: number; nextOffset: number | null }[];
}

/** Windows of replays still running for a consumer group. */
export async function activeReplayWindows(
  sql: Sql,
  params: { consumerGroup: string },
): Promise<ReplayWindow[]> {
  const rows = await sql<
    { replayId: string; topic: string; partition: number; fromOffset: string; toOffset: string }[]
  >`
    select r.id::text as "replayId", r.topic, p.partition, p.from_offset::text as "fromOffset",
           p.to_offset::text as "toOffset"
    from ingest_replays r join ingest_replay_partitions p on p.replay_id = r.id
    where r.status = 'running' and r.consumer_group = ${params.consumerGroup}`;
  return rows.map((row) => ({
    replayId: Number(row.replayId),
    topic: row.topic,
    partition: row.partition,
    fromOffset: BigInt(row.fromOffset),
    toOffset: BigInt(row.toOffset),
  }));
}

export class ReplayConflictError extends Error {
  override name = 'ReplayConflictError';
}

/**
 * Records a replay and moves the stored positions of its partitions back to the window's start, in one
 * transaction. Partitions whose window is empty are left out. Refuses while another replay of the same
 * group runs on one of these partitions, since two rewinds would count each other's batches.
 */
export async function startReplay(
  sql: Sql,
  params: {
    consumerGroup: string;
    topic: string;
    requestedBy: string;
    fromSpec: string;
    partitions: readonly ReplayPartitionPlan[];
  },
): Promise<{ id: number; partitions: ReplayPartitionPlan[] }> {
  const windows = params.partitions.filter((entry) => entry.fromOffset < entry.toOffset);
  return sql.begin(async (tx) => {
    // One replay start at a time per group: the check below and the insert must not interleave.
    await tx`select pg_advisory_xact_lock(hashtext('ingest_replay:' || ${params.consumerGroup}))`;
    const busy = await tx<{ partition: number }[]>`
      select p.partition from ingest_replays r join ingest_replay_partitions p on p.replay_id = r.id
      where r.status = 'running' and r.consumer_group = ${params.consumerGroup} and r.topic = ${params.topic}
        and p.partition = any(${windows.map((entry) => entry.partition)}::int[])`;
    if (busy.length > 0) {
      throw new ReplayConflictError(
        `a replay of partition(s) ${busy.map((row) => row.partition).join(', ')} is still running`,
      );
    }
    const [replay] = await tx<{ id: string }[]>`
      insert into ingest_replays (consumer_group, topic, requested_by, from_spec, status, finished_at)
      values (${params.consumerGroup}, ${params.topic}, ${params.requestedBy}, ${params.fromSpec},
              ${windows.length === 0 ? 'done' : 'running'}, ${windows.length === 0 ? new Date() : null})
      returning id::text`;
    const id = Number(replay?.id);
    for (const entry of windows) {
      await tx`
        insert into ingest_replay_partitions (replay_id, partition, from_offset, to_offset)
        values (${id}, ${entry.partition}, ${entry.fromOffset.toString()}, ${entry.toOffset.toString()})`;
      // Only ever backwards: a window starting past the stored position has nothing stored to redo yet.
      await tx`
        insert into ingest_offsets (consumer_group, topic, partition, next_offset)
        values (${params.consumerGroup}, ${params.topic}, ${entry.partition}, ${entry.fromOffset.toString()})
        on conflict (consumer_group, topic, partition) do update
          set next_offset = least(ingest_offsets.next_offset, excluded.next_offset), updated_at = now()`;
    }
    return { id, partitions: windows };
  });
}

/** A replay with its counts and, per partition, how far the stored position has come. */
export async function readReplay(sql: Sql, id: number): Promise<ReplayRow | null> {
  const [row] = await sql<(Omit<ReplayRow, 'partitions'> & { id: string })[]>`
    select id::text, consumer_group as "consumerGroup", topic, requested_by as "requestedBy",
           requested_at as "requestedAt", from_spec as "fromSpec", status, finished_at as "finishedAt",
           records::float8 as records, inserted::float8 as inserted, revised::float8 as revised,
           duplicates::float8 as duplicates, rejected::float8 as rejected
    from ingest_replays where id = ${id}`;
  if (!row) return null;
  const partitions = await sql<ReplayRow['partitions']>`
    select p.partition, p.from_offset::float8 as "fromOffset", p.to_offset::float8 as "toOffset",
           o.next_offset::float8 as "nextOffset"
    from ingest_replay_partitions p
    left join ingest_offsets o
      on o.consumer_group = ${row.consumerGroup} and o.topic = ${row.topic} and o.partition = p.partition
    where p.replay_id = ${id}
    order by p.partition`;
  return { ...row, id: Number(row.id), partitions };
}

/** Marks a replay done once every partition's stored position has passed its window's end. */
export async function finishReplayIfCaughtUp(sql: Sql, id: number): Promise<boolean> {
  const rows = await sql`
    update ingest_replays r set status = 'done', finished_at = now()
    where r.id = ${id} and r.status = 'running'
      and not exists (
        select 1 from ingest_replay_partitions p
        left join ingest_offsets o
          on o.consumer_group = r.consumer_group and o.topic = r.topic and o.partition = p.partition
        where p.replay_id = r.id and coalesce(o.next_offset, 0) < p.to_offset)
    returning 1`;
  return rows.length === 1;
}

/** Stops counting a replay (cancelled, or its job failed); the rewound positions stay as they are. */
export async function abandonReplay(sql: Sql, id: number): Promise<void> {
  await sql`update ingest_replays set status = 'abandoned', finished_at = now() where id = ${id} and status = 'running'`;
}

/** The newest replays, for the admin portal. */
export async function listReplays(sql: Sql, params: { limit: number }): Promise<ReplayRow[]> {
  const ids = await sql<
    { id: string }[]
  >`select id::text from ingest_replays order by id desc limit ${params.limit}`;
  const rows = await Promise.all(ids.map((row) => readReplay(sql, Number(row.id))));
  return rows.filter((row): row is ReplayRow => row !== null);
}
