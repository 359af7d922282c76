/** Fleet figures: completeness per region and day, consumption by dimension, settlement periods. */
import { createRoute, z } from '@hono/zod-openapi';
import { regionCompleteness } from '@meterops/db/queries/completeness';
import { settlementPeriods, usageByDimension } from '@meterops/db/queries/consumption';
import { ApiProblem, type ApiApp, type ApiContext } from '../app-types';
import { iso, json, notModified, problems } from '../route-kit';
import { completenessSchema, consumptionSchema, day, settlementSchema } from '../schemas';

const MAX_DAYS = 92;
const errors = problems(400, 401, 403, 429);

function checkRange(from: string, to: string, maxDays = MAX_DAYS): void {
  if (to < from) throw ApiProblem.invalidQuery('to', 'Must be on or after from');
  if ((Date.parse(to) - Date.parse(from)) / 86_400_000 >= maxDays)
    throw ApiProblem.invalidQuery('to', `At most ${maxDays} days`);
}

export function registerMetricsRoutes(app: ApiApp, ctx: ApiContext): void {
  const { db, sql, requireScope } = ctx;
  const scope = requireScope('metrics:read');

  app.openapi(
    createRoute({
      method: 'get',
      path: '/completeness',
      tags: ['Fleet'],
      summary: 'Data completeness per region and local day',
      middleware: [scope] as const,
      request: { query: z.object({ from: day, to: day, region: z.string().max(64).optional() }) },
      responses: {
        200: json(z.object({ data: z.array(completenessSchema) }), 'Per region and day'),
        ...notModified,
        ...errors,
      },
    }),
    async (c) => {
      const query = c.req.valid('query');
      checkRange(query.from, query.to);
      return c.json({ data: await regionCompleteness(sql, query) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/consumption',
      tags: ['Fleet'],
      summary: 'Consumption by region, segment or tariff per hour, day or month',
      middleware: [scope] as const,
      request: {
        query: z.object({
          dimension: z.enum(['region', 'segment', 'tariff']),
          granularity: z.enum(['hour', 'day', 'month']),
          from: day,
          to: day,
        }),
      },
      responses: {
        200: json(z.object({ data: z.array(consumptionSchema) }), 'Per period and key'),
        ...notModified,
        ...errors,
      },
    }),
    async (c) => {
      const query = c.req.valid('query');
      checkRange(query.from, query.to, query.granularity === 'hour' ? 8 : 400);
      const rows = await usageByDimension(db, query);
      const data = rows.map((row) => ({
        period: row.period,
        key: row.key,
        kwh: row.kwh,
        status: row.status,
        expected: row.expected,
        actual: row.actual,
        estimated: row.estimated,
        edited: row.edited,
        computedAt: iso(row.computedAt),
      }));
      return c.json({ data }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/settlement-periods',
      tags: ['Fleet'],
      summary: 'Half-hourly settlement periods of a UTC day, per region',
      middleware: [scope] as const,
      request: { query: z.object({ day, region: z.string().max(64).optional() }) },
      responses: {
        200: json(z.object({ data: z.array(settlementSchema) }), 'The periods'),
        ...notModified,
        ...errors,
      },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const rows = await settlementPeriods(db, query);
      const data = rows.map((row) => ({
        ...row,
        periodStart: iso(row.periodStart),
        computedAt: iso(row.computedAt),
      }));
      return c.json({ data }, 200);
    },
  );
}
