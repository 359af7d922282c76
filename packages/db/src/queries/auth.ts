import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db, DbTransaction, Sql } from '../client';
import type { userRole } from '../schema/index';
import { sessions, signInAttempts, users } from '../schema/index';

export type UserRole = (typeof userRole.enumValues)[number];

/** What the web app knows about the signed-in user; never carries the password hash. */
export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: UserRole;
  /** Set only for `customer` users: the one customer they may see. */
  customerId: string | null;
  /** An administrator reset the password: until the user changes it, nothing else is allowed. */
  mustChangePassword: boolean;
}

export interface StoredSession {
  /** SHA-256 of the cookie token, hex. */
  id: string;
  userId: string;
  expiresAt: Date;
}

const sessionUserColumns = {
  id: users.id,
  email: users.email,
  name: users.name,
  role: users.role,
  customerId: users.customerId,
  mustChangePassword: users.mustChangePassword,
};

/** Emails are stored lower-case; callers pass the address normalised the same way. */
export async function findUserByEmail(
  db: Db,
  params: { email: string },
): Promise<(SessionUser & { passwordHash: string; disabledAt: Date | null }) | null> {
  const [user] = await db
    .select({ ...sessionUserColumns, passwordHash: users.passwordHash, disabledAt: users.disabledAt })
    .from(users)
    .where(eq(users.email, params.email))
    .limit(1);
  return user ?? null;
}

export async function createSession(db: Db, params: StoredSession): Promise<void> {
  await db.insert(sessions).values(params);
}

/** The session and its user; a disabled user's sessions are not found, so disabling signs them out. */
export async function findSessionWithUser(
  db: Db,
  params: { sessionId: string },
): Promise<{ session: StoredSession & { createdAt: Date }; user: SessionUser } | null> {
  const [row] = await db
    .select({
      session: {
        id: sessions.id,
        userId: sessions.userId,
        expiresAt: sessions.expiresAt,
        createdAt: sessions.createdAt,
      },
      user: sessionUserColumns,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.id, params.sessionId), isNull(users.disabledAt)))
    .limit(1);
  return row ?? null;
}

export async function extendSession(db: Db, params: { sessionId: string; expiresAt: Date }): Promise<void> {
  await db.update(sessions).set({ expiresAt: params.expiresAt }).where(eq(sessions.id, params.sessionId));
}

/** The stored hash, to check the current password before a change; null for an unknown user. */
export async function findPasswordHash(db: Db, params: { userId: string }): Promise<string | null> {
  const [row] = await db
    .select({ passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.id, params.userId))
    .limit(1);
  return row?.passwordHash ?? null;
}

export async function deleteSession(db: Db, params: { sessionId: string }): Promise<void> {
  await db.delete(sessions).where(eq(sessions.id, params.sessionId));
}

/** Returns the attempt's id, so that an attempt recorded before the password check can be marked a success. */
export async function recordSignInAttempt(
  db: Db,
  params: { email: string; clientAddress: string; succeeded: boolean },
): Promise<number> {
  const [row] = await db.insert(signInAttempts).values(params).returning({ id: signInAttempts.id });
  if (!row) throw new Error('insert into sign_in_attempts returned no row');
  return row.id;
}

export async function markSignInAttemptSucceeded(db: Db, params: { attemptId: number }): Promise<void> {
  await db.update(signInAttempts).set({ succeeded: true }).where(eq(signInAttempts.id, params.attemptId));
}

/** Failed sign-ins of one throttling key inside the window. */
export interface KeyFailures {
  failures: number;
  /** Seconds since the newest of them, on the database clock; null when there are none. */
  secondsSinceLast: number | null;
}

export interface RecentFailures {
  /** This email from this client address, after the last success of the pair. */
  pair: KeyFailures;
  /** This client address, whatever the email. */
  address: KeyFailures;
  /** This email from any address, after its last success: only slows answers down, never refuses. */
  email: KeyFailures;
}

/**
 * Failed sign-ins in the last `windowSeconds` per throttling key, measured on the database clock so that
 * every web process agrees. Attempts recorded after `beforeAttemptId` are left out, so an attempt does not
 * count itself, while attempts recorded before it (concurrent ones included) do. A success clears the
 * pair's and the email's count (the owner got in) but not the address's, so that one valid account cannot
 * be used to keep guessing others from the same address.
 */
export async function recentSignInFailures(
  db: Db,
  params: { email: string; clientAddress: string; windowSeconds: number; beforeAttemptId: number },
): Promise<RecentFailures> {
  const window = sql`make_interval(secs => ${params.windowSeconds})`;
  const rows = await db.execute<{
    key: 'pair' | 'address' | 'email';
    failures: number;
    seconds_since_last: number | null;
  }>(sql`
    with recent as (
      select email, client_address, succeeded, attempted_at from ${signInAttempts}
      where (email = ${params.email} or client_address = ${params.clientAddress})
        and attempted_at > now() - ${window}
        and id < ${params.beforeAttemptId}
    ),
    pair_success as (
      select max(attempted_at) as at from recent
      where email = ${params.email} and client_address = ${params.clientAddress} and succeeded
    ),
    email_success as (
      select max(attempted_at) as at from recent where email = ${params.email} and succeeded
    )
    select 'pair' as key, count(*)::int as failures,
           extract(epoch from now() - max(attempted_at))::float8 as seconds_since_last
    from recent
    where email = ${params.email} and client_address = ${params.clientAddress} and not succeeded
      and attempted_at > coalesce((select at from pair_success), '-infinity')
    union all
    select 'address', count(*)::int, extract(epoch from now() - max(attempted_at))::float8
    from recent where client_address = ${params.clientAddress} and not succeeded
    union all
    select 'email', count(*)::int, extract(epoch from now() - max(attempted_at))::float8
    from recent
    where email = ${params.email} and not succeeded
      and attempted_at > coalesce((select at from email_success), '-infinity')
  `);
  const byKey = new Map(
    rows.map((row) => [row.key, { failures: row.failures, secondsSinceLast: row.seconds_since_last }]),
  );
  const of = (key: 'pair' | 'address' | 'email'): KeyFailures =>
    byKey.get(key) ?? { failures: 0, secondsSinceLast: null };
  return { pair: of('pair'), address: of('address'), email: of('email') };
}

/** A refused (throttled) attempt is not a failure: it is removed, so refusals neither count nor pile up. */
export async function deleteSignInAttempt(db: Db, params: { attemptId: number }): Promise<void> {
  await db.delete(signInAttempts).where(eq(signInAttempts.id, params.attemptId));
}

/**
 * Ends every session of a user at once: on a role change, on disabling, and on a password change or reset,
 * so that a session opened under the old password or role cannot outlive it.
 */
export async function revokeUserSessions(db: Db | DbTransaction, userId: string): Promise<number> {
  const deleted = await db.delete(sessions).where(eq(sessions.userId, userId)).returning({ id: sessions.id });
  return deleted.length;
}

/**
 * Housekeeping of the sign-in tables: sessions past their expiry (a session nobody presents again is
 * otherwise never deleted) and sign-in attempts older than the retention. Deletes in batches, so a large
 * backlog never holds long locks.
 */
export async function purgeSignInState(
  sql: Sql,
  params: { attemptRetentionHours: number; batchSize?: number },
): Promise<{ sessions: number; signInAttempts: number }> {
  const batchSize = params.batchSize ?? 10_000;
  let expiredSessions = 0;
  for (;;) {
    const deleted = await sql`
      delete from sessions where id in (
        select id from sessions where expires_at <= now() limit ${batchSize})`;
    expiredSessions += deleted.count;
    if (deleted.count < batchSize) break;
  }
  let oldAttempts = 0;
  for (;;) {
    const deleted = await sql`
      delete from sign_in_attempts where id in (
        select id from sign_in_attempts
        where attempted_at < now() - make_interval(secs => ${params.attemptRetentionHours * 3600})
        limit ${batchSize})`;
    oldAttempts += deleted.count;
    if (deleted.count < batchSize) break;
  }
  return { sessions: expiredSessions, signInAttempts: oldAttempts };
}
