import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../client';
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
): Promise<{ session: StoredSession; user: SessionUser } | null> {
  const [row] = await db
    .select({
      session: { id: sessions.id, userId: sessions.userId, expiresAt: sessions.expiresAt },
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

/** Ends every session of the user, on every device: after a password change or reset. */
export async function revokeUserSessions(db: Db, userId: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.userId, userId));
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

export interface RecentFailures {
  /** Failures for the email inside the window and after its last successful sign-in. */
  emailFailures: number;
  /** Failures from the client address inside the window, whatever the email. */
  addressFailures: number;
  /**
   * Seconds until the email, and the address, fall back under their limit if no further attempt is made
   * (0 when already under it): the moment the limit-th newest failure leaves the window.
   */
  emailRetryAfterSeconds: number;
  addressRetryAfterSeconds: number;
}

/**
 * Counts failed sign-ins in the last `windowSeconds`, measured on the database clock so that every web
 * process agrees. A success clears the email's count (the owner got in), but not the address's, so that
 * one valid account cannot be used to keep guessing others from the same address.
 */
export async function countRecentFailures(
  db: Db,
  params: {
    email: string;
    clientAddress: string;
    windowSeconds: number;
    emailLimit: number;
    addressLimit: number;
  },
): Promise<RecentFailures> {
  const window = sql`make_interval(secs => ${params.windowSeconds})`;
  const rows = await db.execute<{
    email_failures: number;
    address_failures: number;
    email_retry_after: number;
    address_retry_after: number;
  }>(sql`
    with email_failures as (
      select attempted_at from ${signInAttempts}
      where email = ${params.email}
        and not succeeded
        and attempted_at > now() - ${window}
        and attempted_at > coalesce(
          (select max(attempted_at) from ${signInAttempts} where email = ${params.email} and succeeded),
          '-infinity'
        )
    ),
    address_failures as (
      select attempted_at from ${signInAttempts}
      where client_address = ${params.clientAddress}
        and not succeeded
        and attempted_at > now() - ${window}
    )
    select
      (select count(*) from email_failures)::int as email_failures,
      (select count(*) from address_failures)::int as address_failures,
      coalesce(ceil(extract(epoch from (
        (select attempted_at from email_failures order by attempted_at desc offset ${params.emailLimit - 1} limit 1)
        + ${window} - now()
      ))), 0)::int as email_retry_after,
      coalesce(ceil(extract(epoch from (
        (select attempted_at from address_failures order by attempted_at desc offset ${params.addressLimit - 1} limit 1)
        + ${window} - now()
      ))), 0)::int as address_retry_after
  `);
  const row = rows[0];
  if (!row) throw new Error('failure count query returned no row');
  return {
    emailFailures: row.email_failures,
    addressFailures: row.address_failures,
    emailRetryAfterSeconds: Math.max(0, row.email_retry_after),
    addressRetryAfterSeconds: Math.max(0, row.address_retry_after),
  };
}
