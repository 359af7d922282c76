/**
 * Every job the worker runs: its progress unit, its queue settings on pg-boss and what it does. The
 * arguments are validated by the schemas in @meterops/db/queries/jobs, shared with the portal.
 */
import type { Sql } from '@meterops/db/client';
import {
  daysToFinalize,
  estimateGapsForDay,
  finalizeDay,
  processReprocessQueue,
  reprocessRange,
  type BatchProgress,
  type RecomputeResult,
  type ReprocessResult,
} from '@meterops/db/queries/batch';
import { purgeSignInState } from '@meterops/db/queries/auth';
import { pruneJobLogs, type JobName, type JobParams } from '@meterops/db/queries/jobs';
import { pruneResolvedRejects } from '@meterops/db/queries/rejects';
import { archiveBefore, archiveCutoff, purgeBefore } from '@meterops/archive/lifecycle';
import { monthKeyOf, retentionCutoff } from '@meterops/archive/months';
import type { ArchiveStore } from '@meterops/archive/storage';
import { runForecast } from '../forecast/run';
import { followReplay, requestReplay, type ReplayTarget } from '../ingest/replay';
import type { JobContext } from './context';

/** The retention settings of the worker (env.ts) the lifecycle jobs apply. */
export interface LifecycleSettings {
  store: ArchiveStore;
  /** Scratch folder for archive runs. */
  workDir: string;
  /** Months of raw readings kept in Postgres, the current one included. */
  retentionMonths: number;
  /** Years an archived month is kept. */
  retentionYears: number;
  rejectedDays: number;
  jobLogDays: number;
}

export interface JobDeps {
  sql: Sql;
  graceHours: number;
  lifecycle: LifecycleSettings;
  /** The readings topic and ingest group, for replays; null where no Kafka client is configured. */
  ingest: ReplayTarget | null;
}

export interface JobOutcome {
  /** What the job processed, for the job_run metric: meter-days recomputed. */
  items: number;
  /** Stored as the run's result for the portal. */
  summary: Record<string, unknown>;
}

export interface JobDefinition<N extends JobName> {
  name: N;
  progressUnit: 'meter-days' | 'days' | 'steps' | 'messages';
  /** pg-boss queue options: retries with backoff, and how long one attempt may run. */
  queue: { retryLimit: number; retryDelay: number; retryBackoff: boolean; expireInSeconds: number };
  run(ctx: JobContext, params: JobParams<N>, deps: JobDeps): Promise<JobOutcome>;
}

const retries = { retryLimit: 2, retryDelay: 30, retryBackoff: true } as const;

const meterProgress = (ctx: JobContext) => (progress: BatchProgress) => {
  if (progress.step === 'meters') ctx.progress(progress.done, progress.total);
};

function summarizeDay(result: RecomputeResult): Record<string, unknown> {
  return {
    day: result.day,
    meters: result.meters,
    readings: result.readings,
    estimated: result.estimated,
    rowsWritten: result.rows,
    requeued: result.requeued,
    billingAlerts: result.alerts.length,
  };
}

function summarizeReprocess(result: ReprocessResult): Record<string, unknown> {
  return {
    keys: result.keys,
    days: result.days,
    meters: result.meters,
    readings: result.readings,
    estimated: result.estimated,
    rowsWritten: result.rows,
    requeued: result.requeued,
    billingAlerts: result.alerts.length,
    // The first keys whose final kWh moved, so the run shows what it changed.
    changes: result.changes
      .filter((change) => change.kwhBefore !== change.kwhAfter)
      .slice(0, 100)
      .map(
        (change) => `${change.meterId} ${change.day}: ${change.kwhBefore ?? '–'} → ${change.kwhAfter} kWh`,
      ),
  };
}

async function logDay(ctx: JobContext, result: RecomputeResult, verb: string): Promise<void> {
  await ctx.log(
    'info',
    `${verb} ${result.day}: ${result.meters} meters, ${result.readings} readings, ` +
      `${result.estimated.inserted} estimates written and ${result.estimated.replaced} replaced ` +
      `(${result.estimated.linear} linear, ${result.estimated.likeDay} like-day); rows changed: ` +
      `${result.rows.hourly} hourly, ${result.rows.daily} daily, ${result.rows.dimension} dimension, ` +
      `${result.rows.settlement} settlement` +
      (result.alerts.length > 0 ? `; ${result.alerts.length} billing alerts` : '') +
      (result.requeued > 0 ? `; ${result.requeued} meters left to the reprocess queue` : ''),
  );
}

const finalizeDayJob: JobDefinition<'finalize-day'> = {
  name: 'finalize-day',
  progressUnit: 'meter-days',
  queue: { ...retries, expireInSeconds: 2 * 3600 },
  async run(ctx, params, { sql }) {
    const result = await finalizeDay(sql, {
      day: params.day,
      meterIds: params.meterIds ?? null,
      actor: 'job:finalize-day',
      jobRunId: ctx.runId,
      onProgress: meterProgress(ctx),
      checkpoint: ctx.checkpoint,
    });
    await logDay(ctx, result, 'finalized');
    return { items: result.meters, summary: summarizeDay(result) };
  },
};

const estimateGapsJob: JobDefinition<'estimate-gaps'> = {
  name: 'estimate-gaps',
  progressUnit: 'meter-days',
  queue: { ...retries, expireInSeconds: 2 * 3600 },
  async run(ctx, params, { sql }) {
    const result = await estimateGapsForDay(sql, {
      day: params.day,
      meterIds: params.meterIds ?? null,
      actor: 'job:estimate-gaps',
      jobRunId: ctx.runId,
      onProgress: meterProgress(ctx),
      checkpoint: ctx.checkpoint,
    });
    await logDay(ctx, result, 'estimated gaps of');
    return { items: result.meters, summary: summarizeDay(result) };
  },
};

const reprocessJob: JobDefinition<'reprocess'> = {
  name: 'reprocess',
  progressUnit: 'days',
  queue: { ...retries, expireInSeconds: 12 * 3600 },
  async run(ctx, params, { sql }) {
    const result = await reprocessRange(sql, {
      from: params.from,
      to: params.to,
      meterIds: params.meterIds ?? null,
      actor: 'job:reprocess',
      jobRunId: ctx.runId,
      onProgress: meterProgress(ctx),
      checkpoint: ctx.checkpoint,
    });
    await ctx.log(
      'info',
      `reprocessed ${result.daysDone.length} days (${result.meters} meter-days): ${result.rows.daily} daily rows changed, ` +
        `${result.alerts.length} billing alerts`,
    );
    return { items: result.meters, summary: summarizeReprocess(result) };
  },
};

const reprocessQueueJob: JobDefinition<'reprocess-queue'> = {
  name: 'reprocess-queue',
  progressUnit: 'meter-days',
  queue: { ...retries, expireInSeconds: 6 * 3600 },
  async run(ctx, params, { sql }) {
    const result = await processReprocessQueue(sql, {
      limit: params.limit,
      actor: 'job:reprocess-queue',
      jobRunId: ctx.runId,
      onProgress: meterProgress(ctx),
      checkpoint: ctx.checkpoint,
    });
    await ctx.log(
      'info',
      `reprocessed ${result.keys} queued keys over ${result.days} days: ${result.rows.daily} daily, ` +
        `${result.rows.dimension} dimension and ${result.rows.settlement} settlement rows changed, ` +
        `${result.alerts.length} billing alerts` +
        (result.requeued > 0 ? `; ${result.requeued} keys changed again meanwhile and stay queued` : ''),
    );
    return { items: result.meters, summary: summarizeReprocess(result) };
  },
};

const nightlyJob: JobDefinition<'nightly'> = {
  name: 'nightly',
  progressUnit: 'steps',
  queue: { ...retries, expireInSeconds: 12 * 3600 },
  async run(ctx, params, deps) {
    const graceHours = params.graceHours ?? deps.graceHours;
    const days = await daysToFinalize(deps.sql, { graceHours });
    await ctx.log('info', `days to finalize: ${days.join(', ') || 'none'}`);
    const total = days.length + 1;
    ctx.progress(0, total);
    const finalized: Record<string, unknown>[] = [];
    let items = 0;
    for (const [index, day] of days.entries()) {
      await ctx.checkpoint();
      const result = await finalizeDay(deps.sql, {
        day,
        actor: 'job:nightly',
        jobRunId: ctx.runId,
        checkpoint: ctx.checkpoint,
      });
      await logDay(ctx, result, 'finalized');
      finalized.push(summarizeDay(result));
      items += result.meters;
      ctx.progress(index + 1, total);
    }
    const queue = await processReprocessQueue(deps.sql, {
      actor: 'job:nightly',
      jobRunId: ctx.runId,
      checkpoint: ctx.checkpoint,
    });
    await ctx.log('info', `reprocess queue: ${queue.keys} keys, ${queue.alerts.length} billing alerts`);
    ctx.progress(total, total);
    return { items: items + queue.meters, summary: { finalized, reprocessQueue: summarizeReprocess(queue) } };
  },
};

const replayJob: JobDefinition<'replay'> = {
  name: 'replay',
  progressUnit: 'messages',
  // Not retried: a second attempt would rewind again; the run says what it re-read.
  queue: { retryLimit: 0, retryDelay: 30, retryBackoff: false, expireInSeconds: 12 * 3600 },
  async run(ctx, params, deps) {
    if (!deps.ingest) throw new Error('replay needs the Kafka settings of the ingest worker');
    const replay = await requestReplay(deps.sql, deps.ingest, {
      from: params.from,
      partitions: params.partitions,
      requestedBy: `job:${ctx.runId}`,
    });
    const windows = replay.partitions
      .map((entry) => `${entry.partition}: ${entry.fromOffset}–${entry.toOffset - 1n}`)
      .join(', ');
    await ctx.log(
      'info',
      `replay ${replay.id} of ${deps.ingest.topic} for group ${deps.ingest.groupId} from ${params.from}: ` +
        (windows || 'nothing to re-read') +
        (replay.groupOffsetsMoved ? ' (no worker in the group: its Kafka offsets moved too)' : ''),
    );
    let lastLoggedAt = 0;
    const final = await followReplay(deps.sql, replay.id, {
      checkpoint: ctx.checkpoint,
      onProgress: async (row, progress) => {
        ctx.progress(progress.done, progress.total);
        if (Date.now() - lastLoggedAt > 10_000) {
          lastLoggedAt = Date.now();
          await ctx.log(
            'info',
            `re-read ${progress.done} of ${progress.total} messages: ${row.inserted} new, ${row.revised} changed ` +
              `(new versions), ${row.duplicates} unchanged, ${row.rejected} newly rejected`,
          );
        }
      },
    });
    const summary = {
      replayId: final.id,
      from: params.from,
      partitions: final.partitions.map((entry) => ({
        partition: entry.partition,
        fromOffset: entry.fromOffset,
        toOffset: entry.toOffset,
      })),
      messages: final.records,
      inserted: final.inserted,
      revised: final.revised,
      duplicates: final.duplicates,
      rejected: final.rejected,
    };
    await ctx.log(
      'info',
      `replay ${final.id} done: ${final.records} messages, ${final.inserted} new readings, ${final.revised} new ` +
        `versions, ${final.duplicates} unchanged, ${final.rejected} newly rejected`,
    );
    return { items: final.records, summary };
  },
};

/** Sign-in attempts are kept this long by default: long enough to look into an attack afterwards. */
const DEFAULT_ATTEMPT_RETENTION_HOURS = 7 * 24;

const housekeepingJob: JobDefinition<'housekeeping'> = {
  name: 'housekeeping',
  progressUnit: 'steps',
  queue: { ...retries, expireInSeconds: 3600 },
  async run(ctx, params, { sql }) {
    const attemptRetentionHours = params.attemptRetentionHours ?? DEFAULT_ATTEMPT_RETENTION_HOURS;
    ctx.progress(0, 1);
    const purged = await purgeSignInState(sql, { attemptRetentionHours });
    ctx.progress(1, 1);
    await ctx.log(
      'info',
      `deleted ${purged.sessions} expired sessions and ${purged.signInAttempts} sign-in attempts older than ${attemptRetentionHours} h`,
    );
    return {
      items: purged.sessions + purged.signInAttempts,
      summary: {
        expiredSessions: purged.sessions,
        signInAttempts: purged.signInAttempts,
        attemptRetentionHours,
      },
    };
  },
};

const archiveJob: JobDefinition<'archive'> = {
  name: 'archive',
  progressUnit: 'steps',
  // A month is one transaction at the end; a retry starts the month again from its files.
  queue: { ...retries, expireInSeconds: 12 * 3600 },
  async run(ctx, params, { sql, lifecycle }) {
    const now = new Date();
    const before = params.before ?? retentionCutoff(now, lifecycle.retentionMonths);
    const purgeBeforeMonth = params.purgeBefore ?? archiveCutoff(monthKeyOf(now), lifecycle.retentionYears);
    await ctx.log('info', `archiving months before ${before} to ${lifecycle.store.description}`);
    const deps = {
      sql,
      store: lifecycle.store,
      workDir: lifecycle.workDir,
      onProgress: (progress: { month: string; step: string; message?: string }) => {
        if (progress.message !== undefined && progress.step !== 'export')
          void ctx.log('info', `${progress.month} ${progress.step}: ${progress.message}`);
      },
    };
    let total = 1;
    const archived = await archiveBefore(deps, before, async (month, index, months) => {
      await ctx.checkpoint();
      total = months + 1;
      ctx.progress(index, total);
      await ctx.log('info', `${month}: writing Parquet, verifying, dropping (${index + 1} of ${months})`);
    });
    ctx.progress(archived.length, total);
    for (const month of archived)
      await ctx.log(
        'info',
        `${month.month}: ${month.readings} readings and ${month.revisions} revisions archived and dropped`,
      );
    const purged = await purgeBefore(deps, purgeBeforeMonth);
    if (purged.length > 0)
      await ctx.log('info', `archive retention deleted the files of ${purged.join(', ')}`);
    ctx.progress(total, total);
    return {
      items: archived.reduce((sum, month) => sum + month.readings, 0),
      summary: { before, archived, purgeBefore: purgeBeforeMonth, purged },
    };
  },
};

const retentionJob: JobDefinition<'retention'> = {
  name: 'retention',
  progressUnit: 'steps',
  queue: { ...retries, expireInSeconds: 3600 },
  async run(ctx, params, { sql, lifecycle }) {
    const rejectedDays = params.rejectedDays ?? lifecycle.rejectedDays;
    const jobLogDays = params.jobLogDays ?? lifecycle.jobLogDays;
    ctx.progress(0, 2);
    const rejects = await pruneResolvedRejects(sql, { days: rejectedDays });
    ctx.progress(1, 2);
    const logLines = await pruneJobLogs(sql, { days: jobLogDays });
    ctx.progress(2, 2);
    await ctx.log(
      'info',
      `deleted ${rejects} rejected readings resolved over ${rejectedDays} days ago and ${logLines} log lines of runs finished over ${jobLogDays} days ago`,
    );
    return { items: rejects + logLines, summary: { rejectedDays, rejects, jobLogDays, logLines } };
  },
};

const forecastJob: JobDefinition<'forecast'> = {
  name: 'forecast',
  progressUnit: 'steps',
  queue: { ...retries, expireInSeconds: 2 * 3600 },
  async run(ctx, params, { sql }) {
    const result = await runForecast(sql, {
      issueDay: params.issueDay ?? new Date().toISOString().slice(0, 10),
      regionHorizonDays: params.regionHorizonDays ?? 7,
      meterHorizonDays: params.meterHorizonDays ?? 35,
      weather: params.weather ?? 'simulated',
      onProgress: (done, total) => ctx.progress(done, total),
      checkpoint: ctx.checkpoint,
      log: (message) => ctx.log('info', message),
    });
    return { items: result.regionRows + result.meterRows, summary: { ...result } };
  },
};

export const jobDefinitions: { [N in JobName]: JobDefinition<N> } = {
  replay: replayJob,
  'finalize-day': finalizeDayJob,
  'estimate-gaps': estimateGapsJob,
  reprocess: reprocessJob,
  'reprocess-queue': reprocessQueueJob,
  nightly: nightlyJob,
  housekeeping: housekeepingJob,
  archive: archiveJob,
  retention: retentionJob,
  forecast: forecastJob,
};
