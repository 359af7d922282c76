/**
 * Customer service, read side: find a customer or meter, a meter's days and intervals with their quality,
 * the revision history, and the review queue of flagged readings. Changes are in ./readings.ts.
 */
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import {
  getMeterSummary,
  listRevisions,
  meterDayIntervals,
  meterDays,
  userNames,
  reviewQueue,
  searchCustomersAndMeters,
} from '@meterops/db/queries/service';
import { addDays, localDayBounds } from '@meterops/domain/time';
import { aggregateStatus, meterStatus, quality, revisionSource, segment } from '../enums';
import { daysBetween } from '../../lib/ops-params';
import {
  daySchema,
  meterIdSchema,
  regionSchema,
  REVIEW_MAX_DAYS,
  REVIEW_PAGE_SIZE,
  searchQuerySchema,
  softRules,
} from '../../lib/service-params';
import { archivedReadings, archivedRevisions } from '../archive';
import { router, serviceProcedure } from '../trpc';

const dayRow = z.object({
  day: z.string(),
  kwh: z.string(),
  status: aggregateStatus,
  expected: z.number().int(),
  actual: z.number().int(),
  estimated: z.number().int(),
  edited: z.number().int(),
  flagged: z.number().int(),
  computedAt: z.date(),
  finalizedAt: z.date().nullable(),
  finalVersion: z.number().int(),
});

const revisionOutput = z.object({
  id: z.number().int(),
  intervalStart: z.date(),
  oldKwh: z.string().nullable(),
  newKwh: z.string(),
  oldQuality: quality.nullable(),
  newQuality: quality,
  oldVersion: z.number().int().nullable(),
  newVersion: z.number().int(),
  source: revisionSource,
  reason: z.string(),
  actor: z.string(),
  actorName: z.string().nullable(),
  createdAt: z.date(),
});

async function requireMeter(ctx: { sql: Parameters<typeof getMeterSummary>[0] }, meterId: string) {
  const meter = await getMeterSummary(ctx.sql, { meterId });
  if (meter === null) throw new TRPCError({ code: 'NOT_FOUND', message: `There is no meter ${meterId}.` });
  return meter;
}

export const serviceRouter = router({
  /** Customers and meters by meter id, customer id, name or email. */
  search: serviceProcedure
    .input(z.object({ query: searchQuerySchema }))
    .output(
      z.object({
        hits: z.array(
          z.object({
            meterId: z.string().nullable(),
            meterStatus: meterStatus.nullable(),
            region: z.string().nullable(),
            segment,
            customerId: z.string(),
            customerName: z.string(),
            customerEmail: z.string().nullable(),
            match: z.enum(['meter_id', 'customer_id', 'name', 'email']),
          }),
        ),
        limit: z.number().int(),
      }),
    )
    .query(async ({ ctx, input }) => {
      const limit = 25;
      return { hits: await searchCustomersAndMeters(ctx.sql, { query: input.query, limit }), limit };
    }),

  /** A meter, its customer and the days it has data for. */
  meter: serviceProcedure
    .input(z.object({ meterId: meterIdSchema }))
    .output(
      z.object({
        id: z.string(),
        status: meterStatus,
        region: z.string(),
        segment,
        tariffId: z.string(),
        intervalMinutes: z.number().int(),
        timeZone: z.string(),
        maxKwhPerInterval: z.number(),
        installedAt: z.date(),
        removedAt: z.date().nullable(),
        customer: z.object({ id: z.string(), name: z.string(), email: z.string().nullable() }),
        firstDay: z.string().nullable(),
        lastDay: z.string().nullable(),
      }),
    )
    .query(({ ctx, input }) => requireMeter(ctx, input.meterId)),

  /** The meter's daily rows over at most 62 days, to step through. */
  days: serviceProcedure
    .input(
      z
        .object({ meterId: meterIdSchema, from: daySchema, to: daySchema })
        .refine(({ from, to }) => from <= to, {
          message: 'The range must not end before it starts',
          path: ['to'],
        })
        .refine(({ from, to }) => daysBetween(from, to) < 62, { message: 'At most 62 days', path: ['from'] }),
    )
    .output(z.object({ rows: z.array(dayRow) }))
    .query(async ({ ctx, input }) => ({ rows: await meterDays(ctx.sql, input) })),

  /** Every interval of the meter's local day with quality, estimation method, flags and versions. */
  day: serviceProcedure
    .input(z.object({ meterId: meterIdSchema, day: daySchema }))
    .output(
      z.object({
        meterId: z.string(),
        day: z.string(),
        timeZone: z.string(),
        intervalMinutes: z.number().int(),
        previousDay: z.string(),
        nextDay: z.string(),
        aggregate: dayRow.nullable(),
        /** `YYYY-MM` months of the day whose raw readings were read from the archive. */
        archivedMonths: z.array(z.string()),
        intervals: z.array(
          z.object({
            intervalStart: z.date(),
            kwh: z.string().nullable(),
            quality: quality.nullable(),
            estimationMethod: z.string().nullable(),
            flags: z.array(z.string()),
            source: z.string().nullable(),
            version: z.number().int().nullable(),
            receivedAt: z.date().nullable(),
            revisedAt: z.date().nullable(),
            revisions: z.number().int(),
          }),
        ),
      }),
    )
    .query(async ({ ctx, input }) => {
      const meter = await requireMeter(ctx, input.meterId);
      const bounds = localDayBounds(input.day, meter.timeZone);
      const span = { meterId: meter.id, from: new Date(bounds.startMs), to: new Date(bounds.endMs) };
      const archived = await archivedReadings(ctx.sql, span);
      const revisions =
        archived.months.length === 0
          ? []
          : (await archivedRevisions(ctx.sql, { ...span, limit: 100_000 })).revisions;
      const { intervals, aggregate } = await meterDayIntervals(ctx.sql, {
        meter,
        day: input.day,
        archived: {
          readings: archived.readings,
          revisionStarts: revisions.map((revision) => revision.intervalStart),
        },
      });
      return {
        meterId: meter.id,
        day: input.day,
        timeZone: meter.timeZone,
        intervalMinutes: meter.intervalMinutes,
        previousDay: addDays(input.day, -1),
        nextDay: addDays(input.day, 1),
        aggregate,
        archivedMonths: archived.months,
        intervals,
      };
    }),

  /** Revision history of the meter's local day (or of one interval of it), newest first. */
  revisions: serviceProcedure
    .input(z.object({ meterId: meterIdSchema, day: daySchema, intervalStart: z.date().optional() }))
    .output(z.object({ rows: z.array(revisionOutput) }))
    .query(async ({ ctx, input }) => {
      const meter = await requireMeter(ctx, input.meterId);
      const bounds = localDayBounds(input.day, meter.timeZone);
      const span = {
        meterId: meter.id,
        from: new Date(bounds.startMs),
        to: new Date(bounds.endMs),
        intervalStart: input.intervalStart,
        limit: 200,
      };
      const [live, archived] = await Promise.all([
        listRevisions(ctx.sql, span),
        archivedRevisions(ctx.sql, span),
      ]);
      const names = await userNames(ctx.sql, {
        actors: archived.revisions.map((revision) => revision.actor),
      });
      const rows = [
        ...live,
        ...archived.revisions.map((revision) => ({
          ...revision,
          actorName: names.get(revision.actor) ?? null,
        })),
      ]
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id)
        .slice(0, span.limit);
      return { rows };
    }),

  /** Readings whose soft flags await review, over at most a month of interval starts (UTC days). */
  reviewQueue: serviceProcedure
    .input(
      z
        .object({
          from: daySchema,
          to: daySchema,
          rule: z.enum(softRules).optional(),
          region: regionSchema.optional(),
          page: z.number().int().min(1).max(10_000).default(1),
        })
        .refine(({ from, to }) => from <= to, {
          message: 'The range must not end before it starts',
          path: ['to'],
        })
        .refine(({ from, to }) => daysBetween(from, to) < REVIEW_MAX_DAYS, {
          message: `At most ${REVIEW_MAX_DAYS} days`,
          path: ['from'],
        }),
    )
    .output(
      z.object({
        page: z.number().int(),
        pageSize: z.number().int(),
        total: z.number().int(),
        byRule: z.array(z.object({ rule: z.string(), count: z.number().int() })),
        rows: z.array(
          z.object({
            meterId: z.string(),
            intervalStart: z.date(),
            kwh: z.string(),
            quality,
            flags: z.array(z.string()),
            version: z.number().int(),
            receivedAt: z.date(),
            region: z.string(),
            customerId: z.string(),
            customerName: z.string(),
            timeZone: z.string(),
          }),
        ),
      }),
    )
    .query(async ({ ctx, input }) => {
      const result = await reviewQueue(ctx.sql, {
        from: new Date(`${input.from}T00:00:00Z`),
        to: new Date(`${addDays(input.to, 1)}T00:00:00Z`),
        rule: input.rule,
        region: input.region,
        limit: REVIEW_PAGE_SIZE,
        offset: (input.page - 1) * REVIEW_PAGE_SIZE,
      });
      return { page: input.page, pageSize: REVIEW_PAGE_SIZE, ...result };
    }),
});
