/**
 * The end customer's own usage. The customer id is never an input: it comes from the session, and every
 * query puts it in its WHERE beside the meter id, so another customer's meter answers NOT_FOUND exactly
 * like a meter that does not exist.
 */
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { customerMonthOutlook } from '@meterops/db/queries/forecast';
import { findCustomerMeter, getCustomerProfile, usagePeriod } from '@meterops/db/queries/usage';
import { aggregateStatus, meterStatus, quality, segment } from '../enums';
import { env } from '../../env';
import { addDays, meterIdSchema } from '../../lib/ops-params';
import { usageSelectionSchema, usageViewSchema } from '../../lib/usage-params';
import { customerProcedure, router } from '../trpc';
import { othersThan, peerSnapshot, percentileRank, quantile } from '../usage/peers';
import { loadUsageReport } from '../usage/report';

const meterNotFound = () => new TRPCError({ code: 'NOT_FOUND', message: 'You have no meter with that id.' });

const meterOutput = z.object({
  id: z.string(),
  region: z.string(),
  segment,
  tariffName: z.string(),
  intervalMinutes: z.number().int(),
  timeZone: z.string(),
  status: meterStatus,
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

const comparisonBase = {
  from: z.string(),
  to: z.string(),
  region: z.string(),
  segment,
};

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
   * The meter's kWh per day over the view's period as a percentile among the other meters of its region
   * and segment, with their quartiles. Only the customer's own meter is named; the others are a
   * distribution, and only one of at least PEER_MIN_COUNT homes: the quartiles of two or three would give
   * a neighbour's usage away. A period in which the meter has no data is answered without any scan.
   */
  comparison: customerProcedure
    .input(usageSelectionSchema)
    .output(
      z.discriminatedUnion('outcome', [
        z.object({
          ...comparisonBase,
          outcome: z.literal('compared'),
          peers: z.number().int(),
          dailyKwh: z.number(),
          percentile: z.number(),
          p25: z.number(),
          median: z.number(),
          p75: z.number(),
          asOf: z.date(),
        }),
        z.object({
          ...comparisonBase,
          outcome: z.literal('not-enough-peers'),
          minimumPeers: z.number().int(),
        }),
        z.object({ ...comparisonBase, outcome: z.literal('no-data') }),
      ]),
    )
    .query(async ({ ctx, input }) => {
      const meter = await findCustomerMeter(ctx.sql, { customerId: ctx.customerId, meterId: input.meterId });
      if (meter === null) throw meterNotFound();
      const { from, to } = usagePeriod(input.view, input.day);
      const base = { from, to, region: meter.region, segment: meter.segment };
      // Local days can start up to a day before the UTC date of installation.
      const firstPossibleDay = addDays(meter.installedAt.toISOString().slice(0, 10), -1);
      if (meter.lastDay === null || from > meter.lastDay || to < firstPossibleDay) {
        return { ...base, outcome: 'no-data' as const };
      }
      const snapshot = await peerSnapshot(ctx.sql, {
        from,
        to,
        group: { region: meter.region, segment: meter.segment },
      });
      const dailyKwh = snapshot.byMeter.get(meter.id);
      if (dailyKwh === undefined) return { ...base, outcome: 'no-data' as const };
      const others = othersThan(snapshot.sorted, dailyKwh);
      const [percentile, p25, median, p75] = [
        percentileRank(others, dailyKwh),
        quantile(others, 0.25),
        quantile(others, 0.5),
        quantile(others, 0.75),
      ];
      if (
        others.length < env.PEER_MIN_COUNT ||
        percentile === null ||
        p25 === null ||
        median === null ||
        p75 === null
      ) {
        return { ...base, outcome: 'not-enough-peers' as const, minimumPeers: env.PEER_MIN_COUNT };
      }
      return {
        ...base,
        outcome: 'compared' as const,
        peers: others.length,
        dailyKwh,
        percentile,
        p25,
        median,
        p75,
        asOf: snapshot.computedAt,
      };
    }),
  /**
   * "Expected this month": the meter's kWh of the month's days so far plus the forecast of each later day
   * of the month, labelled with the model that made it.
   */
  monthOutlook: customerProcedure
    .input(
      z.object({
        meterId: meterIdSchema,
        month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month YYYY-MM'),
      }),
    )
    .output(
      z.object({
        month: z.string(),
        actualDays: z.number().int(),
        actualKwh: z.string(),
        forecastDays: z.number().int(),
        forecastKwh: z.string(),
        expectedKwh: z.string().nullable(),
        daysInMonth: z.number().int(),
        modelVersion: z.string().nullable(),
        issueDay: z.string().nullable(),
      }),
    )
    .query(async ({ ctx, input }) => {
      const outlook = await customerMonthOutlook(ctx.sql, { customerId: ctx.customerId, ...input });
      if (outlook === null) throw meterNotFound();
      return outlook;
    }),
});
