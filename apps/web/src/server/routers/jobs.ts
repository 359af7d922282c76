/**
 * Batch job runs for administrators: start reprocessing (or another job), follow a run's progress and
 * log, cancel it. The runs are the batch layer's (`@meterops/db/queries/jobs`); the worker carries them out.
 * Starts and cancellations are recorded in the staff audit trail.
 */
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { recordStaffAction } from '@meterops/db/queries/audit';
import {
  enqueueJob,
  getJobRun,
  jobParamsSchemas,
  listJobRuns,
  requestCancel,
  type JobRun,
} from '@meterops/db/queries/jobs';
import { findMeterProfiles } from '@meterops/db/queries/meters';
import { userNames } from '@meterops/db/queries/service';
import { jobLogLevel, jobRunStatus } from '../enums';
import { daysBetween } from '../../lib/ops-params';
import { meterListSchema } from '../../lib/job-params';
import { daySchema, JOBS_PAGE_SIZE, REPROCESS_MAX_DAYS } from '../../lib/service-params';
import { fieldError } from '../field-error';
import { staffActor } from '../staff-actor';
import { adminProcedure, router } from '../trpc';

const runOutput = z.object({
  id: z.string(),
  name: z.string(),
  params: z.record(z.string(), z.unknown()),
  status: jobRunStatus,
  progressDone: z.number().int(),
  progressTotal: z.number().int(),
  progressUnit: z.string(),
  startedBy: z.string(),
  startedByName: z.string().nullable(),
  attempts: z.number().int(),
  result: z.record(z.string(), z.unknown()).nullable(),
  error: z.string().nullable(),
  createdAt: z.date(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
  updatedAt: z.date(),
  cancelRequestedAt: z.date().nullable(),
  /** Running time so far, or in total once finished; null before it started. */
  durationMs: z.number().nullable(),
});

async function describeRuns(sql: Parameters<typeof userNames>[0], runs: JobRun[]) {
  const names = await userNames(sql, { actors: runs.map((run) => run.startedBy) });
  const now = Date.now();
  return runs.map((run) => ({
    id: run.id,
    name: run.name,
    params: run.params,
    status: run.status,
    progressDone: run.progressDone,
    progressTotal: run.progressTotal,
    progressUnit: run.progressUnit,
    startedBy: run.startedBy,
    startedByName: names.get(run.startedBy) ?? null,
    attempts: run.attempts,
    result: run.result,
    error: run.error,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    updatedAt: run.updatedAt,
    cancelRequestedAt: run.cancelRequestedAt,
    durationMs: run.startedAt === null ? null : (run.finishedAt?.getTime() ?? now) - run.startedAt.getTime(),
  }));
}

const dayRange = {
  from: daySchema,
  to: daySchema,
};

const startInput = z.discriminatedUnion('name', [
  z
    .object({ name: z.literal('reprocess'), ...dayRange, meterIds: meterListSchema })
    .refine(({ from, to }) => from <= to, {
      message: 'The range must not end before it starts',
      path: ['to'],
    })
    .refine(({ from, to }) => daysBetween(from, to) < REPROCESS_MAX_DAYS, {
      message: `At most ${REPROCESS_MAX_DAYS} days at once`,
      path: ['from'],
    }),
  z.object({ name: z.literal('reprocess-queue') }),
  z.object({ name: z.literal('finalize-day'), day: daySchema }),
  // The worker's own schema: the same checks for the portal and `npm run replay`.
  jobParamsSchemas.replay.extend({ name: z.literal('replay') }),
]);

export const jobsRouter = router({
  /** Runs, newest first; `before` pages by creation time. */
  list: adminProcedure
    .input(
      z.object({
        status: jobRunStatus.optional(),
        name: z.string().trim().min(1).max(64).optional(),
        before: z.date().optional(),
      }),
    )
    .output(z.object({ runs: z.array(runOutput), pageSize: z.number().int() }))
    .query(async ({ ctx, input }) => {
      const runs = await listJobRuns(ctx.sql, { ...input, limit: JOBS_PAGE_SIZE });
      return { runs: await describeRuns(ctx.sql, runs), pageSize: JOBS_PAGE_SIZE };
    }),

  /** One run with the newest lines of its log, for following it live. */
  get: adminProcedure
    .input(z.object({ id: z.uuid() }))
    .output(
      runOutput.extend({
        logs: z.array(
          z.object({
            id: z.number().int(),
            at: z.date(),
            level: jobLogLevel,
            message: z.string(),
          }),
        ),
      }),
    )
    .query(async ({ ctx, input }) => {
      const run = await getJobRun(ctx.sql, { id: input.id, logLimit: 200 });
      if (run === null) throw new TRPCError({ code: 'NOT_FOUND', message: 'There is no such job run.' });
      const [described] = await describeRuns(ctx.sql, [run]);
      if (described === undefined) throw new Error('a described run went missing');
      return { ...described, logs: run.logs.map((log) => ({ ...log, id: Number(log.id) })) };
    }),

  /** Starts reprocessing of meters over a range of days, or another job; the worker picks it up. */
  start: adminProcedure
    .input(startInput)
    .output(z.object({ id: z.string() }))
    .mutation(async ({ ctx, input }) => {
      let params: Record<string, unknown>;
      if (input.name === 'reprocess') {
        const meterIds = input.meterIds;
        if (meterIds !== undefined) {
          const known = new Set(
            (await findMeterProfiles(ctx.db, { ids: meterIds })).map((meter) => meter.id),
          );
          const unknown = meterIds.filter((id) => !known.has(id));
          if (unknown.length > 0) {
            throw fieldError(
              'meterIds',
              `Unknown meter${unknown.length > 1 ? 's' : ''}: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}`,
            );
          }
        }
        params = { from: input.from, to: input.to, ...(meterIds === undefined ? {} : { meterIds }) };
      } else if (input.name === 'finalize-day') {
        params = { day: input.day };
      } else if (input.name === 'replay') {
        params = {
          from: input.from,
          ...(input.partitions === undefined ? {} : { partitions: input.partitions }),
        };
      } else {
        params = {};
      }
      const run = await enqueueJob(ctx.sql, { name: input.name, params, startedBy: ctx.user.id });
      await recordStaffAction(ctx.db, {
        actor: staffActor(ctx),
        action: 'job.started',
        targetType: 'job_run',
        targetId: run.id,
        details: { job: input.name, params },
      });
      return { id: run.id };
    }),

  /** Asks a queued or running run to stop; a finished run is left as it is. */
  cancel: adminProcedure
    .input(z.object({ id: z.uuid() }))
    .output(z.object({ status: jobRunStatus, cancelRequested: z.boolean() }))
    .mutation(async ({ ctx, input }) => {
      const run = await requestCancel(ctx.sql, { id: input.id, actor: ctx.user.id });
      if (run === null) throw new TRPCError({ code: 'NOT_FOUND', message: 'There is no such job run.' });
      await recordStaffAction(ctx.db, {
        actor: staffActor(ctx),
        action: 'job.cancel_requested',
        targetType: 'job_run',
        targetId: run.id,
        details: { job: run.name, status: run.status },
      });
      return { status: run.status, cancelRequested: run.cancelRequestedAt !== null };
    }),
});
