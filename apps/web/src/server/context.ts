import type { Db, Sql } from '@meterops/db/client';
import type { InfluxQuery } from '@meterops/metrics/query';
import { readSessionToken, serializeClearedSessionCookie, serializeSessionCookie } from './auth/cookie';
import { validateSessionToken } from './auth/session';
import { readingsPublisher } from './kafka';

export interface CreateContextOptions {
  db: Db;
  /** postgres.js pool for the raw-SQL query functions (batch layer, customer service, usage). */
  sql: Sql;
  /** Tracking metrics (InfluxDB), read by the pipeline pages. */
  influx: InfluxQuery;
  /** Request headers: the session cookie and the client address come from here. */
  headers: Headers;
  /** Response headers; procedures append `Set-Cookie` here. */
  resHeaders: Headers;
}

/**
 * The client address for throttling. The web app's server (server.ts) replaces X-Forwarded-For with the
 * one address it resolved from the socket and the trusted proxies (./client-address.ts), so the header
 * holds a single entry here; the right-most is taken in case something between added to it.
 */
function clientAddressFrom(headers: Headers): string {
  const forwarded = headers.get('x-forwarded-for');
  const last = forwarded?.split(',').at(-1)?.trim();
  return last || 'unknown';
}

export async function createContext({ db, sql, influx, headers, resHeaders }: CreateContextOptions) {
  const token = readSessionToken(headers.get('cookie'));
  const validated = token === null ? null : await validateSessionToken(db, token);
  if (token !== null && validated === null) {
    resHeaders.append('set-cookie', serializeClearedSessionCookie());
  } else if (token !== null && validated?.renewed) {
    resHeaders.append('set-cookie', serializeSessionCookie(token, validated.session.expiresAt));
  }
  return {
    db,
    sql,
    influx,
    /** Where re-driven rejects go: the readings topic the worker consumes. */
    readings: readingsPublisher(),
    user: validated?.user ?? null,
    session: validated?.session ?? null,
    clientAddress: clientAddressFrom(headers),
    resHeaders,
  };
}

export type Context = Awaited<ReturnType<typeof createContext>>;
