import 'server-only';
import { stringify } from 'csv-stringify/sync';
import type { Db, Sql } from '@meterops/db/client';
import { settlementFileRows } from '@meterops/db/queries/settlement';
import { z } from 'zod';
import { supplierIdSchema } from '../lib/settlement-params';
import { readSessionToken } from './auth/cookie';
import { validateSessionToken } from './auth/session';
import { localIso } from './usage/csv';

type FileRows = NonNullable<Awaited<ReturnType<typeof settlementFileRows>>>;

/** Column names of the settlement file (docs/settlement.md, "Settlement file"). */
export const settlementFileColumns = [
  'settlement_day',
  'region',
  'supplier_id',
  'run_id',
  'run_type',
  'run_version',
  'as_of_utc',
  'period',
  'period_start_utc',
  'period_start_local',
  'period_end_utc',
  'kwh',
  'estimated_kwh',
  'readings',
  'estimated_readings',
] as const;

/** One row per period of the settlement day, zeros where the supplier had no reading. */
export function settlementFileCsv({ run, rows }: FileRows): string {
  return stringify(
    rows.map((row) => [
      run.day,
      run.region,
      row.supplierId,
      run.id,
      run.runType,
      run.version,
      run.asOf.toISOString(),
      row.period,
      row.periodStart.toISOString(),
      localIso(row.periodStart, run.timeZone),
      row.periodEnd.toISOString(),
      row.kwh,
      row.estimatedKwh,
      row.readings,
      row.estimatedReadings,
    ]),
    { header: true, columns: [...settlementFileColumns], record_delimiter: 'windows' },
  );
}

function plain(status: number, message: string): Response {
  return new Response(message, {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
  });
}

const fileQuerySchema = z.object({ run: z.coerce.number().int().positive(), supplier: supplierIdSchema });

/**
 * GET /ops/settlement/file?run=…&supplier=…: a run's settlement file for one supplier. Operators and
 * administrators only; the session and role are checked here, as for every route outside tRPC.
 */
export async function handleSettlementFile(request: Request, deps: { db: Db; sql: Sql }): Promise<Response> {
  const token = readSessionToken(request.headers.get('cookie'));
  const validated = token === null ? null : await validateSessionToken(deps.db, token);
  if (validated === null) return plain(401, 'Sign in to download settlement files.');
  const { user } = validated;
  if (user.mustChangePassword) return plain(403, 'Choose a new password first.');
  if (user.role !== 'operator' && user.role !== 'admin')
    return plain(403, 'Only operators and administrators can download settlement files.');
  const url = new URL(request.url);
  const parsed = fileQuerySchema.safeParse({
    run: url.searchParams.get('run') ?? '',
    supplier: url.searchParams.get('supplier') ?? '',
  });
  if (!parsed.success) return plain(400, 'Expected run (a run number) and supplier (a supplier id).');
  const file = await settlementFileRows(deps.sql, { id: parsed.data.run, supplierId: parsed.data.supplier });
  if (file === null) return plain(404, `There is no settlement run #${parsed.data.run}.`);
  const filename = `settlement-${file.run.region}-${file.run.day}-${file.run.runType}-v${file.run.version}-${parsed.data.supplier}.csv`;
  return new Response(settlementFileCsv(file), {
    status: 200,
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${filename}"`,
      'cache-control': 'private, no-store',
    },
  });
}
