import { db, sql } from '../../../server/db';
import { handleUsageCsv } from '../../../server/usage/csv';

/** Reads the session cookie, so it is never prerendered or cached. */
export const dynamic = 'force-dynamic';

export function GET(request: Request): Promise<Response> {
  return handleUsageCsv(request, { db, sql });
}
