/**
 * A meter's readings (with revision history and "as of" a past instant) and its usage per day and
 * month, and every meter's usage of a month for billing. A key bound to a customer reaches only that
 * customer's meters: any other meter id is answered 404, like one that does not exist.
 */
import { createRoute, z } from '@hono/zod-openapi';
import {
  dailyUsageByMeter,
  firstRevisionsAfter,
  meterReadings,
  meterUsageMonths,
  meterVisible,
  monthlyUsageByMeter,
  readingAsOf,
  type MeterReading,
  type MonthUsage,
} from '@meterops/db/queries/meter-readings';
import { listRevisions, meterDays } from '@meterops/db/queries/service';
import { decodeCursor, encodeCursor } from '../cursor';
import { ApiProblem, type ApiApp, type ApiContext } from '../app-types';
import { iso, isoOrNull, json, notModified, problems } from '../route-kit';
import {
  dailyUsageSchema,
  day,
  dayRangeQuery,
  instant,
  meterDailyUsageSchema,
  meterIdParam,
  meterMonthlyUsageSchema,
  month,
  monthRangeQuery,
  monthlyUsageSchema,
  page,
  pageQuery,
  readingSchema,
  readingsQuery,
  revisionSchema,
} from '../schemas';

/** Longest range of one readings request: a quarter (about 8,900 intervals of a 15-minute meter). */
const MAX_READING_RANGE_DAYS = 93;
const MAX_USAGE_DAYS = 366;
const MAX_USAGE_MONTHS = 36;

const readingOut = (
  reading: Omit<MeterReading, 'flags'> & { flags: string[] | null },
  archived: boolean,
) => ({
  intervalStart: iso(reading.intervalStart),
  kwh: reading.kwh,
  quality: reading.quality,
  estimationMethod: reading.estimationMethod,
  flags: reading.flags,
  source: reading.source,
  version: reading.version,
  receivedAt: iso(reading.receivedAt),
  revisedAt: isoOrNull(reading.revisedAt),
  archived,
});

const monthOut = (row: MonthUsage, archived: boolean) => ({
  ...row,
  computedAt: iso(row.computedAt),
  finalizedAt: isoOrNull(row.finalizedAt),
  archived,
});

const monthsBetween = (from: string, to: string) =>
  (Number(to.slice(0, 4)) - Number(from.slice(0, 4))) * 12 +
  Number(to.slice(5, 7)) -
  Number(from.slice(5, 7));

const meterScopedErrors = problems(400, 401, 403, 404, 429);

export function registerMeterDataRoutes(app: ApiApp, ctx: ApiContext): void {
  const { sql, requireScope, archive } = ctx;

  /** The meter, when the key may see it; 404 otherwise. */
  async function visibleMeter(meterId: string, customerId: string | null) {
    const meter = await meterVisible(sql, { meterId, customerId });
    if (meter === null) throw ApiProblem.notFound(`There is no meter ${meterId}.`);
    return meter;
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/meters/{meterId}/readings',
      tags: ['Readings'],
      summary: 'Readings of a meter over [from, to)',
      description:
        'Every stored interval with its quality, version, flags and estimation method, oldest first. With asOf, each interval as it stood at that instant (from the revision history; flags and the estimation method of a replaced value are null). Months that were archived are read from the archive and marked archived.',
      middleware: [requireScope('readings:read')] as const,
      request: { params: meterIdParam, query: readingsQuery },
      responses: {
        200: json(page(readingSchema), 'A page of readings'),
        ...notModified,
        ...meterScopedErrors,
      },
    }),
    async (c) => {
      const { meterId } = c.req.valid('param');
      const query = c.req.valid('query');
      const from = new Date(query.from);
      const to = new Date(query.to);
      if (to <= from) throw ApiProblem.invalidQuery('to', 'Must be after from');
      if (to.getTime() - from.getTime() > MAX_READING_RANGE_DAYS * 86_400_000)
        throw ApiProblem.invalidQuery('to', `At most ${MAX_READING_RANGE_DAYS} days after from`);
      let after: Date | undefined;
      if (query.cursor !== undefined) {
        const decoded = decodeCursor(query.cursor);
        if (typeof decoded !== 'number')
          throw ApiProblem.invalidQuery('cursor', 'Not a cursor this API returned');
        after = new Date(decoded);
      }
      await visibleMeter(meterId, c.get('apiKey').customerId);
      const pageStart = after === undefined ? from : new Date(after.getTime() + 1);
      const [stored, archived] = await Promise.all([
        meterReadings(sql, { meterId, from, to, after, limit: query.limit + 1 }),
        archive.readings(sql, { meterId, from: pageStart, to }),
      ]);
      // Postgres wins over the archive: a reading that arrived after its month was archived is newer.
      const merged = new Map<number, { reading: MeterReading; archived: boolean }>();
      for (const reading of archived.readings)
        merged.set(reading.intervalStart.getTime(), { reading, archived: true });
      for (const reading of stored) merged.set(reading.intervalStart.getTime(), { reading, archived: false });
      let rows = [...merged.entries()].sort(([a], [b]) => a - b).map(([, row]) => row);
      const more = rows.length > query.limit;
      rows = rows.slice(0, query.limit);
      const last = rows.at(-1);
      const nextCursor =
        more && last !== undefined ? encodeCursor(last.reading.intervalStart.getTime()) : null;
      if (query.asOf === undefined) {
        return c.json({ data: rows.map((row) => readingOut(row.reading, row.archived)), nextCursor }, 200);
      }
      const asOf = new Date(query.asOf);
      const [revisions, archivedRevisions] = await Promise.all([
        firstRevisionsAfter(sql, { meterId, from: pageStart, to, after: asOf }),
        archived.months.length === 0
          ? Promise.resolve({ revisions: [] })
          : archive.revisions(sql, { meterId, from: pageStart, to, limit: 1_000_000 }),
      ]);
      const firstAfter = new Map(revisions.map((revision) => [revision.intervalStart.getTime(), revision]));
      for (const revision of archivedRevisions.revisions) {
        if (revision.createdAt <= asOf) continue;
        const at = revision.intervalStart.getTime();
        const current = firstAfter.get(at);
        if (current === undefined || revision.createdAt < current.createdAt) firstAfter.set(at, revision);
      }
      const data = rows.flatMap((row) => {
        const then = readingAsOf(row.reading, firstAfter.get(row.reading.intervalStart.getTime()), asOf);
        return then === null ? [] : [readingOut(then, row.archived)];
      });
      return c.json({ data, nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/meters/{meterId}/readings/{intervalStart}/revisions',
      tags: ['Readings'],
      summary: 'Revision history of one interval, newest first',
      middleware: [requireScope('readings:read')] as const,
      request: {
        params: meterIdParam.extend({
          intervalStart: instant.openapi({ param: { name: 'intervalStart', in: 'path' } }),
        }),
      },
      responses: {
        200: json(z.object({ data: z.array(revisionSchema) }), 'The revisions'),
        ...notModified,
        ...meterScopedErrors,
      },
    }),
    async (c) => {
      const { meterId, intervalStart } = c.req.valid('param');
      await visibleMeter(meterId, c.get('apiKey').customerId);
      const at = new Date(intervalStart);
      const range = { meterId, from: at, to: new Date(at.getTime() + 1), intervalStart: at, limit: 1000 };
      const [stored, archived] = await Promise.all([
        listRevisions(sql, range),
        archive.revisions(sql, range),
      ]);
      const data = [
        ...stored.map((revision) => ({ revision, archived: false })),
        ...archived.revisions.map((revision) => ({ revision, archived: true })),
      ]
        .sort(
          (a, b) =>
            b.revision.createdAt.getTime() - a.revision.createdAt.getTime() || b.revision.id - a.revision.id,
        )
        .map(({ revision, archived: fromArchive }) => ({
          id: revision.id,
          intervalStart: iso(revision.intervalStart),
          oldKwh: revision.oldKwh,
          newKwh: revision.newKwh,
          oldQuality: revision.oldQuality,
          newQuality: revision.newQuality,
          oldVersion: revision.oldVersion,
          newVersion: revision.newVersion,
          source: revision.source,
          reason: revision.reason,
          actor: revision.actor,
          createdAt: iso(revision.createdAt),
          archived: fromArchive,
        }));
      return c.json({ data }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/meters/{meterId}/usage/daily',
      tags: ['Usage'],
      summary: 'Usage of a meter per local day, provisional or final',
      middleware: [requireScope('usage:read')] as const,
      request: { params: meterIdParam, query: dayRangeQuery },
      responses: {
        200: json(z.object({ data: z.array(dailyUsageSchema) }), 'Days with data, oldest first'),
        ...notModified,
        ...meterScopedErrors,
      },
    }),
    async (c) => {
      const { meterId } = c.req.valid('param');
      const { from, to } = c.req.valid('query');
      if (to < from) throw ApiProblem.invalidQuery('to', 'Must be on or after from');
      if ((Date.parse(to) - Date.parse(from)) / 86_400_000 >= MAX_USAGE_DAYS)
        throw ApiProblem.invalidQuery('to', `At most ${MAX_USAGE_DAYS} days`);
      await visibleMeter(meterId, c.get('apiKey').customerId);
      const [days, archived] = await Promise.all([
        meterDays(sql, { meterId, from, to }),
        archive.months(sql, { from: new Date(`${from}T00:00:00Z`), to: new Date(`${to}T23:59:59Z`) }),
      ]);
      const data = days.map(({ flagged: _flagged, ...row }) => ({
        ...row,
        computedAt: iso(row.computedAt),
        finalizedAt: isoOrNull(row.finalizedAt),
        archived: archived.has(row.day.slice(0, 7)),
      }));
      return c.json({ data }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/meters/{meterId}/usage/monthly',
      tags: ['Usage'],
      summary: 'Usage of a meter per calendar month of its local days',
      middleware: [requireScope('usage:read')] as const,
      request: { params: meterIdParam, query: monthRangeQuery },
      responses: {
        200: json(z.object({ data: z.array(monthlyUsageSchema) }), 'Months with data, oldest first'),
        ...notModified,
        ...meterScopedErrors,
      },
    }),
    async (c) => {
      const { meterId } = c.req.valid('param');
      const { from, to } = c.req.valid('query');
      if (to < from) throw ApiProblem.invalidQuery('to', 'Must be on or after from');
      if (monthsBetween(from, to) >= MAX_USAGE_MONTHS)
        throw ApiProblem.invalidQuery('to', `At most ${MAX_USAGE_MONTHS} months`);
      await visibleMeter(meterId, c.get('apiKey').customerId);
      const [months, archived] = await Promise.all([
        meterUsageMonths(sql, { meterId, fromMonth: from, toMonth: to }),
        archive.months(sql, { from: new Date(`${from}-01T00:00:00Z`), to: new Date(`${to}-28T00:00:00Z`) }),
      ]);
      return c.json({ data: months.map((row) => monthOut(row, archived.has(row.month))) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/usage/monthly',
      tags: ['Usage'],
      summary: 'Every meter’s usage of one month (billing)',
      description:
        'One row per meter with data in the month, by meter id. status=final keeps only meters whose every day of the month is final. A key bound to a customer sees only that customer’s meters.',
      middleware: [requireScope('usage:read')] as const,
      request: {
        query: pageQuery.extend({
          month,
          status: z.enum(['provisional', 'final']).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(500),
        }),
      },
      responses: {
        200: json(page(meterMonthlyUsageSchema), 'A page of meters'),
        ...notModified,
        ...problems(400, 401, 403, 429),
      },
    }),
    async (c) => {
      const query = c.req.valid('query');
      let afterMeterId: string | undefined;
      if (query.cursor !== undefined) {
        const decoded = decodeCursor(query.cursor);
        if (typeof decoded !== 'string')
          throw ApiProblem.invalidQuery('cursor', 'Not a cursor this API returned');
        afterMeterId = decoded;
      }
      const customerId = c.get('apiKey').customerId ?? undefined;
      const [rows, archived] = await Promise.all([
        monthlyUsageByMeter(sql, {
          month: query.month,
          status: query.status,
          customerId,
          afterMeterId,
          limit: query.limit + 1,
        }),
        archive.months(sql, {
          from: new Date(`${query.month}-01T00:00:00Z`),
          to: new Date(`${query.month}-28T00:00:00Z`),
        }),
      ]);
      const shown = rows.slice(0, query.limit);
      const last = shown.at(-1);
      return c.json(
        {
          data: shown.map((row) => ({
            ...monthOut(row, archived.has(query.month)),
            meterId: row.meterId,
            customerId: row.customerId,
          })),
          nextCursor: rows.length > query.limit && last !== undefined ? encodeCursor(last.meterId) : null,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/usage/daily',
      tags: ['Usage'],
      summary: 'Every meter’s usage of one local day',
      description:
        'One row per meter with a daily row for the day, by meter id; status=final keeps only final days. The `usagePath` of a `day.finalized` webhook event points here. A key bound to a customer sees only that customer’s meters.',
      middleware: [requireScope('usage:read')] as const,
      request: {
        query: pageQuery.extend({
          day,
          status: z.enum(['provisional', 'final']).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(500),
        }),
      },
      responses: {
        200: json(page(meterDailyUsageSchema), 'A page of meters'),
        ...notModified,
        ...problems(400, 401, 403, 429),
      },
    }),
    async (c) => {
      const query = c.req.valid('query');
      let afterMeterId: string | undefined;
      if (query.cursor !== undefined) {
        const decoded = decodeCursor(query.cursor);
        if (typeof decoded !== 'string')
          throw ApiProblem.invalidQuery('cursor', 'Not a cursor this API returned');
        afterMeterId = decoded;
      }
      const [rows, archived] = await Promise.all([
        dailyUsageByMeter(sql, {
          day: query.day,
          status: query.status,
          customerId: c.get('apiKey').customerId ?? undefined,
          afterMeterId,
          limit: query.limit + 1,
        }),
        archive.months(sql, {
          from: new Date(`${query.day}T00:00:00Z`),
          to: new Date(`${query.day}T23:59:59Z`),
        }),
      ]);
      const shown = rows.slice(0, query.limit);
      const last = shown.at(-1);
      return c.json(
        {
          data: shown.map((row) => ({
            ...row,
            computedAt: iso(row.computedAt),
            finalizedAt: isoOrNull(row.finalizedAt),
            archived: archived.has(query.day.slice(0, 7)),
          })),
          nextCursor: rows.length > query.limit && last !== undefined ? encodeCursor(last.meterId) : null,
        },
        200,
      );
    },
  );
}
