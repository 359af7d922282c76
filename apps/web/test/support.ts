/**
 * Test data for the web app's integration tests: every user, customer and sign-in attempt a test makes
 * has a unique email or id, and is removed again by `cleanup()`. Nothing depends on seed data.
 */
import { randomUUID } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import { createDb, type Db, type Sql } from '@meterops/db/client';
import { hashPassword } from '@meterops/db/password';
import type { UserRole } from '@meterops/db/queries/auth';
import { customers, signInAttempts, users } from '@meterops/db/schema';
import { createInfluxQuery, type InfluxQuery } from '@meterops/metrics/query';
import { defaultMetricsRetention, ensureMetricsRetention } from '@meterops/metrics/retention';
import { env } from '../src/env';
import { createContext, type Context } from '../src/server/context';
import { SESSION_COOKIE } from '../src/server/auth/cookie';
import { startSession } from '../src/server/auth/session';

export const TEST_PASSWORD = 'correct horse battery staple';

export interface TestUser {
  id: string;
  email: string;
  role: UserRole;
  customerId: string | null;
}

/** The InfluxDB the web app is configured with (`INFLUX_URL`, `INFLUX_DB`). */
const testInflux = createInfluxQuery({
  url: env.INFLUX_URL,
  database: env.INFLUX_DB,
  token: env.INFLUX_TOKEN,
  username: env.INFLUX_USERNAME,
  password: env.INFLUX_PASSWORD,
});

/**
 * Creates the configured InfluxDB database if it is missing (CREATE DATABASE is idempotent), with the
 * retention policies and continuous queries the worker sets, which the 7- and 90-day views read.
 */
export async function ensureTestInfluxDatabase(): Promise<void> {
  await testInflux.query(`CREATE DATABASE "${env.INFLUX_DB}"`);
  await ensureMetricsRetention(testInflux, env.INFLUX_DB, defaultMetricsRetention);
}

/** The raw-SQL pool created beside each test client, so contexts built from a `db` get its `sql` too. */
const sqlOf = new WeakMap<Db, Sql>();

export function createTestDb(options: { url?: string } = {}) {
  const database = createDb({ url: options.url, max: 4, applicationName: 'meterops-web-tests' });
  sqlOf.set(database.db, database.sql);
  return database;
}

/**
 * What the web app connects as in production: WEB_DATABASE_URL when it is set apart from DATABASE_URL,
 * otherwise DATABASE_URL as the `meterops_web` role of migration 0008 (the local Postgres trusts
 * 127.0.0.1, so the role needs no password). Test data is made with the owner's connection instead.
 */
export function webRoleUrl(): string {
  if (env.WEB_DATABASE_URL !== env.DATABASE_URL) return env.WEB_DATABASE_URL;
  const url = new URL(env.DATABASE_URL);
  url.username = 'meterops_web';
  url.password = '';
  return url.toString();
}

/** A client address no other test uses, so per-address throttling never leaks between tests. */
export function uniqueClientAddress(): string {
  return `test-${randomUUID()}`;
}

function uniqueEmail(label: string): string {
  return `${label}-${randomUUID()}@web-tests.meterops.test`;
}

export class TestData {
  private readonly userIds: string[] = [];
  private readonly customerIds: string[] = [];
  private readonly emails: string[] = [];
  private passwordHash: Promise<string> | undefined;

  constructor(readonly db: Db) {}

  /** An email that has no account, remembered so that its sign-in attempts are cleaned up. */
  unknownEmail(): string {
    const email = uniqueEmail('nobody');
    this.emails.push(email);
    return email;
  }

  async user(role: UserRole, options: { disabled?: boolean } = {}): Promise<TestUser> {
    this.passwordHash ??= hashPassword(TEST_PASSWORD);
    let customerId: string | null = null;
    if (role === 'customer') {
      customerId = `web-test-${randomUUID()}`;
      await this.db
        .insert(customers)
        .values({ id: customerId, name: 'Web test customer', region: 'test', segment: 'residential' });
      this.customerIds.push(customerId);
    }
    const email = uniqueEmail(role);
    const [row] = await this.db
      .insert(users)
      .values({
        email,
        name: `Test ${role}`,
        passwordHash: await this.passwordHash,
        role,
        customerId,
        disabledAt: options.disabled ? new Date() : null,
      })
      .returning({ id: users.id });
    if (!row) throw new Error('user insert returned no row');
    this.userIds.push(row.id);
    this.emails.push(email);
    return { id: row.id, email, role, customerId };
  }

  /** A user a test created through the app, to be removed with the others. */
  adopt(userId: string): void {
    this.userIds.push(userId);
  }

  async cleanup(): Promise<void> {
    // Sessions go with their users (on delete cascade).
    if (this.userIds.length > 0) await this.db.delete(users).where(inArray(users.id, this.userIds));
    if (this.customerIds.length > 0)
      await this.db.delete(customers).where(inArray(customers.id, this.customerIds));
    for (const email of this.emails)
      await this.db.delete(signInAttempts).where(eq(signInAttempts.email, email));
  }
}

/** The context a request with this cookie header would get, and the response headers it wrote. */
export async function contextWithCookie(
  db: Db,
  cookie: string | null,
  clientAddress = uniqueClientAddress(),
  influx: InfluxQuery = testInflux,
): Promise<Context> {
  const headers = new Headers({ 'x-forwarded-for': clientAddress });
  if (cookie !== null) headers.set('cookie', cookie);
  const sql = sqlOf.get(db);
  if (sql === undefined) throw new Error('contexts need a db made by createTestDb()');
  return createContext({ db, sql, influx, headers, resHeaders: new Headers() });
}

/** A context for `user` signed in through a fresh session, or a signed-out one for null. */
export async function contextFor(db: Db, user: TestUser | null): Promise<Context> {
  if (user === null) return contextWithCookie(db, null);
  const { token } = await startSession(db, user.id);
  return contextWithCookie(db, `${SESSION_COOKIE}=${token}`);
}
