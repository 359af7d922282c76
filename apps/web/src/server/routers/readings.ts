/**
 * Customer service, write side: correct a reading with a reason, and work the review queue (accept a
 * flagged reading as it is, or replace it with an estimate). Corrections are the batch layer's
 * `correctReading`, which carries the change into the aggregates and billing alerts and says what moved.
 */
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import type { Sql } from '@meterops/db/client';
import { correctReading, type CorrectionResult } from '@meterops/db/queries/corrections';
import { acceptFlaggedReading, interpolationNeighbours } from '@meterops/db/queries/service';
import { loadBatchSettings } from '@meterops/db/queries/vee';
import { interpolateLinear } from '@meterops/domain/estimation';
import { formatUtcTime } from '../../lib/format';
import { kwhInputSchema, meterIdSchema, reasonSchema } from '../../lib/service-params';
import { router, serviceProcedure } from '../trpc';

const status = z.enum(['provisional', 'final']);

const correctionOutput = z.object({
  meterId: z.string(),
  intervalStart: z.string(),
  day: z.string(),
  changed: z.boolean(),
  kwhBefore: z.string().nullable(),
  kwhAfter: z.string(),
  version: z.number().int(),
  revisionId: z.number().int().nullable(),
  dayStatus: status,
  reprocessed: z.boolean(),
  aggregates: z.array(
    z.object({
      level: z.enum(['hourly', 'daily', 'dimension', 'settlement']),
      key: z.string(),
      kwhBefore: z.string().nullable(),
      kwhAfter: z.string().nullable(),
      statusBefore: status.nullable(),
      statusAfter: status.nullable(),
    }),
  ),
  alerts: z.array(
    z.object({
      id: z.number().int(),
      day: z.string(),
      billingPeriodId: z.number().int(),
      kwhBefore: z.string(),
      kwhAfter: z.string(),
      kwhDelta: z.string(),
      cause: z.enum(['late_data', 'correction']),
    }),
  ),
});

function describeCorrection(result: CorrectionResult): z.infer<typeof correctionOutput> {
  return {
    meterId: result.meterId,
    intervalStart: result.intervalStart,
    day: result.day,
    changed: result.changed,
    kwhBefore: result.before?.kwh ?? null,
    kwhAfter: result.after.kwh,
    version: result.after.version,
    revisionId: result.revisionId === null ? null : Number(result.revisionId),
    dayStatus: result.dayStatus,
    reprocessed: result.reprocessed,
    aggregates: result.aggregates,
    alerts: result.alerts.map((alert) => ({
      id: Number(alert.id),
      day: alert.day,
      billingPeriodId: Number(alert.billingPeriodId),
      kwhBefore: alert.kwhBefore,
      kwhAfter: alert.kwhAfter,
      kwhDelta: alert.kwhDelta,
      cause: alert.cause,
    })),
  };
}

/** The reading's current version; the agent's view of it must not be out of date. */
async function requireVersion(
  sql: Sql,
  params: { meterId: string; intervalStart: Date; expectedVersion: number | null },
) {
  const [row] = await sql<{ version: number }[]>`
    select version from readings where meter_id = ${params.meterId} and interval_start = ${params.intervalStart}`;
  const current = row?.version ?? null;
  if (current !== params.expectedVersion) {
    throw new TRPCError({
      code: 'CONFLICT',
      message:
        current === null
          ? 'This reading no longer exists as you saw it; reload the day.'
          : `This reading changed since you opened it (it is now version ${current}); reload the day and check it again.`,
    });
  }
}

const target = {
  meterId: meterIdSchema,
  intervalStart: z.date(),
};

export const readingsRouter = router({
  /** Sets an interval's value (quality 'edited') with a mandatory reason; answers what changed downstream. */
  correct: serviceProcedure
    .input(
      z.object({
        ...target,
        kwh: kwhInputSchema,
        reason: reasonSchema,
        /** The version the agent saw; null for a missing interval. */
        expectedVersion: z.number().int().min(1).nullable(),
      }),
    )
    .output(correctionOutput)
    .mutation(async ({ ctx, input }) => {
      await requireVersion(ctx.sql, input);
      const result = await correctReading(ctx.sql, {
        meterId: input.meterId,
        intervalStart: input.intervalStart,
        kwh: input.kwh,
        reason: input.reason,
        actor: ctx.user.id,
      });
      return describeCorrection(result);
    }),

  /** Accepts a flagged reading as measured: flags cleared, a 'review' revision records who and why. */
  accept: serviceProcedure
    .input(z.object({ ...target, reason: reasonSchema, expectedVersion: z.number().int().min(1) }))
    .output(z.object({ version: z.number().int(), revisionId: z.number().int(), flags: z.array(z.string()) }))
    .mutation(async ({ ctx, input }) => {
      const outcome = await acceptFlaggedReading(ctx.sql, { ...input, actor: ctx.user.id });
      switch (outcome.kind) {
        case 'accepted':
          return { version: outcome.version, revisionId: outcome.revisionId, flags: outcome.flags };
        case 'not_found':
          throw new TRPCError({ code: 'NOT_FOUND', message: 'There is no such reading.' });
        case 'not_flagged':
          throw new TRPCError({ code: 'CONFLICT', message: 'This reading carries no flags any more.' });
        case 'stale':
          throw new TRPCError({
            code: 'CONFLICT',
            message: `This reading changed since you opened it (it is now version ${outcome.version}); reload and check it again.`,
          });
      }
    }),

  /**
   * Replaces a flagged reading by the straight line between its nearest unflagged neighbours (within the
   * configured interpolation window). It is an agent's edit (quality 'edited'), so a later meter resend does
   * not overwrite it; the reason records the method and the neighbours.
   */
  estimate: serviceProcedure
    .input(z.object({ ...target, reason: reasonSchema, expectedVersion: z.number().int().min(1) }))
    .output(correctionOutput)
    .mutation(async ({ ctx, input }) => {
      await requireVersion(ctx.sql, input);
      const settings = await loadBatchSettings(ctx.sql);
      const neighbours = await interpolationNeighbours(ctx.sql, {
        meterId: input.meterId,
        intervalStart: input.intervalStart,
        maxGapMinutes: settings.maxInterpolationMinutes,
      });
      if (neighbours === null) {
        throw new TRPCError({
          code: 'PRECONDITION_FAILED',
          message: `No unflagged reading within ${settings.maxInterpolationMinutes} minutes on both sides to interpolate from; correct the value by hand instead.`,
        });
      }
      const [kwh] = interpolateLinear(
        { t: neighbours.before.intervalStart.getTime(), kwh: neighbours.before.kwh },
        { t: neighbours.after.intervalStart.getTime(), kwh: neighbours.after.kwh },
        [input.intervalStart.getTime()],
      );
      if (kwh === undefined) throw new Error('interpolation gave no value');
      const basis = `Estimated by linear interpolation between ${formatUtcTime(neighbours.before.intervalStart)} UTC (${neighbours.before.kwh} kWh) and ${formatUtcTime(neighbours.after.intervalStart)} UTC (${neighbours.after.kwh} kWh)`;
      const result = await correctReading(ctx.sql, {
        meterId: input.meterId,
        intervalStart: input.intervalStart,
        kwh,
        reason: `${basis}: ${input.reason}`,
        actor: ctx.user.id,
      });
      return describeCorrection(result);
    }),
});
