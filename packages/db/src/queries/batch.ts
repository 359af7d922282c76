/**
 * The batch layer: finalizing closed days, reprocessing (meter, day) keys that changed after they were
 * final, and estimating gaps ahead of finalization. All of it is recomputeDay (../batch/engine.ts) with
 * a scope and a target status; see docs/batch-layer.md.
 */
import { addDays, localDayBounds } from '@meterops/domain/time';
import {
  recomputeDay,
  zoneDays,
  type BatchProgress,
  type DailyChange,
  type RaisedAlert,
  type RecomputeResult,
} from '../batch/engine';
import type { Sql } from '../client';
import { loadBatchSettings } from './vee';

export type { BatchProgress, DailyChange, RaisedAlert, RecomputeResult };

export interface BatchRunOptions {
  /** Who or what runs it, recorded on revisions and alerts: 'job:finalize-day', a user id. */
  actor: string;
  jobRunId?: string | null;
  onProgress?: (progress: BatchProgress) => void;
  /** Called between chunks; throw from it to stop the run. */
  checkpoint?: () => Promise<void>;
  concurrency?: number;
  chunkSize?: number;
}

const dayPattern = /^\d{4}-\d{2}-\d{2}$/;

function assertDay(day: string): void {
  // addDays throws a RangeError for anything that is not a calendar day.
  if (!dayPattern.test(day) || addDays(day, 0) !== day)
    throw new RangeError(`"${day}" is not a day YYYY-MM-DD`);
}

/** True when the local day has ended in every zone of the fleet. */
export async function isDayClosed(sql: Sql, params: { day: string; now?: Date }): Promise<boolean> {
  const now = (params.now ?? new Date()).getTime();
  const zones = await zoneDays(sql, params.day);
  return zones.every((zone) => Date.parse(zone.dayEnd) <= now);
}

/**
 * Finalizes a closed local day: recomputes every per-meter hourly and daily row of the day from the
 * readings after estimating the missing intervals, then the dimension and settlement rows, and marks
 * them final. Running it again changes nothing unless a reading changed. With meterIds only those
 * meters are finalized (rollups then stay provisional until every meter of them is final).
 */
export async function finalizeDay(
  sql: Sql,
  params: BatchRunOptions & { day: string; meterIds?: readonly string[] | null; allowOpenDay?: boolean },
): Promise<RecomputeResult> {
  assertDay(params.day);
  if (params.allowOpenDay !== true && !(await isDayClosed(sql, { day: params.day }))) {
    throw new RangeError(
      `${params.day} has not ended in every zone of the fleet; it cannot be finalized yet`,
    );
  }
  return recomputeDay(sql, {
    ...params,
    meterIds: params.meterIds ?? null,
    status: 'final',
    settings: await loadBatchSettings(sql),
    // A key queued for reprocessing is settled by finalizing it.
    consumeQueue: true,
  });
}

/**
 * Estimates the missing intervals of a day ahead of finalization and brings the provisional aggregates
 * in line with the readings. Meters whose day is already final are left to reprocessing.
 */
export async function estimateGapsForDay(
  sql: Sql,
  params: BatchRunOptions & { day: string; meterIds?: readonly string[] | null },
): Promise<RecomputeResult> {
  assertDay(params.day);
  return recomputeDay(sql, {
    ...params,
    meterIds: params.meterIds ?? null,
    status: 'provisional',
    settings: await loadBatchSettings(sql),
  });
}

export interface MeterDayKey {
  meterId: string;
  day: string;
}

export interface ReprocessResult {
  keys: number;
  days: number;
  meters: number;
  readings: number;
  estimated: { inserted: number; replaced: number };
  rows: RecomputeResult['rows'];
  requeued: number;
  changes: DailyChange[];
  alerts: RaisedAlert[];
}

/**
 * Recomputes exactly the given (meter, day) keys as final — per key, not per time range — with the
 * dimension and settlement rows of their days, raising billing alerts where an invoiced day changed.
 * The keys leave reprocess_queue in the same transactions.
 */
export async function reprocessKeys(
  sql: Sql,
  params: BatchRunOptions & { keys: readonly MeterDayKey[]; collectChanges?: boolean },
): Promise<ReprocessResult> {
  const byDay = new Map<string, Set<string>>();
  for (const key of params.keys) {
    assertDay(key.day);
    let meters = byDay.get(key.day);
    if (meters === undefined) byDay.set(key.day, (meters = new Set()));
    meters.add(key.meterId);
  }
  const settings = await loadBatchSettings(sql);
  const total = params.keys.length;
  const result: ReprocessResult = {
    keys: total,
    days: byDay.size,
    meters: 0,
    readings: 0,
    estimated: { inserted: 0, replaced: 0 },
    rows: { hourly: 0, daily: 0, dimension: 0, settlement: 0 },
    requeued: 0,
    changes: [],
    alerts: [],
  };
  let before = 0;
  for (const [day, meters] of [...byDay].sort(([a], [b]) => a.localeCompare(b))) {
    const outcome = await recomputeDay(sql, {
      day,
      meterIds: [...meters],
      status: 'final',
      settings,
      actor: params.actor,
      jobRunId: params.jobRunId ?? null,
      consumeQueue: true,
      collectChanges: params.collectChanges ?? false,
      concurrency: params.concurrency,
      chunkSize: params.chunkSize,
      checkpoint: params.checkpoint,
      onProgress: (progress) => {
        if (progress.step === 'meters')
          params.onProgress?.({ step: 'meters', done: before + progress.done, total });
      },
    });
    before += meters.size;
    result.meters += outcome.meters;
    result.readings += outcome.readings;
    result.estimated.inserted += outcome.estimated.inserted;
    result.estimated.replaced += outcome.estimated.replaced;
    result.rows.hourly += outcome.rows.hourly;
    result.rows.daily += outcome.rows.daily;
    result.rows.dimension += outcome.rows.dimension;
    result.rows.settlement += outcome.rows.settlement;
    result.requeued += outcome.requeued;
    result.changes.push(...outcome.changes);
    result.alerts.push(...outcome.alerts);
  }
  return result;
}

/** The queued keys, oldest day first; at most `limit`. */
export async function listReprocessQueue(
  sql: Sql,
  params: { limit?: number } = {},
): Promise<(MeterDayKey & { reason: string; requestedAt: Date })[]> {
  return sql<(MeterDayKey & { reason: string; requestedAt: Date })[]>`
    select meter_id as "meterId", day::text as day, reason, requested_at as "requestedAt"
    from reprocess_queue order by day, meter_id limit ${params.limit ?? 100_000}`;
}

/** Reprocesses what is in reprocess_queue now (up to `limit` keys); keys queued meanwhile wait for the next run. */
export async function processReprocessQueue(
  sql: Sql,
  params: BatchRunOptions & { limit?: number; collectChanges?: boolean },
): Promise<ReprocessResult> {
  const keys = await listReprocessQueue(sql, { limit: params.limit });
  return reprocessKeys(sql, { ...params, keys });
}

/** Reprocesses every day of [from, to] for the given meters (or all meters) as final. */
export async function reprocessRange(
  sql: Sql,
  params: BatchRunOptions & { from: string; to: string; meterIds?: readonly string[] | null },
): Promise<ReprocessResult & { daysDone: string[] }> {
  assertDay(params.from);
  assertDay(params.to);
  if (params.to < params.from) throw new RangeError(`--to ${params.to} is before --from ${params.from}`);
  const days: string[] = [];
  for (let day = params.from; day <= params.to; day = addDays(day, 1)) days.push(day);
  const settings = await loadBatchSettings(sql);
  const result: ReprocessResult & { daysDone: string[] } = {
    keys: 0,
    days: days.length,
    meters: 0,
    readings: 0,
    estimated: { inserted: 0, replaced: 0 },
    rows: { hourly: 0, daily: 0, dimension: 0, settlement: 0 },
    requeued: 0,
    changes: [],
    alerts: [],
    daysDone: [],
  };
  for (const [index, day] of days.entries()) {
    const outcome = await recomputeDay(sql, {
      day,
      meterIds: params.meterIds ?? null,
      status: 'final',
      settings,
      actor: params.actor,
      jobRunId: params.jobRunId ?? null,
      consumeQueue: true,
      concurrency: params.concurrency,
      chunkSize: params.chunkSize,
      checkpoint: params.checkpoint,
    });
    params.onProgress?.({ step: 'meters', done: index + 1, total: days.length });
    result.keys += outcome.meters;
    result.meters += outcome.meters;
    result.readings += outcome.readings;
    result.estimated.inserted += outcome.estimated.inserted;
    result.estimated.replaced += outcome.estimated.replaced;
    result.rows.hourly += outcome.rows.hourly;
    result.rows.daily += outcome.rows.daily;
    result.rows.dimension += outcome.rows.dimension;
    result.rows.settlement += outcome.rows.settlement;
    result.requeued += outcome.requeued;
    result.alerts.push(...outcome.alerts);
    result.daysDone.push(day);
  }
  return result;
}

/**
 * Days the nightly run finalizes: the latest day that ended at least `graceHours` ago in every zone of
 * the fleet, and every earlier day that still has provisional daily rows (a night the worker was down),
 * oldest first.
 */
export async function daysToFinalize(
  sql: Sql,
  params: { now?: Date; graceHours: number },
): Promise<string[]> {
  const now = params.now ?? new Date();
  const cutoff = now.getTime() - params.graceHours * 3_600_000;
  const zones = await sql<{ timeZone: string }[]>`select distinct time_zone as "timeZone" from meters`;
  if (zones.length === 0) return [];
  // Start from the UTC date of the cutoff and step back until the day has ended everywhere.
  let latest = new Date(cutoff).toISOString().slice(0, 10);
  latest = addDays(latest, 1);
  while (!zones.every((zone) => localDayBounds(latest, zone.timeZone).endMs <= cutoff))
    latest = addDays(latest, -1);
  const pending = await sql<{ day: string }[]>`
    select distinct day::text as day from meter_usage_daily
    where status = 'provisional' and day < ${latest}::date order by 1`;
  return [...pending.map((row) => row.day), latest];
}
