/**
 * Job runs as people see them: request one, list them, follow one's progress and log, cancel it. The
 * worker carries each run out on pg-boss (schema `pgboss`), which brings retries and schedules; these
 * functions touch only our tables, so the web app needs no queue client. A run requested here is
 * `queued` with no pg-boss job yet; the worker's relay puts it on the pg-boss queue under the same id.
 */
import { settlementRunTypes } from '@meterops/domain/settlement';
import { addDays } from '@meterops/domain/time';
import { z } from 'zod';
import type { TransactionSql } from 'postgres';
import type { Sql } from '../client';

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a day YYYY-MM-DD')
  .refine(isCalendarDay, 'a real calendar day');
const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month YYYY-MM');
const meterIds = z.array(z.string().min(1).max(64)).min(1).max(100_000).optional();

/** Every job a person or a schedule can start, with the arguments it takes. */
export const jobParamsSchemas = {
  /** Finalize one closed local day (all meters, or the given ones). */
  'finalize-day': z.object({ day, meterIds }).strict(),
  /** Estimate the gaps of a day ahead of finalizing it; provisional aggregates follow. */
  'estimate-gaps': z.object({ day, meterIds }).strict(),
  /** Recompute [from, to] as final for the given meters (or all). */
  reprocess: z
    .object({ from: day, to: day, meterIds })
    .strict()
    .refine((value) => value.to >= value.from, { message: 'to must not be before from', path: ['to'] }),
  /** Recompute the (meter, day) keys waiting in reprocess_queue. */
  'reprocess-queue': z.object({ limit: z.number().int().min(1).max(1_000_000).optional() }).strict(),
  /**
   * Re-read the readings topic from an offset or an instant (all partitions, or these) through the normal
   * ingest path: same values are no-ops, changed values become versions, all counted.
   */
  replay: z
    .object({
      from: z
        .string()
        .trim()
        .regex(
          /^\d{1,19}$|^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/,
          'an offset, or an ISO-8601 instant with its offset',
        ),
      partitions: z.array(z.number().int().min(0).max(100_000)).min(1).max(10_000).optional(),
    })
    .strict(),
  /** Finalize every day that is due, then process the reprocess queue. */
  nightly: z
    .object({
      graceHours: z
        .number()
        .min(0)
        .max(24 * 14)
        .optional(),
    })
    .strict(),
  /**
   * Deletes expired sessions and sign-in attempts older than the retention (never less than an hour, so
   * the sign-in throttle's 15-minute window always sees every attempt it counts).
   */
  housekeeping: z
    .object({
      attemptRetentionHours: z
        .number()
        .min(1)
        .max(24 * 365)
        .optional(),
    })
    .strict(),
  /**
   * Archive every month of readings before `before` (default: the worker's ARCHIVE_RETENTION_MONTHS) to
   * Parquet, verify and drop it; then delete archived months before `purgeBefore` (default: the archive
   * retention in years).
   */
  archive: z.object({ before: month.optional(), purgeBefore: month.optional() }).strict(),
  /** One settlement run of a local day and region (docs/settlement.md); a repeat of a type is a new version. */
  'settlement-run': z
    .object({
      day,
      region: z.string().trim().min(1, 'a region').max(64),
      runType: z.enum(settlementRunTypes).default('initial'),
    })
    .strict(),
  /** Every settlement run the timetable asks for by now that has not run (the last `lookbackDays` days too). */
  'settlement-due': z.object({ lookbackDays: z.number().int().min(0).max(60).optional() }).strict(),
  /** Delete resolved rejected readings and finished runs' logs older than the retention (days). */
  retention: z
    .object({
      rejectedDays: z.number().int().min(1).max(36_500).optional(),
      jobLogDays: z.number().int().min(1).max(36_500).optional(),
    })
    .strict(),
  /**
   * Forecast consumption: half-hourly per region and segment for the next `regionHorizonDays` days, daily
   * per active meter for `meterHorizonDays` days from the issue day (default today, UTC), from the six weeks
   * before it. weather 'simulated' (default) first stores the simulator's temperatures for the hours it
   * needs; 'stored' uses what a weather feed put in weather_observations.
   */
  forecast: z
    .object({
      issueDay: day.optional(),
      regionHorizonDays: z.number().int().min(1).max(14).optional(),
      meterHorizonDays: z.number().int().min(1).max(62).optional(),
      weather: z.enum(['simulated', 'stored']).optional(),
    })
    .strict(),
} as const;

export type JobName = keyof typeof jobParamsSchemas;
export const jobNames = Object.keys(jobParamsSchemas) as JobName[];
export type JobParams<N extends JobName> = z.infer<(typeof jobParamsSchemas)[N]>;

export function isJobName(name: string): name is JobName {
  return (jobNames as string[]).includes(name);
}

/** Validates a job's arguments; throws a ZodError naming the offending argument. */
export function parseJobParams<N extends JobName>(name: N, params: unknown): JobParams<N> {
  return jobParamsSchemas[name].parse(params ?? {}) as JobParams<N>;
}

export type JobRunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
export type JobLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface JobRun {
  id: string;
  pgbossJobId: string | null;
  name: string;
  params: Record<string, unknown>;
  status: JobRunStatus;
  progressDone: number;
  progressTotal: number;
  progressUnit: string;
  startedBy: string;
  attempts: number;
  result: Record<string, unknown> | null;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
  cancelRequestedAt: Date | null;
  cancelRequestedBy: string | null;
}

export interface JobRunLog {
  id: number;
  at: Date;
  level: JobLogLevel;
  message: string;
}

const runColumns = (sql: Sql | TransactionSql) => sql`
  id, pgboss_job_id as "pgbossJobId", name, params, status, progress_done as "progressDone",
  progress_total as "progressTotal", progress_unit as "progressUnit", started_by as "startedBy", attempts, result,
  error, created_at as "createdAt", started_at as "startedAt", finished_at as "finishedAt", updated_at as "updatedAt",
  cancel_requested_at as "cancelRequestedAt", cancel_requested_by as "cancelRequestedBy"`;

/** Channel the worker listens on to put a new run on the queue at once rather than at its next poll. */
export const jobRequestChannel = 'meterops_job_requested';

/**
 * Requests a run: validates the arguments and records it as queued. `startedBy` is a user id, 'schedule'
 * or 'cli:<user>'. The worker picks it up within a second or two.
 */
export async function enqueueJob(
  sql: Sql,
  params: { name: string; params?: unknown; startedBy: string },
): Promise<JobRun> {
  if (!isJobName(params.name)) {
    throw new RangeError(`"${params.name}" is not a job; jobs are ${jobNames.join(', ')}`);
  }
  const args = parseJobParams(params.name, params.params);
  const [run] = await sql<JobRun[]>`
    insert into job_runs (name, params, started_by)
    values (${params.name}, ${sql.json(args)}, ${params.startedBy})
    returning ${runColumns(sql)}`;
  if (run === undefined) throw new Error('job run was not recorded');
  await sql`select pg_notify(${jobRequestChannel}, ${run.id})`;
  return run;
}

/** Runs, newest first, optionally of one status or job; `before` pages by creation time. */
export async function listJobRuns(
  sql: Sql,
  params: { status?: JobRunStatus; name?: string; limit?: number; before?: Date } = {},
): Promise<JobRun[]> {
  return sql<JobRun[]>`
    select ${runColumns(sql)} from job_runs
    where true
      ${params.status === undefined ? sql`` : sql`and status = ${params.status}`}
      ${params.name === undefined ? sql`` : sql`and name = ${params.name}`}
      ${params.before === undefined ? sql`` : sql`and created_at < ${params.before}`}
    order by created_at desc, id
    limit ${Math.min(params.limit ?? 50, 500)}`;
}

/** One run with its log, oldest line first (the last `logLimit` lines). Null when there is no such run. */
export async function getJobRun(
  sql: Sql,
  params: { id: string; logLimit?: number },
): Promise<(JobRun & { logs: JobRunLog[] }) | null> {
  if (!isUuid(params.id)) return null;
  const [run] = await sql<JobRun[]>`select ${runColumns(sql)} from job_runs where id = ${params.id}`;
  if (run === undefined) return null;
  const logs = await sql<JobRunLog[]>`
    select id, at, level, message from (
      select id, at, level, message from job_run_logs where run_id = ${params.id} order by id desc limit ${params.logLimit ?? 500}
    ) last order by id`;
  return { ...run, logs };
}

/**
 * Asks a run to stop. A queued run is cancelled at once; a running one stops at its next checkpoint
 * (what it committed stays, and is consistent per meter-day). A finished run is returned unchanged.
 */
export async function requestCancel(sql: Sql, params: { id: string; actor: string }): Promise<JobRun | null> {
  if (!isUuid(params.id)) return null;
  return sql.begin(async (tx) => {
    const [run] = await tx<JobRun[]>`
      update job_runs set
        cancel_requested_at = coalesce(cancel_requested_at, now()),
        cancel_requested_by = coalesce(cancel_requested_by, ${params.actor}),
        status = case when status = 'queued' then 'cancelled'::job_run_status else status end,
        finished_at = case when status = 'queued' then now() else finished_at end,
        updated_at = now()
      where id = ${params.id} and status in ('queued', 'running')
      returning ${runColumns(tx)}`;
    if (run !== undefined) {
      await tx`
        insert into job_run_logs (run_id, level, message)
        values (${run.id}, 'warn', ${`cancellation requested by ${params.actor}`})`;
      return run;
    }
    const [unchanged] = await tx<JobRun[]>`select ${runColumns(tx)} from job_runs where id = ${params.id}`;
    return unchanged ?? null;
  });
}

// --- The worker's side -----------------------------------------------------------------------------------

/** Queued runs not yet on the pg-boss queue, oldest first. */
export async function runsToRelay(sql: Sql, params: { limit?: number } = {}): Promise<JobRun[]> {
  return sql<JobRun[]>`
    select ${runColumns(sql)} from job_runs
    where status = 'queued' and pgboss_job_id is null
    order by created_at limit ${params.limit ?? 100}`;
}

export async function markRelayed(sql: Sql, params: { id: string }): Promise<void> {
  await sql`update job_runs set pgboss_job_id = ${params.id}, updated_at = now() where id = ${params.id}`;
}

/** Records a run started by a schedule (pg-boss made the job, so the run takes its id). */
export async function recordScheduledRun(
  sql: Sql,
  params: { id: string; name: JobName; params: Record<string, unknown> },
): Promise<void> {
  await sql`
    insert into job_runs (id, pgboss_job_id, name, params, started_by)
    values (${params.id}, ${params.id}, ${params.name}, ${sql.json(params.params as Record<string, string>)}, 'schedule')
    on conflict (id) do nothing`;
}

/**
 * Marks an attempt as started. Null when the run is gone or was cancelled before it started (it is then
 * marked cancelled), so the worker skips it.
 */
export async function startRunAttempt(
  sql: Sql,
  params: { id: string; progressUnit: string },
): Promise<JobRun | null> {
  const [run] = await sql<JobRun[]>`
    update job_runs set
      status = case when cancel_requested_at is null then 'running'::job_run_status else 'cancelled'::job_run_status end,
      finished_at = case when cancel_requested_at is null then null else now() end,
      attempts = attempts + case when cancel_requested_at is null then 1 else 0 end,
      started_at = coalesce(started_at, now()), progress_unit = ${params.progressUnit}, updated_at = now()
    where id = ${params.id} and status in ('queued', 'running')
    returning ${runColumns(sql)}`;
  return run === undefined || run.status === 'cancelled' ? null : run;
}

export async function updateRunProgress(
  sql: Sql,
  params: { id: string; done: number; total: number },
): Promise<void> {
  await sql`
    update job_runs set progress_done = ${Math.max(0, Math.round(params.done))},
      progress_total = ${Math.max(0, Math.round(params.total))}, updated_at = now()
    where id = ${params.id}`;
}

export async function appendRunLog(
  sql: Sql,
  params: { id: string; level: JobLogLevel; message: string },
): Promise<void> {
  await sql`insert into job_run_logs (run_id, level, message) values (${params.id}, ${params.level}, ${params.message})`;
  await sql`update job_runs set updated_at = now() where id = ${params.id}`;
}

export async function isCancelRequested(sql: Sql, params: { id: string }): Promise<boolean> {
  const [row] = await sql<{ requested: boolean }[]>`
    select cancel_requested_at is not null as requested from job_runs where id = ${params.id}`;
  return row?.requested ?? false;
}

/**
 * Ends an attempt. 'queued' means it failed and pg-boss will retry it; the error stays visible until the
 * next attempt ends.
 */
export async function finishRunAttempt(
  sql: Sql,
  params: {
    id: string;
    status: 'completed' | 'failed' | 'cancelled' | 'queued';
    result?: Record<string, unknown> | null;
    error?: string | null;
  },
): Promise<void> {
  await sql`
    update job_runs set
      status = ${params.status},
      result = ${params.result === undefined || params.result === null ? sql`result` : sql`${sql.json(params.result as Record<string, string>)}::jsonb`},
      error = ${params.error ?? null},
      finished_at = ${params.status === 'queued' ? null : sql`now()`},
      updated_at = now()
    where id = ${params.id}`;
}

function isCalendarDay(value: string): boolean {
  try {
    return addDays(value, 0) === value;
  } catch {
    return false;
  }
}

function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

/**
 * Deletes the log lines of runs that finished more than `days` days ago (the runs themselves, with their
 * result and error, stay); returns how many lines went.
 */
export async function pruneJobLogs(sql: Sql, params: { days: number }): Promise<number> {
  const deleted = await sql`
    delete from job_run_logs l using job_runs r
    where l.run_id = r.id and r.finished_at < now() - make_interval(days => ${params.days})`;
  return deleted.count;
}

export interface JobHealth {
  name: string;
  /** The newest finished run since the look-back (completed, failed or cancelled). */
  lastFinished: { id: string; status: JobRunStatus; error: string | null; finishedAt: Date } | null;
  /** The longest-running run in progress now. */
  running: { id: string; startedAt: Date; runningSeconds: number } | null;
  /** Median duration of the job's last 20 completed runs; null without any. */
  usualSeconds: number | null;
}

/** Per job name seen since `since`: how its last run ended, what runs now, and how long it usually takes. */
export async function jobHealth(sql: Sql, params: { since: Date; now: Date }): Promise<JobHealth[]> {
  const rows = await sql<
    {
      name: string;
      lastId: string | null;
      lastStatus: JobRunStatus | null;
      lastError: string | null;
      lastFinishedAt: Date | null;
      runningId: string | null;
      runningStartedAt: Date | null;
      usualSeconds: number | null;
    }[]
  >`
    select n.name, f.id as "lastId", f.status as "lastStatus", f.error as "lastError",
           f.finished_at as "lastFinishedAt", r.id as "runningId", r.started_at as "runningStartedAt",
           u.usual as "usualSeconds"
    from (select distinct name from job_runs where created_at >= ${params.since} or status = 'running') n
    left join lateral (
      select id, status, error, finished_at from job_runs
      where name = n.name and finished_at >= ${params.since} and status in ('completed', 'failed', 'cancelled')
      order by finished_at desc limit 1) f on true
    left join lateral (
      select id, started_at from job_runs
      where name = n.name and status = 'running' and started_at is not null
      order by started_at limit 1) r on true
    left join lateral (
      select (percentile_cont(0.5) within group (order by extract(epoch from finished_at - started_at)))::float8 as usual
      from (select started_at, finished_at from job_runs
            where name = n.name and status = 'completed' and started_at is not null and finished_at is not null
            order by finished_at desc limit 20) recent) u on true
    order by n.name`;
  return rows.map((row) => ({
    name: row.name,
    lastFinished:
      row.lastId && row.lastStatus && row.lastFinishedAt
        ? { id: row.lastId, status: row.lastStatus, error: row.lastError, finishedAt: row.lastFinishedAt }
        : null,
    running:
      row.runningId && row.runningStartedAt
        ? {
            id: row.runningId,
            startedAt: row.runningStartedAt,
            runningSeconds: (params.now.getTime() - row.runningStartedAt.getTime()) / 1000,
          }
        : null,
    usualSeconds: row.usualSeconds,
  }));
}
