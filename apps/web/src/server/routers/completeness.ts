import { z } from 'zod';
import { usageDimensionKeys } from '@meterops/db/queries/consumption';
import { regionCompleteness } from '@meterops/db/queries/completeness';
import {
  metersWithGaps,
  regionDayCompleteness,
  regionDayDeadlines,
  regionDayTimeliness,
} from '@meterops/db/queries/ops-completeness';
import {
  COMPLETENESS_MAX_DAYS,
  dayRangeSchema,
  daysOf,
  daySchema,
  GAPS_PAGE_SIZE,
  regionSchema,
} from '../../lib/ops-params';
import { aggregateStatus } from '../enums';
import { opsProcedure, router } from '../trpc';

const counts = {
  expected: z.number().int(),
  actual: z.number().int(),
  estimated: z.number().int(),
  edited: z.number().int(),
};

export const completenessRouter = router({
  /** Day × region grid of expected and received intervals; a cell without a row has no data. */
  overview: opsProcedure
    .input(dayRangeSchema(COMPLETENESS_MAX_DAYS))
    .output(
      z.object({
        days: z.array(z.string()),
        regions: z.array(z.string()),
        cells: z.array(
          z.object({
            day: z.string(),
            region: z.string(),
            ...counts,
            status: aggregateStatus,
            computedAt: z.date(),
          }),
        ),
      }),
    )
    .query(async ({ ctx, input }) => {
      const [cells, keys] = await Promise.all([
        regionDayCompleteness(ctx.db, input),
        usageDimensionKeys(ctx.db),
      ]);
      const regions = [...new Set([...keys.region, ...cells.map((cell) => cell.region)])].sort();
      return { days: daysOf(input.from, input.to), regions, cells };
    }),

  /** The region's meters with missing intervals on a local day, most missing first. */
  meterGaps: opsProcedure
    .input(
      z.object({
        day: daySchema,
        region: regionSchema,
        page: z.number().int().min(1).max(10_000).default(1),
      }),
    )
    .output(
      z.object({
        page: z.number().int(),
        pageSize: z.number().int(),
        total: z.number().int(),
        meters: z.number().int(),
        rows: z.array(
          z.object({
            meterId: z.string(),
            segment: z.string(),
            tariffId: z.string(),
            intervalMinutes: z.number().int(),
            ...counts,
            missing: z.number().int(),
            status: aggregateStatus.nullable(),
            computedAt: z.date().nullable(),
          }),
        ),
      }),
    )
    .query(async ({ ctx, input }) => {
      const result = await metersWithGaps(ctx.db, {
        day: input.day,
        region: input.region,
        limit: GAPS_PAGE_SIZE,
        offset: (input.page - 1) * GAPS_PAGE_SIZE,
      });
      return { page: input.page, pageSize: GAPS_PAGE_SIZE, ...result };
    }),

  /**
   * Share of a region's expected intervals whose actual reading had arrived by the end of D+1 and D+5.
   * From the per-meter arrival counts of the daily rows (`regionCompleteness`: kept by ingest, recounted
   * by the batch layer) once every meter-day of the region has them. A row without them was written
   * before ingest kept them: while a deadline has not passed, every actual reading so far arrived before
   * it, so the count is the day's actual intervals; otherwise the readings are counted.
   */
  timeliness: opsProcedure
    .input(z.object({ day: daySchema, region: regionSchema }))
    .output(
      z.object({
        expected: z.number().int(),
        actual: z.number().int(),
        actualByD1: z.number().int(),
        actualByD5: z.number().int(),
        d1Deadline: z.date(),
        d5Deadline: z.date(),
        source: z.enum(['counts', 'so-far', 'readings']),
      }),
    )
    .query(async ({ ctx, input }) => {
      const [[counted], deadlines] = await Promise.all([
        regionCompleteness(ctx.sql, { from: input.day, to: input.day, region: input.region }),
        regionDayDeadlines(ctx.db, input),
      ]);
      if (counted && counted.actualByD1 !== null && counted.actualByD5 !== null) {
        const { expected, actual, actualByD1, actualByD5 } = counted;
        return { expected, actual, actualByD1, actualByD5, ...deadlines, source: 'counts' as const };
      }
      if (counted && Date.now() < deadlines.d1Deadline.getTime()) {
        const { expected, actual } = counted;
        return {
          expected,
          actual,
          actualByD1: actual,
          actualByD5: actual,
          ...deadlines,
          source: 'so-far' as const,
        };
      }
      return { ...(await regionDayTimeliness(ctx.db, input)), source: 'readings' as const };
    }),
});
