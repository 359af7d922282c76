/**
 * Settlement (docs/settlement.md) for outside systems: the runs of a region and day, a run with its
 * per-supplier totals, its reconciliation differences against the run before it, and the settlement file
 * of a run and supplier as CSV, the same file the operations page downloads (src/server/settlement-file.ts).
 */
import { createRoute, z } from '@hono/zod-openapi';
import {
  getSettlementRunDetail,
  listSettlementRuns,
  settlementFileRows,
  type SettlementRun,
} from '@meterops/db/queries/settlement';
import { supplierIdSchema } from '../../../lib/settlement-params';
import { settlementFileCsv } from '../../settlement-file';
import { decodeCursor, encodeCursor } from '../cursor';
import { ApiProblem, type ApiApp, type ApiContext } from '../app-types';
import { iso, json, notModified, problems } from '../route-kit';
import { day, page, pageQuery } from '../schemas';

const kwh = z.string().openapi({ description: 'kWh as an exact decimal string', example: '12.5000' });

const runSchema = z
  .object({
    id: z.number().int(),
    day: z.string(),
    region: z.string(),
    runType: z.string().openapi({ description: 'The run of the timetable (docs/settlement.md)' }),
    version: z.number().int(),
    asOf: z.string(),
    timeZone: z.string(),
    dayStart: z.string(),
    dayEnd: z.string(),
    periods: z.number().int(),
    meters: z.number().int(),
    suppliers: z.number().int(),
    readings: z.number().int(),
    estimatedReadings: z.number().int(),
    kwh,
    estimatedKwh: kwh,
    regionKwh: kwh,
    regionReadings: z.number().int(),
    previousRunId: z.number().int().nullable(),
    codeVersion: z.string(),
    createdAt: z.string(),
  })
  .openapi('SettlementRun');

const supplierTotalSchema = z
  .object({
    supplierId: z.string(),
    supplierName: z.string().nullable(),
    kwh,
    estimatedKwh: kwh,
    readings: z.number().int(),
    estimatedReadings: z.number().int(),
  })
  .openapi('SettlementSupplierTotal');

const differenceSchema = z
  .object({
    supplierId: z.string(),
    period: z.number().int(),
    kwhBefore: kwh,
    kwhAfter: kwh,
    kwhDelta: kwh,
  })
  .openapi('SettlementDifference');

const causeSchema = z
  .object({
    meterId: z.string(),
    intervalStart: z.string(),
    period: z.number().int(),
    supplierBefore: z.string().nullable(),
    supplierAfter: z.string().nullable(),
    kwhBefore: kwh.nullable(),
    kwhAfter: kwh.nullable(),
    cause: z.string(),
    revisionIds: z.array(z.number().int()),
  })
  .openapi('SettlementCause');

const runIdParam = z.object({
  runId: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: 'runId', in: 'path' }, example: 42 }),
});

const runOut = (run: SettlementRun) => ({
  id: run.id,
  day: run.day,
  region: run.region,
  runType: run.runType,
  version: run.version,
  asOf: iso(run.asOf),
  timeZone: run.timeZone,
  dayStart: iso(run.dayStart),
  dayEnd: iso(run.dayEnd),
  periods: run.periods,
  meters: run.meters,
  suppliers: run.suppliers,
  readings: run.readings,
  estimatedReadings: run.estimatedReadings,
  kwh: run.kwh,
  estimatedKwh: run.estimatedKwh,
  regionKwh: run.regionKwh,
  regionReadings: run.regionReadings,
  previousRunId: run.previousRunId,
  codeVersion: run.codeVersion,
  createdAt: iso(run.createdAt),
});

/** Runs of one region and day are few (one per run type and re-run); the stable order's offset pages. */
const MAX_RUNS = 500;

const CAUSE_LIMIT = 500;

export function registerSettlementRoutes(app: ApiApp, ctx: ApiContext): void {
  const { sql, requireScope } = ctx;
  const scope = requireScope('settlement:read');

  async function detail(runId: number, causeLimit = 1) {
    const found = await getSettlementRunDetail(sql, { id: runId, causeLimit });
    if (found === null) throw ApiProblem.notFound(`There is no settlement run ${runId}.`);
    return found;
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/settlement/runs',
      tags: ['Settlement'],
      summary: 'Settlement runs of a region and day, newest as-of first',
      middleware: [scope] as const,
      request: { query: pageQuery.extend({ region: z.string().trim().min(1).max(64), day }) },
      responses: {
        200: json(page(runSchema), 'A page of runs'),
        ...notModified,
        ...problems(400, 401, 403, 429),
      },
    }),
    async (c) => {
      const query = c.req.valid('query');
      let after = 0;
      if (query.cursor !== undefined) {
        const decoded = decodeCursor(query.cursor);
        if (typeof decoded !== 'number')
          throw ApiProblem.invalidQuery('cursor', 'Not a cursor this API returned');
        after = decoded;
      }
      const runs = await listSettlementRuns(sql, { day: query.day, region: query.region, limit: MAX_RUNS });
      const shown = runs.slice(after, after + query.limit);
      const next = after + shown.length;
      return c.json(
        { data: shown.map(runOut), nextCursor: next < runs.length ? encodeCursor(next) : null },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/settlement/runs/{runId}',
      tags: ['Settlement'],
      summary: 'A settlement run with its totals per supplier',
      middleware: [scope] as const,
      request: { params: runIdParam },
      responses: {
        200: json(
          z
            .object({ run: runSchema, suppliers: z.array(supplierTotalSchema) })
            .openapi('SettlementRunDetail'),
          'The run; suppliers by id',
        ),
        ...notModified,
        ...problems(400, 401, 403, 404, 429),
      },
    }),
    async (c) => {
      const { runId } = c.req.valid('param');
      const found = await detail(runId);
      return c.json({ run: runOut(found.run), suppliers: found.suppliers }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/settlement/runs/{runId}/differences',
      tags: ['Settlement'],
      summary:
        'What changed against the run before it: per supplier and period, and the readings that caused it',
      description: `Empty for a first run (previousRunId null). At most ${CAUSE_LIMIT} causes; moreCauses counts the rest.`,
      middleware: [scope] as const,
      request: { params: runIdParam },
      responses: {
        200: json(
          z
            .object({
              previousRunId: z.number().int().nullable(),
              data: z.array(differenceSchema),
              causes: z.array(causeSchema),
              moreCauses: z.number().int(),
            })
            .openapi('SettlementDifferences'),
          'Differences by supplier and period; causes by period, meter and interval',
        ),
        ...notModified,
        ...problems(400, 401, 403, 404, 429),
      },
    }),
    async (c) => {
      const { runId } = c.req.valid('param');
      const found = await detail(runId, CAUSE_LIMIT);
      return c.json(
        {
          previousRunId: found.run.previousRunId,
          data: found.differences,
          causes: found.causes.map((cause) => ({
            meterId: cause.meterId,
            intervalStart: iso(cause.intervalStart),
            period: cause.period,
            supplierBefore: cause.supplierBefore,
            supplierAfter: cause.supplierAfter,
            kwhBefore: cause.kwhBefore,
            kwhAfter: cause.kwhAfter,
            cause: cause.cause,
            revisionIds: cause.revisionIds,
          })),
          moreCauses: found.moreCauses,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/settlement/runs/{runId}/suppliers/{supplierId}/file',
      tags: ['Settlement'],
      summary: 'The settlement file of a run for one supplier (CSV, one row per period)',
      description:
        'The columns of docs/settlement.md ("Settlement file"), a header row, CRLF line ends; zeros for periods without readings.',
      middleware: [scope] as const,
      request: {
        params: runIdParam.extend({
          supplierId: supplierIdSchema
            .describe('Supplier id')
            .openapi({ param: { name: 'supplierId', in: 'path' } }),
        }),
      },
      responses: {
        200: {
          content: { 'text/csv': { schema: z.string() } },
          description: 'The file, as an attachment',
        },
        ...problems(400, 401, 403, 404, 429),
      },
    }),
    async (c) => {
      const { runId, supplierId } = c.req.valid('param');
      const file = await settlementFileRows(sql, { id: runId, supplierId });
      if (file === null) throw ApiProblem.notFound(`There is no settlement run ${runId}.`);
      const { run } = file;
      const filename = `settlement-${run.region}-${run.day}-${run.runType}-v${run.version}-${supplierId}.csv`;
      return c.body(settlementFileCsv(file), 200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="${filename}"`,
        'cache-control': 'private, no-store',
      });
    },
  );
}
