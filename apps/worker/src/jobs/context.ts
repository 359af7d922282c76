import type { Sql } from '@meterops/db/client';
import {
  appendRunLog,
  isCancelRequested,
  updateRunProgress,
  type JobLogLevel,
} from '@meterops/db/queries/jobs';
import type { Logger } from 'pino';

/** Thrown at a checkpoint of a run whose cancellation was requested; the run ends as cancelled. */
export class JobCancelledError extends Error {
  override name = 'JobCancelledError';
}

/** What a job handler reports through while it runs; every write goes to job_runs / job_run_logs. */
export interface JobContext {
  readonly runId: string;
  log: (level: JobLogLevel, message: string) => Promise<void>;
  /** Progress in the job's unit; written at most twice a second. */
  progress: (done: number, total: number) => void;
  /** Throws JobCancelledError when the run was asked to stop (or pg-boss gave up on it). */
  checkpoint: () => Promise<void>;
  /** Writes the last progress report. */
  flush: () => Promise<void>;
}

const PROGRESS_INTERVAL_MS = 500;
const CANCEL_POLL_INTERVAL_MS = 1_000;

export function createJobContext(options: {
  sql: Sql;
  runId: string;
  log: Logger;
  signal?: AbortSignal;
}): JobContext {
  const { sql, runId } = options;
  let pending: { done: number; total: number } | null = null;
  let lastWrite = 0;
  let writing: Promise<void> = Promise.resolve();
  let cancelCheckedAt = 0;

  const write = () => {
    const report = pending;
    if (report === null) return writing;
    pending = null;
    lastWrite = Date.now();
    writing = writing
      .then(() => updateRunProgress(sql, { id: runId, ...report }))
      .catch((error: unknown) => options.log.warn({ err: error, runId }, 'could not record job progress'));
    return writing;
  };

  return {
    runId,
    async log(level, message) {
      options.log[level === 'debug' ? 'debug' : level]({ runId }, message);
      await appendRunLog(sql, { id: runId, level, message });
    },
    progress(done, total) {
      pending = { done, total };
      if (Date.now() - lastWrite >= PROGRESS_INTERVAL_MS) void write();
    },
    async checkpoint() {
      if (options.signal?.aborted === true) {
        throw new JobCancelledError('pg-boss no longer holds this job (it expired or was cancelled)');
      }
      const now = Date.now();
      if (now - cancelCheckedAt < CANCEL_POLL_INTERVAL_MS) return;
      cancelCheckedAt = now;
      if (await isCancelRequested(sql, { id: runId })) throw new JobCancelledError('cancellation requested');
    },
    async flush() {
      await write();
    },
  };
}
