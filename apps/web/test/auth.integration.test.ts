import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessions, signInAttempts, users } from '@meterops/db/schema';
import { POST } from '../src/app/api/trpc/[trpc]/route';
import { SESSION_ABSOLUTE_LIFETIME_MS, SESSION_COOKIE } from '../src/server/auth/cookie';
import { sessionIdFromToken } from '../src/server/auth/session';
import { signInThrottle } from '../src/server/auth/throttle';
import { createCaller } from '../src/server/root';
import {
  contextFor,
  contextWithCookie,
  createTestDb,
  TEST_PASSWORD,
  TestData,
  uniqueClientAddress,
} from './support';

const { db, close } = createTestDb();
const data = new TestData(db);

afterAll(async () => {
  await data.cleanup();
  await close();
});

/** Signs in through a caller and returns what the browser would keep: the token and the raw cookie. */
async function signIn(email: string, password: string, clientAddress = uniqueClientAddress()) {
  const ctx = await contextWithCookie(db, null, clientAddress);
  const result = await createCaller(ctx).auth.signIn({ email, password });
  const setCookie = ctx.resHeaders.get('set-cookie') ?? '';
  const token = new RegExp(`^${SESSION_COOKIE}=([^;]*)`).exec(setCookie)?.[1] ?? '';
  return { result, setCookie, token, resHeaders: ctx.resHeaders };
}

function signInError(email: string, password: string, clientAddress = uniqueClientAddress()) {
  return signIn(email, password, clientAddress).then(
    () => {
      throw new Error('sign-in unexpectedly succeeded');
    },
    (error: unknown) => error,
  );
}

/** Moves an email's recorded attempts `seconds` into the past, as if that much time had gone by. */
async function age(email: string, seconds: number) {
  await db
    .update(signInAttempts)
    .set({ attemptedAt: sql`${signInAttempts.attemptedAt} - make_interval(secs => ${seconds})` })
    .where(eq(signInAttempts.email, email));
}

async function failuresRecorded(email: string, clientAddress?: string) {
  const rows = await db
    .select({ id: signInAttempts.id })
    .from(signInAttempts)
    .where(
      and(
        eq(signInAttempts.email, email),
        eq(signInAttempts.succeeded, false),
        clientAddress === undefined ? undefined : eq(signInAttempts.clientAddress, clientAddress),
      ),
    );
  return rows.length;
}

describe('sign-in', () => {
  it('signs in with the right password and sets an httpOnly, SameSite=Lax, Secure __Host- cookie', async () => {
    const user = await data.user('agent');
    const { result, setCookie, token } = await signIn(user.email, TEST_PASSWORD);

    expect(result.user).toMatchObject({ id: user.id, role: 'agent' });
    expect(result.home).toBe('/service');
    expect(token).toMatch(/^[a-z2-7]{32}$/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Lax');
    expect(setCookie).toContain('Path=/');
    // Tests run with NODE_ENV=test, where the cookie is secure by default as in production.
    expect(setCookie).toMatch(/^__Host-meterops_session=/);
    expect(setCookie).toMatch(/; Secure(;|$)/);
    expect(setCookie).not.toMatch(/Domain=/i);
    const maxAge = Number(/Max-Age=(\d+)/.exec(setCookie)?.[1]);
    expect(maxAge).toBeGreaterThan(29 * 24 * 3600);
    expect(maxAge).toBeLessThanOrEqual(30 * 24 * 3600);

    // The database holds only the token's SHA-256.
    const stored = await db.select().from(sessions).where(eq(sessions.userId, user.id));
    expect(stored.map((session) => session.id)).toEqual([sessionIdFromToken(token)]);
    expect(stored[0]?.id).not.toBe(token);

    const me = await createCaller(await contextWithCookie(db, `${SESSION_COOKIE}=${token}`)).auth.me();
    expect(me).toMatchObject({ id: user.id, email: user.email, role: 'agent' });
  });

  it('matches the email case-insensitively', async () => {
    const user = await data.user('operator');
    const { result } = await signIn(`  ${user.email.toUpperCase()} `, TEST_PASSWORD);
    expect(result.user.id).toBe(user.id);
  });

  it('answers a wrong password and an unknown email with the same message', async () => {
    const user = await data.user('operator');
    const wrongPassword = await signInError(user.email, 'not the password');
    const unknownEmail = await signInError(data.unknownEmail(), TEST_PASSWORD);
    expect(wrongPassword).toMatchObject({ code: 'UNAUTHORIZED', message: 'Email or password is incorrect' });
    expect(unknownEmail).toMatchObject({ code: 'UNAUTHORIZED', message: 'Email or password is incorrect' });
  });

  it('refuses a disabled user even with the right password', async () => {
    const user = await data.user('operator', { disabled: true });
    expect(await signInError(user.email, TEST_PASSWORD)).toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('records every attempt, successful or not', async () => {
    const user = await data.user('operator');
    await signInError(user.email, 'wrong');
    await signIn(user.email, TEST_PASSWORD);
    const attempts = await db
      .select({ succeeded: signInAttempts.succeeded })
      .from(signInAttempts)
      .where(eq(signInAttempts.email, user.email))
      .orderBy(signInAttempts.id);
    expect(attempts.map((attempt) => attempt.succeeded)).toEqual([false, true]);
  });
});

describe('sign-in throttling', () => {
  it('spaces out attempts on an email from one address after 5 failures, and says when to retry', async () => {
    const user = await data.user('operator');
    const attacker = uniqueClientAddress();
    for (let attempt = 0; attempt < signInThrottle.pairLimit; attempt += 1) {
      expect(await signInError(user.email, `wrong ${attempt}`, attacker)).toMatchObject({
        code: 'UNAUTHORIZED',
      });
    }
    const ctx = await contextWithCookie(db, null, attacker);
    const refused = await createCaller(ctx)
      .auth.signIn({ email: user.email, password: TEST_PASSWORD })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    const message = (refused as Error).message;
    expect(message).toMatch(/^Too many failed sign-ins; try again in \d+ seconds$/);
    const seconds = Number(/in (\d+) seconds/.exec(message)?.[1]);
    expect(seconds).toBeGreaterThan(signInThrottle.baseDelaySeconds - 5);
    expect(seconds).toBeLessThanOrEqual(signInThrottle.baseDelaySeconds);
    expect(ctx.resHeaders.get('retry-after')).toBe(String(seconds));
    expect(ctx.resHeaders.get('set-cookie')).toBeNull();
  });

  it("does not let an attacker's failures from one address stop the owner signing in from another", async () => {
    const owner = await data.user('admin');
    const attacker = uniqueClientAddress();
    // Far more than any limit, from the attacker's address.
    for (let attempt = 0; attempt < signInThrottle.pairLimit + 10; attempt += 1) {
      await signInError(owner.email, `guess ${attempt}`, attacker);
    }
    expect(await signInError(owner.email, TEST_PASSWORD, attacker)).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
    });
    const { result } = await signIn(owner.email, TEST_PASSWORD, uniqueClientAddress());
    expect(result.user.id).toBe(owner.id);
  });

  it('does not count refused attempts as failures, so they cannot keep the refusal going', async () => {
    const user = await data.user('operator');
    const attacker = uniqueClientAddress();
    for (let attempt = 0; attempt < signInThrottle.pairLimit; attempt += 1) {
      await signInError(user.email, 'wrong', attacker);
    }
    for (let attempt = 0; attempt < 10; attempt += 1) {
      expect(await signInError(user.email, 'still wrong', attacker)).toMatchObject({
        code: 'TOO_MANY_REQUESTS',
      });
    }
    expect(await failuresRecorded(user.email, attacker)).toBe(signInThrottle.pairLimit);

    // Once the wait after the newest real failure has passed, the next attempt is checked again.
    await age(user.email, signInThrottle.baseDelaySeconds + 1);
    const { result } = await signIn(user.email, TEST_PASSWORD, attacker);
    expect(result.user.id).toBe(user.id);
  });

  it('doubles the wait with every further failure, up to the cap', async () => {
    const user = await data.user('operator');
    const attacker = uniqueClientAddress();
    for (let attempt = 0; attempt < signInThrottle.pairLimit; attempt += 1) {
      await signInError(user.email, 'wrong', attacker);
    }
    // Let the first wait pass and fail once more: the next wait is twice as long.
    await age(user.email, signInThrottle.baseDelaySeconds + 1);
    expect(await signInError(user.email, 'wrong again', attacker)).toMatchObject({ code: 'UNAUTHORIZED' });
    const refused = (await signInError(user.email, 'and again', attacker)) as Error;
    const seconds = Number(/in (\d+) seconds/.exec(refused.message)?.[1]);
    expect(seconds).toBeGreaterThan(2 * signInThrottle.baseDelaySeconds - 5);
    expect(seconds).toBeLessThanOrEqual(2 * signInThrottle.baseDelaySeconds);
  });

  it('answers each further failure on an email more slowly, from any address', async () => {
    const user = await data.user('operator');
    const durations: number[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const started = performance.now();
      await signInError(user.email, 'wrong');
      durations.push(performance.now() - started);
    }
    expect(durations[1]).toBeGreaterThan((durations[0] ?? 0) + signInThrottle.delayStepMs / 2);
    expect(durations[2]).toBeGreaterThan((durations[1] ?? 0) + signInThrottle.delayStepMs / 2);
  });

  it('clears the count of an email and address after a successful sign-in from it', async () => {
    const user = await data.user('operator');
    const address = uniqueClientAddress();
    for (let attempt = 0; attempt < signInThrottle.pairLimit - 1; attempt += 1) {
      await signInError(user.email, 'wrong', address);
    }
    await signIn(user.email, TEST_PASSWORD, address);
    for (let attempt = 0; attempt < signInThrottle.pairLimit - 1; attempt += 1) {
      await signInError(user.email, 'wrong again', address);
    }
    const { result } = await signIn(user.email, TEST_PASSWORD, address);
    expect(result.user.id).toBe(user.id);
  });

  it('spaces out a client address after 20 failures across different emails, and no other address', async () => {
    const user = await data.user('operator');
    const clientAddress = uniqueClientAddress();
    for (let attempt = 0; attempt < signInThrottle.addressLimit; attempt += 1) {
      await signInError(data.unknownEmail(), 'guess', clientAddress);
    }
    expect(await signInError(user.email, TEST_PASSWORD, clientAddress)).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
    });
    const { result } = await signIn(user.email, TEST_PASSWORD);
    expect(result.user.id).toBe(user.id);
  });

  it('counts the IPv6 addresses of one /64 network as one address', async () => {
    const user = await data.user('operator');
    const network = `2001:db8:${randomUUID().slice(0, 4)}`;
    for (let attempt = 0; attempt < signInThrottle.pairLimit; attempt += 1) {
      await signInError(user.email, 'wrong', `${network}:1::${attempt + 1}`);
    }
    expect(await signInError(user.email, TEST_PASSWORD, `${network}:1:ffff::9`)).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
    });
    const { result } = await signIn(user.email, TEST_PASSWORD, `${network}:2::1`);
    expect(result.user.id).toBe(user.id);
  });

  it('bounds what one signed-out address can add to sign_in_attempts, however many attempts it makes', async () => {
    const clientAddress = uniqueClientAddress();
    for (let attempt = 0; attempt < 3 * signInThrottle.addressLimit; attempt += 1) {
      await signInError(data.unknownEmail(), 'guess', clientAddress);
    }
    const rows = await db
      .select({ id: signInAttempts.id })
      .from(signInAttempts)
      .where(eq(signInAttempts.clientAddress, clientAddress));
    expect(rows).toHaveLength(signInThrottle.addressLimit);
  });

  it('does not let a burst of parallel guesses from one address past the limit', async () => {
    const user = await data.user('operator');
    const attacker = uniqueClientAddress();
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        signInError(user.email, `parallel ${index}`, attacker).then(
          (error) => (error as { code?: string }).code,
        ),
      ),
    );
    const checked = outcomes.filter((code) => code === 'UNAUTHORIZED').length;
    expect(checked).toBeLessThanOrEqual(signInThrottle.pairLimit);
    expect(outcomes.filter((code) => code === 'TOO_MANY_REQUESTS').length).toBe(12 - checked);
    expect(await failuresRecorded(user.email, attacker)).toBe(checked);
  });
});

describe('sessions', () => {
  let token: string;
  let userId: string;

  beforeAll(async () => {
    const user = await data.user('admin');
    userId = user.id;
    ({ token } = await signIn(user.email, TEST_PASSWORD));
  });

  it('extends a session used with less than 15 days left and sends the cookie again', async () => {
    const soon = new Date(Date.now() + 10 * 24 * 3600 * 1000);
    await db
      .update(sessions)
      .set({ expiresAt: soon })
      .where(eq(sessions.id, sessionIdFromToken(token)));

    const ctx = await contextWithCookie(db, `${SESSION_COOKIE}=${token}`);
    expect(ctx.user?.id).toBe(userId);
    expect(ctx.resHeaders.get('set-cookie')).toMatch(new RegExp(`^${SESSION_COOKIE}=${token};.*HttpOnly`));
    const [stored] = await db
      .select()
      .from(sessions)
      .where(eq(sessions.id, sessionIdFromToken(token)));
    expect(stored?.expiresAt.getTime()).toBeGreaterThan(Date.now() + 29 * 24 * 3600 * 1000);
  });

  it('does not touch the cookie of a session with more than 15 days left', async () => {
    const ctx = await contextWithCookie(db, `${SESSION_COOKIE}=${token}`);
    expect(ctx.user?.id).toBe(userId);
    expect(ctx.resHeaders.get('set-cookie')).toBeNull();
  });

  it('signs out: deletes the session row, clears the cookie, and the old token no longer works', async () => {
    const ctx = await contextWithCookie(db, `${SESSION_COOKIE}=${token}`);
    await createCaller(ctx).auth.signOut();
    expect(ctx.resHeaders.get('set-cookie')).toMatch(new RegExp(`^${SESSION_COOKIE}=; .*Max-Age=0`));
    const remaining = await db
      .select()
      .from(sessions)
      .where(eq(sessions.id, sessionIdFromToken(token)));
    expect(remaining).toEqual([]);

    const after = await contextWithCookie(db, `${SESSION_COOKIE}=${token}`);
    expect(after.user).toBeNull();
    await expect(createCaller(after).auth.me()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('deletes an expired session when it is presented and clears the cookie', async () => {
    const user = await data.user('operator');
    const { token: expiredToken } = await signIn(user.email, TEST_PASSWORD);
    const id = sessionIdFromToken(expiredToken);
    await db
      .update(sessions)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(sessions.id, id));

    const ctx = await contextWithCookie(db, `${SESSION_COOKIE}=${expiredToken}`);
    expect(ctx.user).toBeNull();
    expect(ctx.resHeaders.get('set-cookie')).toMatch(new RegExp(`^${SESSION_COOKIE}=; `));
    expect(await db.select().from(sessions).where(eq(sessions.id, id))).toEqual([]);
  });
});

describe('session lifetime and revocation', () => {
  it('ends a session at its absolute lifetime, however recently it was used', async () => {
    const user = await data.user('operator');
    const { token } = await signIn(user.email, TEST_PASSWORD);
    const id = sessionIdFromToken(token);
    await db
      .update(sessions)
      .set({ createdAt: new Date(Date.now() - SESSION_ABSOLUTE_LIFETIME_MS - 1000) })
      .where(eq(sessions.id, id));

    const ctx = await contextWithCookie(db, `${SESSION_COOKIE}=${token}`);
    expect(ctx.user).toBeNull();
    expect(ctx.resHeaders.get('set-cookie')).toMatch(new RegExp(`^${SESSION_COOKIE}=; `));
    expect(await db.select().from(sessions).where(eq(sessions.id, id))).toEqual([]);
  });

  it('slides the expiry no further than the absolute end', async () => {
    const user = await data.user('operator');
    const { token } = await signIn(user.email, TEST_PASSWORD);
    const id = sessionIdFromToken(token);
    const day = 24 * 3600 * 1000;
    const createdAt = new Date(Date.now() - SESSION_ABSOLUTE_LIFETIME_MS + 5 * day);
    await db
      .update(sessions)
      .set({ createdAt, expiresAt: new Date(Date.now() + 2 * day) })
      .where(eq(sessions.id, id));

    const ctx = await contextWithCookie(db, `${SESSION_COOKIE}=${token}`);
    expect(ctx.user?.id).toBe(user.id);
    const [stored] = await db.select().from(sessions).where(eq(sessions.id, id));
    expect(stored?.expiresAt.getTime()).toBe(createdAt.getTime() + SESSION_ABSOLUTE_LIFETIME_MS);
  });

  it('ends every session of a user whose role changes', async () => {
    const admin = await data.user('admin');
    const user = await data.user('agent');
    const first = await signIn(user.email, TEST_PASSWORD);
    const second = await signIn(user.email, TEST_PASSWORD);
    const bystander = await signIn(admin.email, TEST_PASSWORD);

    await createCaller(await contextFor(db, admin)).users.setRole({ id: user.id, role: 'operator' });

    expect(await db.select().from(sessions).where(eq(sessions.userId, user.id))).toEqual([]);
    for (const { token } of [first, second]) {
      const ctx = await contextWithCookie(db, `${SESSION_COOKIE}=${token}`);
      expect(ctx.user).toBeNull();
    }
    const [stored] = await db.select({ role: users.role }).from(users).where(eq(users.id, user.id));
    expect(stored?.role).toBe('operator');
    // Nobody else is signed out.
    const admins = await contextWithCookie(db, `${SESSION_COOKIE}=${bystander.token}`);
    expect(admins.user?.id).toBe(admin.id);
  });

  it('keeps the sessions when the role is set to what it already was', async () => {
    const admin = await data.user('admin');
    const user = await data.user('agent');
    const { token } = await signIn(user.email, TEST_PASSWORD);
    await createCaller(await contextFor(db, admin)).users.setRole({ id: user.id, role: 'agent' });
    const ctx = await contextWithCookie(db, `${SESSION_COOKIE}=${token}`);
    expect(ctx.user?.id).toBe(user.id);
  });

  it('ends every session of a user who is disabled', async () => {
    const admin = await data.user('admin');
    const user = await data.user('operator');
    const { token } = await signIn(user.email, TEST_PASSWORD);
    await createCaller(await contextFor(db, admin)).users.setDisabled({ id: user.id, disabled: true });
    expect(await db.select().from(sessions).where(eq(sessions.userId, user.id))).toEqual([]);
    const ctx = await contextWithCookie(db, `${SESSION_COOKIE}=${token}`);
    expect(ctx.user).toBeNull();
  });
});

describe('the HTTP endpoint', () => {
  it('returns the session cookie in the Set-Cookie header of the response', async () => {
    const user = await data.user('customer');
    const response = await POST(
      new Request('http://127.0.0.1/api/trpc/auth.signIn', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': uniqueClientAddress() },
        body: JSON.stringify({ json: { email: user.email, password: TEST_PASSWORD } }),
      }),
    );
    expect(response.status).toBe(200);
    const setCookie = response.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(
      /^__Host-meterops_session=[a-z2-7]{32}; Path=\/; HttpOnly; SameSite=Lax; .*; Secure$/,
    );
    const body = (await response.json()) as { result: { data: { json: { home: string } } } };
    expect(body.result.data.json.home).toBe('/usage');
  });

  it('answers a wrong password with 401 and no stack trace', async () => {
    const user = await data.user('customer');
    const response = await POST(
      new Request('http://127.0.0.1/api/trpc/auth.signIn', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': uniqueClientAddress() },
        body: JSON.stringify({ json: { email: user.email, password: 'wrong' } }),
      }),
    );
    expect(response.status).toBe(401);
    const body = (await response.json()) as {
      error: { json: { message: string; data: Record<string, unknown> } };
    };
    expect(body.error.json.message).toBe('Email or password is incorrect');
    expect(body.error.json.data).not.toHaveProperty('stack');
  });

  it('answers invalid input with 400 and a message per field', async () => {
    const response = await POST(
      new Request('http://127.0.0.1/api/trpc/auth.signIn', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': uniqueClientAddress() },
        body: JSON.stringify({ json: { email: 'not an email', password: '' } }),
      }),
    );
    expect(response.status).toBe(400);
    const body = (await response.json()) as {
      error: { json: { data: { fieldErrors: Record<string, string[]> } } };
    };
    expect(body.error.json.data.fieldErrors).toEqual({
      email: ['Enter an email address'],
      password: ['Enter your password'],
    });
  });
});
