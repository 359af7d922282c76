import { db, sql } from '../../../../server/db';
import { handleSettlementFile } from '../../../../server/settlement-file';

/** Reads the session cookie, so it is never prerendered or cached. */
export const dynamic = 'force-dynamic';

export function GET(request: Request): Promise<Response> {
  return handleSettlementFile(request, { db, sql });
}
