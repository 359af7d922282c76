/**
 * Database sessions, after the Lucia "sessions" guide: the browser holds a random token, the database holds
 * only its SHA-256, so a leaked sessions table signs nobody in.
 */
import { sha256 } from '@oslojs/crypto/sha2';
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from '@oslojs/encoding';
import type { Db } from '@meterops/db/client';
import {
  createSession,
  deleteSession,
  extendSession,
  findSessionWithUser,
  type SessionUser,
  type StoredSession,
} from '@meterops/db/queries/auth';
import { SESSION_ABSOLUTE_LIFETIME_MS, SESSION_LIFETIME_MS } from './cookie';

/** A session used when it has less than this left is extended to a full lifetime again (sliding expiry). */
const SESSION_RENEW_WITHIN_MS = 15 * 24 * 60 * 60 * 1000;

/** 20 random bytes (160 bits) in lower-case base32: 32 characters. */
const TOKEN_PATTERN = /^[a-z2-7]{32}$/;

function generateSessionToken(): string {
  const bytes = new Uint8Array(20);
  crypto.getRandomValues(bytes);
  return encodeBase32LowerCaseNoPadding(bytes);
}

export function sessionIdFromToken(token: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(token)));
}

export async function startSession(
  db: Db,
  userId: string,
): Promise<{ token: string; session: StoredSession }> {
  const token = generateSessionToken();
  const session = {
    id: sessionIdFromToken(token),
    userId,
    expiresAt: new Date(Date.now() + SESSION_LIFETIME_MS),
  };
  await createSession(db, session);
  return { token, session };
}

export interface ValidatedSession {
  session: StoredSession;
  user: SessionUser;
  /** The expiry moved forward; the cookie should be sent again with the new date. */
  renewed: boolean;
}

export async function validateSessionToken(db: Db, token: string): Promise<ValidatedSession | null> {
  if (!TOKEN_PATTERN.test(token)) return null;
  const sessionId = sessionIdFromToken(token);
  const found = await findSessionWithUser(db, { sessionId });
  if (!found) return null;
  const now = Date.now();
  const absoluteEnd = found.session.createdAt.getTime() + SESSION_ABSOLUTE_LIFETIME_MS;
  if (found.session.expiresAt.getTime() <= now || absoluteEnd <= now) {
    await deleteSession(db, { sessionId });
    return null;
  }
  const session: StoredSession = {
    id: found.session.id,
    userId: found.session.userId,
    expiresAt: found.session.expiresAt,
  };
  // Sliding expiry, but never past the absolute end: near it, the expiry stops moving.
  const expiresAt = new Date(Math.min(now + SESSION_LIFETIME_MS, absoluteEnd));
  if (
    found.session.expiresAt.getTime() - now >= SESSION_RENEW_WITHIN_MS ||
    expiresAt.getTime() <= found.session.expiresAt.getTime()
  ) {
    return { session, user: found.user, renewed: false };
  }
  await extendSession(db, { sessionId, expiresAt });
  return { session: { ...session, expiresAt }, user: found.user, renewed: true };
}

export async function invalidateSession(db: Db, sessionId: string): Promise<void> {
  await deleteSession(db, { sessionId });
}
