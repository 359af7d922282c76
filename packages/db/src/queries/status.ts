import { sql } from 'drizzle-orm';
import type { Db } from '../client';

/** A round trip to the server; resolves with its version, e.g. `16.4 (Debian 16.4-1)`. */
export async function pingDatabase(db: Db): Promise<{ serverVersion: string }> {
  const rows = await db.execute<{ server_version: string }>(
    sql`select current_setting('server_version') as server_version`,
  );
  return { serverVersion: rows[0]?.server_version ?? 'unknown' };
}
