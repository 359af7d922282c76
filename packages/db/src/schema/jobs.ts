import { sql } from 'drizzle-orm';
import { check, index, pgEnum, pgTable } from 'drizzle-orm/pg-core';

export const jobRunStatus = pgEnum('job_run_status', [
  'queued',
  'running',
  'completed',
  'failed',
  'cancelled',
]);

/**
 * One requested run of a batch job, as people see it: what was asked, by whom, how far it got and how it
 * ended. pg-boss (schema `pgboss`) does the queueing, retries and schedules; this table is ours so the
 * portal can list, follow and cancel runs without knowing pg-boss.
 */
export const jobRuns = pgTable(
  'job_runs',
  (t) => ({
    id: t.uuid().primaryKey().defaultRandom(),
    /** The pg-boss job carrying this run (the same uuid as id); null until the worker has queued it. */
    pgbossJobId: t.uuid(),
    /** Job name, which is also the pg-boss queue: 'finalize-day', 'reprocess-queue', 'nightly', … */
    name: t.text().notNull(),
    /** The job's arguments, validated by its zod schema before the run is created. */
    params: t.jsonb().$type<Record<string, unknown>>().notNull().default({}),
    status: jobRunStatus().notNull().default('queued'),
    progressDone: t.integer().notNull().default(0),
    /** 0 until the job knows how much there is to do. */
    progressTotal: t.integer().notNull().default(0),
    /** What progress counts: 'steps', 'meter-days', 'days'. */
    progressUnit: t.text().notNull().default('steps'),
    /** A user id, 'schedule', or 'cli:<os user>'. */
    startedBy: t.text().notNull(),
    /** Times a worker has started the run; above 1 after a retry. */
    attempts: t.integer().notNull().default(0),
    /** The job's summary when it completed (counts of what it changed). */
    result: t.jsonb().$type<Record<string, unknown>>(),
    /** The last attempt's error message. */
    error: t.text(),
    createdAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
    startedAt: t.timestamp({ withTimezone: true }),
    finishedAt: t.timestamp({ withTimezone: true }),
    /** Last progress or log write of a running run; a stale one points at a dead worker. */
    updatedAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
    /** Set by requestCancel; the job stops at its next checkpoint, and what it committed stays. */
    cancelRequestedAt: t.timestamp({ withTimezone: true }),
    cancelRequestedBy: t.text(),
  }),
  (table) => [
    index('job_runs_created_idx').on(table.createdAt),
    index('job_runs_status_idx').on(table.status, table.createdAt),
    index('job_runs_name_idx').on(table.name, table.createdAt),
    check('job_runs_progress_check', sql`${table.progressDone} >= 0 and ${table.progressTotal} >= 0`),
  ],
);

export const jobLogLevel = pgEnum('job_log_level', ['debug', 'info', 'warn', 'error']);

/** What a run reported while it ran, in order. */
export const jobRunLogs = pgTable(
  'job_run_logs',
  (t) => ({
    id: t.bigserial({ mode: 'number' }).primaryKey(),
    runId: t
      .uuid()
      .notNull()
      .references(() => jobRuns.id, { onDelete: 'cascade' }),
    at: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
    level: jobLogLevel().notNull(),
    message: t.text().notNull(),
  }),
  (table) => [index('job_run_logs_run_idx').on(table.runId, table.id)],
);
