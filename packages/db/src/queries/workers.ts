/** What worker processes say about themselves, for the status and pipeline pages. */
import type { Sql } from '../client';

export interface WorkerHeartbeat {
  workerId: string;
  consumerGroup: string;
  host: string;
  pid: number;
  /** starting | consuming | paused | restarting | stopping | stopped */
  state: string;
  pausedReason: string | null;
  pausedSince: Date | null;
  partitions: number[];
  lastBatchAt: Date | null;
  lastFetchAt: Date | null;
  consumerRestarts: number;
  startedAt: Date;
}

export async function upsertWorkerHeartbeat(sql: Sql, beat: WorkerHeartbeat): Promise<void> {
  await sql`
    insert into worker_heartbeats (worker_id, consumer_group, host, pid, state, paused_reason, paused_since,
      partitions, last_batch_at, last_fetch_at, consumer_restarts, started_at, updated_at)
    values (${beat.workerId}, ${beat.consumerGroup}, ${beat.host}, ${beat.pid}, ${beat.state},
      ${beat.pausedReason}, ${beat.pausedSince}, ${beat.partitions}::int[], ${beat.lastBatchAt},
      ${beat.lastFetchAt}, ${beat.consumerRestarts}, ${beat.startedAt}, now())
    on conflict (worker_id) do update set
      consumer_group = excluded.consumer_group, host = excluded.host, pid = excluded.pid,
      state = excluded.state, paused_reason = excluded.paused_reason, paused_since = excluded.paused_since,
      partitions = excluded.partitions, last_batch_at = excluded.last_batch_at,
      last_fetch_at = excluded.last_fetch_at, consumer_restarts = excluded.consumer_restarts,
      started_at = excluded.started_at, updated_at = now()`;
}

export interface WorkerHeartbeatRow extends WorkerHeartbeat {
  updatedAt: Date;
  /** Seconds since the worker last reported. */
  silentSeconds: number;
}

/**
 * Workers that reported in the last `withinHours` (a stopped or crashed one stays visible a while, so an
 * incident can be seen after the fact), newest first.
 */
export async function listWorkerHeartbeats(
  sql: Sql,
  params: { withinHours: number } = { withinHours: 24 },
): Promise<WorkerHeartbeatRow[]> {
  return sql<WorkerHeartbeatRow[]>`
    select worker_id as "workerId", consumer_group as "consumerGroup", host, pid, state,
           paused_reason as "pausedReason", paused_since as "pausedSince", partitions,
           last_batch_at as "lastBatchAt", last_fetch_at as "lastFetchAt",
           consumer_restarts as "consumerRestarts", started_at as "startedAt", updated_at as "updatedAt",
           extract(epoch from now() - updated_at)::float8 as "silentSeconds"
    from worker_heartbeats
    where updated_at > now() - make_interval(hours => ${params.withinHours})
    order by updated_at desc
    limit 100`;
}
