/** Billing alerts for administrators: invoiced days whose kWh changed, and acknowledging them. */
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { recordStaffAction } from '@meterops/db/queries/audit';
import { acknowledgeBillingAlert, listBillingAlerts } from '@meterops/db/queries/billing';
import { userNames } from '@meterops/db/queries/service';
import { billingAlertCause } from '../enums';
import { ALERTS_PAGE_SIZE, meterIdSchema } from '../../lib/service-params';
import { staffActor } from '../staff-actor';
import { adminProcedure, router } from '../trpc';

export const billingRouter = router({
  /** Newest first; `open` for the ones nobody has acknowledged. */
  alerts: adminProcedure
    .input(z.object({ open: z.boolean().default(true), meterId: meterIdSchema.optional() }))
    .output(
      z.object({
        limit: z.number().int(),
        alerts: z.array(
          z.object({
            id: z.number().int(),
            meterId: z.string(),
            customerId: z.string(),
            day: z.string(),
            billingPeriodId: z.number().int(),
            periodStart: z.string(),
            periodEnd: z.string(),
            invoicedKwh: z.string().nullable(),
            kwhBefore: z.string(),
            kwhAfter: z.string(),
            kwhDelta: z.string(),
            cause: billingAlertCause,
            revisions: z.number().int(),
            lateIntervals: z.number().int(),
            jobRunId: z.string().nullable(),
            raisedBy: z.string(),
            raisedByName: z.string().nullable(),
            createdAt: z.date(),
            acknowledgedByName: z.string().nullable(),
            acknowledgedAt: z.date().nullable(),
          }),
        ),
      }),
    )
    .query(async ({ ctx, input }) => {
      const alerts = await listBillingAlerts(ctx.sql, {
        open: input.open,
        meterId: input.meterId,
        limit: ALERTS_PAGE_SIZE * 4,
      });
      const names = await userNames(ctx.sql, {
        actors: alerts.flatMap((alert) => [alert.raisedBy, alert.acknowledgedBy ?? '']),
      });
      return {
        limit: ALERTS_PAGE_SIZE * 4,
        alerts: alerts.map((alert) => ({
          id: Number(alert.id),
          meterId: alert.meterId,
          customerId: alert.customerId,
          day: alert.day,
          billingPeriodId: Number(alert.billingPeriodId),
          periodStart: alert.periodStart,
          periodEnd: alert.periodEnd,
          invoicedKwh: alert.invoicedKwh,
          kwhBefore: alert.kwhBefore,
          kwhAfter: alert.kwhAfter,
          kwhDelta: alert.kwhDelta,
          cause: alert.cause,
          revisions: alert.revisionIds.length,
          lateIntervals: alert.intervalStarts.length,
          jobRunId: alert.jobRunId,
          raisedBy: alert.raisedBy,
          raisedByName: names.get(alert.raisedBy) ?? null,
          createdAt: alert.createdAt,
          acknowledgedByName:
            alert.acknowledgedBy === null ? null : (names.get(alert.acknowledgedBy) ?? alert.acknowledgedBy),
          acknowledgedAt: alert.acknowledgedAt,
        })),
      };
    }),

  acknowledge: adminProcedure
    .input(z.object({ id: z.number().int().min(1) }))
    .output(z.object({ id: z.number().int(), acknowledgedAt: z.date() }))
    .mutation(async ({ ctx, input }) => {
      const row = await acknowledgeBillingAlert(ctx.sql, { id: input.id, actor: ctx.user.id });
      if (row === null)
        throw new TRPCError({ code: 'NOT_FOUND', message: 'There is no such billing alert.' });
      // Acknowledging twice keeps the first acknowledgement, and records only that one.
      if (row.newlyAcknowledged) {
        await recordStaffAction(ctx.db, {
          actor: staffActor(ctx),
          action: 'billing_alert.acknowledged',
          targetType: 'billing_alert',
          targetId: String(row.id),
          details: { acknowledgedAt: row.acknowledgedAt.toISOString() },
        });
      }
      return { id: Number(row.id), acknowledgedAt: row.acknowledgedAt };
    }),
});
