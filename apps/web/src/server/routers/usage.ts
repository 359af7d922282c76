/**
 * The end customer's own usage. The customer id is never an input: it comes from the session, and every
 * query puts it in its WHERE beside the meter id, so another customer's meter answers NOT_FOUND exactly
 * like a meter that does not exist.
 */
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { findCustomerMeter, getCustomerProfile, usagePeriod } from '@meterops/db/queries/usage';
import { usageSelectionSchema, usageViewSchema } from '../../lib/usage-params';
import { router, withRole } from '../trpc';
import { peerSnapshot, percentileRank, quantile } from '../usage/peers';
import { loadUsageReport } from '../usage/report';

/** A customer user, with the customer id their account is bound to. */
const customerProcedure = withRole('customer').use(({ ctx, next }) => {
  const { customerId } = ctx.user;
  // The users table guarantees the binding for the customer role; a row without one sees nothing.
  if (customerId === null)
    throw new TRPCError({ code: 'FORBIDDEN', message: 'This account is not bound to a customer.' });
  return next({ ctx: { customerId } });
});

const meterNotFound = () => new TRPCError({ code: 'NOT_FOUND', message: 'You have no meter with that id.' });

const aggregateStatus = z.enum(['provisional', 'final']);
const quality = z.enum(['actual', 'estimated', 'edited']);

const meterOutput = z.object({
  id: z.string(),
  region: z.string(),
  segment: z.enum(['residential', 'commercial']),
  tariffName: z.string(),
  intervalMinutes: z.number().int(),
  timeZone: z.string(),
  status: z.enum(['active', 'inactive', 'removed']),
});

const totalsOutput = z.object({
  kwh: z.string(),
  status: z.enum(['final', 'provisional', 'partly-final', 'no-data']),
  days: z.number().int(),
  finalDays: z.number().int(),
  expected: z.number().int(),
  estimated: z.number().int(),
  edited: z.number().int(),
  missing: z.number().int(),
  provisionalAsOf: z.date().nullable(),
  finalAsOf: z.date().nullable(),
});

const reportBase = {
  meter: meterOutput,
  view: usageViewSchema,
  day: z.string(),
  from: z.string(),
  to: z.string(),
  previousDay: z.string(),
  nextDay: z.string(),
  archivedMonths: z.array(z.string()),
  totals: totalsOutput,
};

export const usageRouter = router({
  /** The signed-in customer and their meters. */
  meters: customerProcedure
    .input(z.void())
    .output(
      z.object({
        customerId: z.string(),
        name: z.string(),
        meters: z.array(meterOutput.extend({ lastDay: z.string().nullable() })),
      }),
    )
    .query(async ({ ctx }) => {
      const profile = await getCustomerProfile(ctx.sql, { customerId: ctx.customerId });
      if (profile === null)
        throw new TRPCError({ code: 'NOT_FOUND', message: 'Your customer record was not found.' });
      return {
        customerId: profile.id,
        name: profile.name,
        meters: profile.meters.map((meter) => ({
          id: meter.id,
          region: meter.region,
          segment: meter.segment,
          tariffName: meter.tariffName,
          intervalMinutes: meter.intervalMinutes,
          timeZone: meter.timeZone,
          status: meter.status,
          lastDay: meter.lastDay,
        })),
      };
    }),

  /** kWh of one of the customer's meters for a day (its intervals), week, month (days) or year (months). */
  report: customerProcedure
    .input(usageSelectionSchema)
    .output(
      z.discriminatedUnion('kind', [
        z.object({
          ...reportBase,
          kind: z.literal('intervals'),
          intervals: z.array(
            z.object({
              intervalStart: z.date(),
              kwh: z.string().nullable(),
              quality: quality.nullable(),
              estimationMethod: z.string().nullable(),
            }),
          ),
        }),
        z.object({
          ...reportBase,
          kind: z.literal('periods'),
          periods: z.array(
            z.object({
              period: z.string(),
              kwh: z.string().nullable(),
              status: aggregateStatus.nullable(),
              days: z.number().int(),
              finalDays: z.number().int(),
              expected: z.number().int(),
              actual: z.number().int(),
              estimated: z.number().int(),
              edited: z.number().int(),
              computedAt: z.date().nullable(),
              finalizedAt: z.date().nullable(),
            }),
          ),
        }),
      ]),
    )
    .query(async ({ ctx, input }) => {
      const report = await loadUsageReport(ctx.sql, { customerId: ctx.customerId, selection: input });
      if (report === null) throw meterNotFound();
      return report;
    }),

  /**
   * The meter's kWh per day over the view's period as a percentile among the meters of its region and
   * segment, with their quartiles. Only the customer's own meter is named; the others are a distribution.
   */
  comparison: customerProcedure
    .input(usageSelectionSchema)
    .output(
      z.object({
        from: z.string(),
        to: z.string(),
        region: z.string(),
        segment: z.enum(['residential', 'commercial']),
        peers: z.number().int(),
        dailyKwh: z.number().nullable(),
        percentile: z.number().nullable(),
        p25: z.number().nullable(),
        median: z.number().nullable(),
        p75: z.number().nullable(),
        asOf: z.date(),
      }),
    )
    .query(async ({ ctx, input }) => {
      const meter = await findCustomerMeter(ctx.sql, { customerId: ctx.customerId, meterId: input.meterId });
      if (meter === null) throw meterNotFound();
      const { from, to } = usagePeriod(input.view, input.day);
      const snapshot = await peerSnapshot(ctx.sql, { from, to });
      const peers = snapshot.groups.get(`${meter.region}|${meter.segment}`) ?? new Float64Array();
      const dailyKwh = snapshot.byMeter.get(meter.id)?.dailyKwh ?? null;
      return {
        from,
        to,
        region: meter.region,
        segment: meter.segment,
        peers: peers.length,
        dailyKwh,
        percentile: dailyKwh === null ? null : percentileRank(peers, dailyKwh),
        p25: quantile(peers, 0.25),
        median: quantile(peers, 0.5),
        p75: quantile(peers, 0.75),
        asOf: snapshot.computedAt,
      };
    }),
});
