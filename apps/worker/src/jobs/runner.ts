/**
 * Runs batch jobs on pg-boss: a queue per job with retries and backoff, the nightly, reprocess and
 * housekeeping schedules, a relay that puts runs requested through job_runs (by the portal or the CLI) on the queue,
 * and the bookkeeping of each attempt in job_runs / job_run_logs.
 */
import type { Sql } from '@meterops/db/client';
import {
  finishRunAttempt,
  jobNames,
  jobRequestChannel,
  markRelayed,
  parseJobParams,
  recordScheduledRun,
  runsToRelay,
  startRunAttempt,
  type JobName,
} from '@meterops/db/queries/jobs';
import { dueSettlementRuns } from '@meterops/db/queries/settlement';
import { jobRunPoint } from '@meterops/metrics/measurements';
import type { MetricsWriter } from '@meterops/metrics/writer';
import { PgBoss, type JobWithMetadata } from 'pg-boss';
import type { Logger } from 'pino';
import { createJobContext, JobCancelledError } from './context';
import type { ReplayTarget } from '../ingest/replay';
import { jobDefinitions, type JobDefinition, type LifecycleSettings } from './definitions';

export interface JobRunnerOptions {
  databaseUrl: string;
  sql: Sql;
  log: Logger;
  metrics: MetricsWriter | null;
  workerId: string;
  /** Jobs this process runs at once, over all queues. */
  concurrency: number;
  /** Cron expressions (UTC) of the recurring jobs; null runs no schedules (the CLI's runner). */
  schedules: {
    nightly: string;
    reprocessQueue: string;
    housekeeping: string;
    settlement: string;
    archive: string;
    retention: string;
    forecast: string;
  } | null;
  /** Default grace after a day's end before the nightly run finalizes it. */
  finalizeGraceHours: number;
  /** Archive store and retention settings of the lifecycle jobs. */
  lifecycle: LifecycleSettings;
  /** The queues to work on; all by default. */
  queues?: readonly JobName[];
  /** The readings topic and ingest group the replay job rewinds; without it, replays fail. */
  ingest?: ReplayTarget | null;
  /** Replaces the jobs' retry settings (tests use a short delay). */
  retryOverrides?: { retryDelay?: number; retryBackoff?: boolean; retryLimit?: number };
}

const RELAY_INTERVAL_MS = 2_000;
const RECONCILE_INTERVAL_MS = 60_000;

export class JobRunner {
  private boss: PgBoss | null = null;
  private relayTimer: NodeJS.Timeout | null = null;
  private reconcileTimer: NodeJS.Timeout | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private relaying: Promise<void> | null = null;
  private relayAgain = false;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private stopped = false;

  constructor(private readonly options: JobRunnerOptions) {}

  async start(): Promise<void> {
    const { log } = this.options;
    const boss = new PgBoss({
      connectionString: this.options.databaseUrl,
      schema: 'pgboss',
      // Migration 0008 creates the schema, owned by the worker's role, which has no CREATE on the database.
      createSchema: false,
      application_name: `meterops-jobs-${this.options.workerId}`,
      max: 4,
      schedule: this.options.schedules !== null,
    });
    boss.on('error', (error) => log.error({ err: error }, 'pg-boss error'));
    await boss.start();
    this.boss = boss;

    const queues = this.options.queues ?? jobNames;
    for (const name of jobNames) {
      await boss.createQueue(name, { ...this.queueOptions(name), deleteAfterSeconds: 14 * 24 * 3600 });
    }
    for (const name of queues) {
      await boss.work(
        name,
        {
          includeMetadata: true,
          batchSize: 1,
          localConcurrency: this.options.concurrency,
          pollingIntervalSeconds: 1,
        },
        async ([job]) => {
          if (job !== undefined) await this.handle(jobDefinitions[name], job);
        },
      );
    }
    if (this.options.schedules !== null) {
      await boss.schedule('nightly', this.options.schedules.nightly, {}, { tz: 'UTC' });
      await boss.schedule('reprocess-queue', this.options.schedules.reprocessQueue, {}, { tz: 'UTC' });
      await boss.schedule('housekeeping', this.options.schedules.housekeeping, {}, { tz: 'UTC' });
      await boss.schedule('settlement-due', this.options.schedules.settlement, {}, { tz: 'UTC' });
      await boss.schedule('archive', this.options.schedules.archive, {}, { tz: 'UTC' });
      await boss.schedule('retention', this.options.schedules.retention, {}, { tz: 'UTC' });
      await boss.schedule('forecast', this.options.schedules.forecast, {}, { tz: 'UTC' });
    }

    const listener = await this.options.sql.listen(jobRequestChannel, () => this.relaySoon());
    this.unlisten = () => listener.unlisten();
    this.relayTimer = setInterval(() => this.relaySoon(), RELAY_INTERVAL_MS);
    this.reconcileTimer = setInterval(() => void this.reconcile(), RECONCILE_INTERVAL_MS);
    this.relaySoon();
    log.info(
      { queues, concurrency: this.options.concurrency, schedules: this.options.schedules },
      'job runner started',
    );
  }

  /** Stops fetching, lets the jobs in hand finish (up to `timeoutMs`), and closes pg-boss. */
  async stop(timeoutMs = 30_000): Promise<void> {
    this.stopped = true;
    if (this.relayTimer !== null) clearInterval(this.relayTimer);
    if (this.reconcileTimer !== null) clearInterval(this.reconcileTimer);
    await this.unlisten?.().catch(() => {});
    await this.relaying;
    await this.boss?.stop({ graceful: true, timeout: timeoutMs });
    this.boss = null;
  }

  /** Puts every requested run on its pg-boss queue now (also run by the timer and on NOTIFY). */
  relaySoon(): void {
    if (this.stopped || this.boss === null) return;
    if (this.relaying !== null) {
      this.relayAgain = true;
      return;
    }
    this.relaying = this.relay()
      .catch((error: unknown) => this.options.log.warn({ err: error }, 'could not relay job runs to pg-boss'))
      .finally(() => {
        this.relaying = null;
        if (this.relayAgain) {
          this.relayAgain = false;
          this.relaySoon();
        }
      });
  }

  private async relay(): Promise<void> {
    const boss = this.boss;
    if (boss === null) return;
    for (const run of await runsToRelay(this.options.sql)) {
      const definition = jobDefinitions[run.name as JobName] as JobDefinition<JobName> | undefined;
      if (definition === undefined) {
        await finishRunAttempt(this.options.sql, {
          id: run.id,
          status: 'failed',
          error: `no job named ${run.name}`,
        });
        continue;
      }
      // The pg-boss job takes the run's id, so relaying the same run twice (a crash in between) is a no-op.
      await boss.send(run.name, run.params, { id: run.id, ...this.queueOptions(definition.name) });
      await markRelayed(this.options.sql, { id: run.id });
    }
  }

  private queueOptions(name: JobName) {
    return { ...jobDefinitions[name].queue, ...this.options.retryOverrides };
  }

  /** Runs pg-boss gave up on without our handler finishing them (a worker died mid-run) are marked failed. */
  private async reconcile(): Promise<void> {
    const boss = this.boss;
    if (boss === null) return;
    const stale = await this.options.sql<{ id: string; name: string }[]>`
      select id, name from job_runs
      where status in ('queued', 'running') and pgboss_job_id is not null and updated_at < now() - interval '5 minutes'
      limit 100`;
    for (const run of stale) {
      if (!(jobNames as string[]).includes(run.name)) continue;
      const [job] = await boss.findJobs(run.name, { id: run.id });
      if (job === undefined || job.state === 'failed') {
        await finishRunAttempt(this.options.sql, {
          id: run.id,
          status: 'failed',
          error: 'the worker running it stopped and the retries ran out',
        });
      } else if (job.state === 'cancelled') {
        await finishRunAttempt(this.options.sql, { id: run.id, status: 'cancelled' });
      }
    }
  }

  private async handle(definition: JobDefinition<JobName>, job: JobWithMetadata<unknown>): Promise<void> {
    const { sql, log } = this.options;
    const [known] = await sql<{ id: string }[]>`select id from job_runs where id = ${job.id}`;
    if (known === undefined) {
      // Started by a schedule. A reprocess pass with nothing queued leaves no run behind.
      if (definition.name === 'reprocess-queue') {
        const [queued] = await sql<{ any: boolean }[]>`select exists (select 1 from reprocess_queue) as any`;
        if (queued?.any !== true) return;
      }
      // Likewise an hourly settlement pass with no run due.
      if (definition.name === 'settlement-due' && (await dueSettlementRuns(sql)).length === 0) return;
      await recordScheduledRun(sql, {
        id: job.id,
        name: definition.name,
        params: job.data as Record<string, unknown>,
      });
    }

    let params;
    try {
      params = parseJobParams(definition.name, job.data);
    } catch (error) {
      // Arguments that do not validate will not validate on a retry either.
      await finishRunAttempt(sql, {
        id: job.id,
        status: 'failed',
        error: `invalid arguments: ${String(error)}`,
      });
      return;
    }

    await this.acquire();
    try {
      const run = await startRunAttempt(sql, { id: job.id, progressUnit: definition.progressUnit });
      if (run === null) return;
      const ctx = createJobContext({ sql, runId: run.id, log, signal: job.signal });
      await ctx.log(
        'info',
        `attempt ${run.attempts} of ${definition.name} started on ${this.options.workerId}`,
      );
      const started = performance.now();
      try {
        const outcome = await definition.run(ctx, params, {
          sql,
          graceHours: this.options.finalizeGraceHours,
          ingest: this.options.ingest ?? null,
          lifecycle: this.options.lifecycle,
        });
        await ctx.flush();
        await ctx.log('info', `completed in ${((performance.now() - started) / 1000).toFixed(1)} s`);
        await finishRunAttempt(sql, {
          id: run.id,
          status: 'completed',
          result: outcome.summary,
          error: null,
        });
        this.record(definition.name, 'completed', outcome.items, performance.now() - started);
      } catch (error) {
        await ctx.flush();
        if (error instanceof JobCancelledError) {
          await ctx.log('warn', `stopped: ${error.message}; work committed before this point stays`);
          await finishRunAttempt(sql, { id: run.id, status: 'cancelled' });
          return;
        }
        const message = error instanceof Error ? error.message : String(error);
        const willRetry = job.retryCount < job.retryLimit;
        await ctx.log(
          'error',
          `attempt ${run.attempts} failed: ${message}${willRetry ? '; pg-boss will retry it' : ''}`,
        );
        await finishRunAttempt(sql, { id: run.id, status: willRetry ? 'queued' : 'failed', error: message });
        if (!willRetry) this.record(definition.name, 'failed', 0, performance.now() - started);
        throw error;
      }
    } finally {
      this.release();
    }
  }

  private record(job: string, status: 'completed' | 'failed', items: number, durationMs: number): void {
    this.options.metrics?.write(jobRunPoint({ job, status, items, durationMs }));
  }

  private async acquire(): Promise<void> {
    if (this.running < this.options.concurrency) {
      this.running += 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next !== undefined) next();
    else this.running -= 1;
  }
}
