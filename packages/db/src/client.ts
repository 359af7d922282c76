import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema/index';
import { dbEnv } from './env';

export interface CreateDbOptions {
  url?: string;
  /** Connections in each pool; the worker uses a few, the web app more. */
  max?: number;
  /** Name shown in pg_stat_activity. */
  applicationName?: string;
  /**
   * Longest a statement may run before Postgres cancels it; also bounds a transaction left idle, so a
   * stuck client cannot hold row locks for ever.
   */
  statementTimeoutMs?: number;
}

/**
 * A drizzle client for typed queries, and a separate postgres.js pool for the raw SQL of hot paths.
 * They cannot share one pool: drizzle replaces the client's timestamp and array (de)serializers with
 * pass-through ones, which breaks array parameters such as `${dates}::timestamptz[]` in raw SQL.
 */
export function createDb(options: CreateDbOptions = {}) {
  const url = options.url ?? dbEnv.DATABASE_URL;
  const connection: Record<string, string | number> = {
    application_name: options.applicationName ?? 'meterops',
  };
  if (options.statementTimeoutMs !== undefined) {
    connection.statement_timeout = options.statementTimeoutMs;
    connection.idle_in_transaction_session_timeout = options.statementTimeoutMs;
  }
  const drizzleClient = postgres(url, { max: options.max ?? 10, onnotice: () => {}, connection });
  const sql = postgres(url, { max: options.max ?? 10, onnotice: () => {}, connection });
  const db = drizzle({ client: drizzleClient, schema, casing: 'snake_case' });
  return {
    db,
    sql,
    close: async () => {
      await Promise.all([drizzleClient.end({ timeout: 5 }), sql.end({ timeout: 5 })]);
    },
  };
}

export type Db = ReturnType<typeof createDb>['db'];
export type Sql = ReturnType<typeof createDb>['sql'];

/** The handle `db.transaction` passes to its callback; query functions that join a caller's transaction take it. */
export type DbTransaction = Parameters<Parameters<Db['transaction']>[0]>[0];
