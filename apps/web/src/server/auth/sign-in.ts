/**
 * Password sign-in with throttling (./throttle.ts). Every attempt is written to sign_in_attempts *before*
 * the password is checked (as a failure, turned into a success afterwards), so that concurrent guesses see
 * each other and a burst of parallel requests cannot slip past the limit. An attempt refused by the
 * throttle is deleted again: it checked no password, so it is no failure, and refusals cannot pile up.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '@meterops/db/client';
import { hashPassword, verifyPassword } from '@meterops/db/password';
import {
  deleteSignInAttempt,
  findUserByEmail,
  markSignInAttemptSucceeded,
  recentSignInFailures,
  recordSignInAttempt,
  type SessionUser,
  type StoredSession,
} from '@meterops/db/queries/auth';
import { throttlingBlock } from '../client-address';
import { startSession } from './session';
import { failureDelayMs, secondsUntilAllowed, signInThrottle } from './throttle';

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
  const { email, password } = params;
  const clientAddress = throttlingBlock(params.clientAddress);
  const attemptId = await recordSignInAttempt(db, { email, clientAddress, succeeded: false });
  const failures = await recentSignInFailures(db, {
    email,
    clientAddress,
    windowSeconds: signInThrottle.windowSeconds,
    beforeAttemptId: attemptId,
  });
  const retryAfterSeconds = Math.max(
    secondsUntilAllowed(failures.pair, signInThrottle.pairLimit),
    secondsUntilAllowed(failures.address, signInThrottle.addressLimit),
  );
  if (retryAfterSeconds > 0) {
    await deleteSignInAttempt(db, { attemptId });
    return { outcome: 'throttled', retryAfterSeconds };
  }

  const user = await findUserByEmail(db, { email });
  const passwordMatches = await verifyPassword(user?.passwordHash ?? (await getDummyHash()), password);
  if (!user || user.disabledAt !== null || !passwordMatches) {
    await sleep(failureDelayMs(failures.email.failures));
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
