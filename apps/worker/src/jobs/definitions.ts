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
import { publishEvent } from '@meterops/db/queries/webhooks';
import { dueSettlementRuns, runSettlement, type RunSettlementResult } from '@meterops/db/queries/settlement';
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

interface JobDeps {
  sql: Sql;
  graceHours: number;
  lifecycle: LifecycleSettings;
  /** The readings topic and ingest group, for replays; null where no Kafka client is configured. */
  ingest: ReplayTarget | null;
}

interface JobOutcome {
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

/** Tells subscribers (`reprocess.finished`) what a completed reprocess run changed. */
async function publishReprocessFinished(
  sql: Sql,
  runId: string,
  job: 'reprocess' | 'reprocess-queue',
  range: { from: string; to: string } | null,
  result: ReprocessResult,
): Promise<void> {
  await publishEvent(sql, {
    type: 'reprocess.finished',
    data: {
      jobRunId: runId,
      job,
      from: range?.from ?? null,
      to: range?.to ?? null,
      days: result.days,
      meterDays: result.meters,
      dailyRowsChanged: result.rows.daily,
      billingAlerts: result.alerts.length,
      requeued: result.requeued,
    },
  });
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
    await publishReprocessFinished(sql, ctx.runId, 'reprocess', { from: params.from, to: params.to }, result);
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
    await publishReprocessFinished(sql, ctx.runId, 'reprocess-queue', null, result);
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

function describeSettlement({ run, differences, causes }: RunSettlementResult): string {
  return (
    `settled ${run.region} ${run.day} ${run.runType} v${run.version} (run #${run.id}, as of ${run.asOf.toISOString()}): ` +
    `${run.readings} readings of ${run.meters} meters, ${run.kwh} kWh over ${run.suppliers} suppliers × ${run.periods} periods, ` +
    `${run.estimatedKwh} kWh estimated; balanced with the region's metered ${run.regionKwh} kWh` +
    (run.previousRunId === null
      ? ''
      : `; ${differences} differences from run #${run.previousRunId}, ${causes} readings behind them`)
  );
}

const settlementRunJob: JobDefinition<'settlement-run'> = {
  name: 'settlement-run',
  progressUnit: 'steps',
  // A failed run stored nothing; retrying an imbalance would only fail again, so it is retried once.
  queue: { retryLimit: 1, retryDelay: 30, retryBackoff: false, expireInSeconds: 3600 },
  async run(ctx, params, { sql }) {
    const result = await runSettlement(sql, {
      day: params.day,
      region: params.region,
      runType: params.runType,
      actor: 'job:settlement-run',
      jobRunId: ctx.runId,
      onProgress: (_step, done, total) => ctx.progress(done, total),
    });
    await ctx.log('info', describeSettlement(result));
    return {
      items: result.run.readings,
      summary: {
        runId: result.run.id,
        day: result.run.day,
        region: result.run.region,
        runType: result.run.runType,
        version: result.run.version,
        kwh: result.run.kwh,
        readings: result.run.readings,
        differences: result.differences,
        causes: result.causes,
      },
    };
  },
};

const settlementDueJob: JobDefinition<'settlement-due'> = {
  name: 'settlement-due',
  progressUnit: 'steps',
  queue: { retryLimit: 1, retryDelay: 60, retryBackoff: false, expireInSeconds: 6 * 3600 },
  async run(ctx, params, { sql }) {
    const due = await dueSettlementRuns(sql, { lookbackDays: params.lookbackDays });
    await ctx.log('info', `${due.length} settlement runs due`);
    ctx.progress(0, due.length);
    const done: number[] = [];
    const failed: string[] = [];
    let readings = 0;
    for (const [index, next] of due.entries()) {
      await ctx.checkpoint();
      try {
        const result = await runSettlement(sql, {
          ...next,
          actor: 'job:settlement-due',
          jobRunId: ctx.runId,
        });
        await ctx.log('info', describeSettlement(result));
        done.push(result.run.id);
        readings += result.run.readings;
      } catch (error) {
        // One region that does not balance must not hold up the others; the run fails at the end.
        const message = error instanceof Error ? error.message : String(error);
        failed.push(`${next.region} ${next.day} ${next.runType}: ${message}`);
        await ctx.log('error', `${next.region} ${next.day} ${next.runType} failed: ${message}`);
      }
      ctx.progress(index + 1, due.length);
    }
    if (failed.length > 0) {
      throw new Error(`${failed.length} of ${due.length} settlement runs failed: ${failed.join('; ')}`);
    }
    return { items: readings, summary: { due: due.length, runIds: done } };
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
  'settlement-run': settlementRunJob,
  'settlement-due': settlementDueJob,
  archive: archiveJob,
  retention: retentionJob,
  forecast: forecastJob,
};
