/**
 * How sign-in attempts are slowed down. Refusals are keyed on the client address, alone and with the
 * email, so that an attacker's failures only ever hold up the attacker's own address: nobody can lock an
 * account by guessing at it, because the owner signing in from another address is never refused. Guessing
 * at one account from many addresses only makes each wrong answer slower (`failureDelayMs`).
 */
import type { KeyFailures } from '@meterops/db/queries/auth';

export interface SignInThrottle {
  windowSeconds: number;
  pairLimit: number;
  addressLimit: number;
  baseDelaySeconds: number;
  maxDelaySeconds: number;
  delayStepMs: number;
  delayCapMs: number;
}

export const signInThrottle: SignInThrottle = {
  windowSeconds: 15 * 60,
  /** Failures of one email from one address inside the window before attempts are spaced out. */
  pairLimit: 5,
  /** Failures from one address inside the window, across all emails, before attempts are spaced out. */
  addressLimit: 20,
  /**
   * Past a limit, each further attempt must wait this long after the newest failure, doubling with every
   * failure, up to `maxDelaySeconds`: a few quick retries of a mistyped password cost nothing, a guessing
   * run soon gets one try per quarter of an hour. A failure leaves the count once it is older than the
   * window, so the spacing ends by itself.
   */
  baseDelaySeconds: 30,
  maxDelaySeconds: 15 * 60,
  /** Each failure on an email (from any address) answers more slowly: this much per failure, up to the cap. */
  delayStepMs: 250,
  delayCapMs: 2_000,
};

/** Seconds until a key past its limit may try again; 0 when it may try now. */
export function secondsUntilAllowed(
  key: KeyFailures,
  limit: number,
  policy: Pick<SignInThrottle, 'baseDelaySeconds' | 'maxDelaySeconds'> = signInThrottle,
): number {
  if (key.failures < limit || key.secondsSinceLast === null) return 0;
  const delay = Math.min(policy.maxDelaySeconds, policy.baseDelaySeconds * 2 ** (key.failures - limit));
  return Math.max(0, Math.ceil(delay - key.secondsSinceLast));
}

/** The slow-down of a wrong answer, by the email's failures before it (from any address). */
export function failureDelayMs(emailFailures: number, policy: SignInThrottle = signInThrottle): number {
  return Math.min(policy.delayCapMs, policy.delayStepMs * emailFailures);
}
