/**
 * Password sign-in with throttling. Every attempt is written to sign_in_attempts *before* the password is
 * checked (as a failure, turned into a success afterwards), so that concurrent guesses see each other and
 * a burst of parallel requests cannot slip past the limit.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '@meterops/db/client';
import { hashPassword, verifyPassword } from '@meterops/db/password';
import {
  countRecentFailures,
  findUserByEmail,
  markSignInAttemptSucceeded,
  recordSignInAttempt,
  type SessionUser,
  type StoredSession,
} from '@meterops/db/queries/auth';
import { startSession } from './session';

export const signInThrottle = {
  windowSeconds: 15 * 60,
  /** Failed attempts on one email inside the window before further attempts are refused. */
  emailLimit: 5,
  /** Failed attempts from one client address inside the window, across all emails. */
  addressLimit: 20,
  /** Each failure on an email answers more slowly: this much per failure in the window, up to the cap. */
  delayStepMs: 250,
  delayCapMs: 2_000,
} as const;

export type SignInResult =
  | { outcome: 'signed-in'; user: SessionUser; token: string; session: StoredSession }
  | { outcome: 'invalid-credentials' }
  | { outcome: 'throttled'; retryAfterSeconds: number };

let dummyHash: Promise<string> | undefined;

/**
 * An unknown email still costs one Argon2 verification, so response time does not tell which emails
 * have accounts.
 */
function getDummyHash(): Promise<string> {
  dummyHash ??= hashPassword('meterops timing-equaliser, matches no account');
  return dummyHash;
}

export async function signInWithPassword(
  db: Db,
  params: { email: string; password: string; clientAddress: string },
): Promise<SignInResult> {
  const { email, password, clientAddress } = params;
  const attemptId = await recordSignInAttempt(db, { email, clientAddress, succeeded: false });
  // The counts include the attempt just recorded: refuse when the ones before it already reach the limit.
  const failures = await countRecentFailures(db, {
    email,
    clientAddress,
    windowSeconds: signInThrottle.windowSeconds,
    emailLimit: signInThrottle.emailLimit,
    addressLimit: signInThrottle.addressLimit,
  });
  const emailBlocked = failures.emailFailures > signInThrottle.emailLimit;
  const addressBlocked = failures.addressFailures > signInThrottle.addressLimit;
  if (emailBlocked || addressBlocked) {
    const retryAfterSeconds = Math.max(
      1,
      emailBlocked ? failures.emailRetryAfterSeconds : 0,
      addressBlocked ? failures.addressRetryAfterSeconds : 0,
    );
    return { outcome: 'throttled', retryAfterSeconds };
  }

  const user = await findUserByEmail(db, { email });
  const passwordMatches = await verifyPassword(user?.passwordHash ?? (await getDummyHash()), password);
  if (!user || user.disabledAt !== null || !passwordMatches) {
    await sleep(Math.min(signInThrottle.delayCapMs, signInThrottle.delayStepMs * failures.emailFailures));
    return { outcome: 'invalid-credentials' };
  }

  await markSignInAttemptSucceeded(db, { attemptId });
  const { token, session } = await startSession(db, user.id);
  const sessionUser: SessionUser = {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    customerId: user.customerId,
    mustChangePassword: user.mustChangePassword,
  };
  return { outcome: 'signed-in', user: sessionUser, token, session };
}
