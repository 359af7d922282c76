import 'server-only';
import { createDb } from '@meterops/db/client';
import { env } from '../env';

const globalForDb = globalThis as typeof globalThis & { meteropsWebDb?: ReturnType<typeof createDb> };

/**
 * One pool per server process. Kept on globalThis because `next dev` re-evaluates modules on every edit,
 * which would otherwise open a new pool each time. postgres.js connects lazily, so importing this during
 * `next build` opens no connection.
 */
export const { db, sql } = (globalForDb.meteropsWebDb ??= createDb({
  url: env.WEB_DATABASE_URL,
  max: 10,
  applicationName: 'meterops-web',
  // A page's query that runs longer than this is cancelled rather than holding a connection of the pool.
  statementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS,
}));
