import { z } from 'zod';
import {
  settlementPeriods,
  usageByDimension,
  usageDayBounds,
  usageDimensionKeys,
} from '@meterops/db/queries/consumption';
import { regionForecastPeriods } from '@meterops/db/queries/forecast';
import {
  daysBetween,
  daySchema,
  maxUsageDays,
  regionSchema,
  usageDimensionSchema,
  usageGranularitySchema,
} from '../../lib/ops-params';
import { aggregateStatus } from '../enums';
import { opsProcedure, router } from '../trpc';

const counts = {
  expected: z.number().int(),
  actual: z.number().int(),
  estimated: z.number().int(),
  edited: z.number().int(),
};

export const consumptionRouter = router({
  /** What the filters offer: the days that have aggregates and the keys of each dimension. */
  filters: opsProcedure
    .input(z.void())
    .output(
      z.object({
        firstDay: z.string().nullable(),
        lastDay: z.string().nullable(),
        keys: z.object({
          region: z.array(z.string()),
          segment: z.array(z.string()),
          tariff: z.array(z.string()),
        }),
      }),
    )
    .query(async ({ ctx }) => {
      const [bounds, keys] = await Promise.all([usageDayBounds(ctx.db), usageDimensionKeys(ctx.db)]);
      return { ...bounds, keys };
    }),

  /** kWh per region, segment or tariff and hour, day or month, each row provisional or final. */
  byDimension: opsProcedure
    .input(
      z
        .object({
          dimension: usageDimensionSchema,
          granularity: usageGranularitySchema,
          from: daySchema,
          to: daySchema,
        })
        .refine(({ from, to }) => from <= to, {
          message: 'The range must not end before it starts',
          path: ['to'],
        })
        .refine(({ from, to, granularity }) => daysBetween(from, to) < maxUsageDays(granularity), {
          message: 'The range is too long for this granularity',
          path: ['from'],
        }),
    )
    .output(
      z.object({
        rows: z.array(
          z.object({
            period: z.string(),
            key: z.string(),
            kwh: z.string(),
            ...counts,
            parts: z.number().int(),
            finalParts: z.number().int(),
            status: aggregateStatus,
            computedAt: z.date(),
            oldestComputedAt: z.date(),
          }),
        ),
      }),
    )
    .query(async ({ ctx, input }) => ({ rows: await usageByDimension(ctx.db, input) })),

  /** The half-hourly settlement periods of a UTC day, for one region or all. */
  settlement: opsProcedure
    .input(z.object({ day: daySchema, region: regionSchema.optional() }))
    .output(
      z.object({
        rows: z.array(
          z.object({
            region: z.string(),
            periodStart: z.date(),
            kwh: z.string(),
            ...counts,
            status: aggregateStatus,
            computedAt: z.date(),
          }),
        ),
      }),
    )
    .query(async ({ ctx, input }) => ({ rows: await settlementPeriods(ctx.db, input) })),
  /**
   * The stored forecast of each region (or one) for the 48 UTC half hours of a day, summed over segments,
   * at one lead time: 1 day-ahead (default), up to 7 week-ahead.
   */
  forecast: opsProcedure
    .input(
      z.object({
        day: daySchema,
        region: regionSchema.optional(),
        horizonDays: z.number().int().min(1).max(14).default(1),
      }),
    )
    .output(
      z.object({
        rows: z.array(
          z.object({
            region: z.string(),
            periodStart: z.date(),
            kwh: z.string(),
            horizonDays: z.number().int(),
            modelVersion: z.string(),
            issueDay: z.string(),
          }),
        ),
      }),
    )
    .query(async ({ ctx, input }) => ({ rows: await regionForecastPeriods(ctx.sql, input) })),
});
