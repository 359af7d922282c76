import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessions, signInAttempts } from '@meterops/db/schema';
import { POST } from '../src/app/api/trpc/[trpc]/route';
import { sessionIdFromToken } from '../src/server/auth/session';
import { signInThrottle } from '../src/server/auth/sign-in';
import { createCaller } from '../src/server/root';
import { contextWithCookie, createTestDb, TEST_PASSWORD, TestData, uniqueClientAddress } from './support';

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
  const token = /^meterops_session=([^;]*)/.exec(setCookie)?.[1] ?? '';
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

describe('sign-in', () => {
  it('signs in with the right password and sets an httpOnly, SameSite=Lax session cookie', async () => {
    const user = await data.user('agent');
    const { result, setCookie, token } = await signIn(user.email, TEST_PASSWORD);

    expect(result.user).toMatchObject({ id: user.id, role: 'agent' });
    expect(result.home).toBe('/service');
    expect(token).toMatch(/^[a-z2-7]{32}$/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Lax');
    expect(setCookie).toContain('Path=/');
    const maxAge = Number(/Max-Age=(\d+)/.exec(setCookie)?.[1]);
    expect(maxAge).toBeGreaterThan(29 * 24 * 3600);
    expect(maxAge).toBeLessThanOrEqual(30 * 24 * 3600);

    // The database holds only the token's SHA-256.
    const stored = await db.select().from(sessions).where(eq(sessions.userId, user.id));
    expect(stored.map((session) => session.id)).toEqual([sessionIdFromToken(token)]);
    expect(stored[0]?.id).not.toBe(token);

    const me = await createCaller(await contextWithCookie(db, `meterops_session=${token}`)).auth.me();
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
  it('refuses an email after 5 failures, even with the right password, and says when to retry', async () => {
    const user = await data.user('operator');
    for (let attempt = 0; attempt < signInThrottle.emailLimit; attempt += 1) {
      // Different addresses: this is the per-email limit, not the per-address one.
      expect(await signInError(user.email, `wrong ${attempt}`)).toMatchObject({ code: 'UNAUTHORIZED' });
    }
    const ctx = await contextWithCookie(db, null);
    const refused = await createCaller(ctx)
      .auth.signIn({ email: user.email, password: TEST_PASSWORD })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    const message = (refused as Error).message;
    expect(message).toMatch(/^Too many failed sign-ins; try again in \d+ seconds$/);
    const seconds = Number(/in (\d+) seconds/.exec(message)?.[1]);
    expect(seconds).toBeGreaterThan(signInThrottle.windowSeconds - 60);
    expect(seconds).toBeLessThanOrEqual(signInThrottle.windowSeconds);
    expect(ctx.resHeaders.get('retry-after')).toBe(String(seconds));
    expect(ctx.resHeaders.get('set-cookie')).toBeNull();
  });

  it('answers each further failure on an email more slowly', async () => {
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

  it('clears the email count after a successful sign-in', async () => {
    const user = await data.user('operator');
    for (let attempt = 0; attempt < signInThrottle.emailLimit - 1; attempt += 1) {
      await signInError(user.email, 'wrong');
    }
    await signIn(user.email, TEST_PASSWORD);
    await signInError(user.email, 'wrong again');
    const { result } = await signIn(user.email, TEST_PASSWORD);
    expect(result.user.id).toBe(user.id);
  });

  it('refuses a client address after 20 failures across different emails', async () => {
    const user = await data.user('operator');
    const clientAddress = uniqueClientAddress();
    for (let attempt = 0; attempt < signInThrottle.addressLimit; attempt += 1) {
      await signInError(data.unknownEmail(), 'guess', clientAddress);
    }
    expect(await signInError(user.email, TEST_PASSWORD, clientAddress)).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
    });
    // Another address is not affected.
    const { result } = await signIn(user.email, TEST_PASSWORD);
    expect(result.user.id).toBe(user.id);
  });

  it('does not let a burst of parallel guesses past the limit', async () => {
    const user = await data.user('operator');
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        signInError(user.email, `parallel ${index}`).then((error) => (error as { code?: string }).code),
      ),
    );
    const checked = outcomes.filter((code) => code === 'UNAUTHORIZED').length;
    expect(checked).toBeLessThanOrEqual(signInThrottle.emailLimit);
    expect(outcomes.filter((code) => code === 'TOO_MANY_REQUESTS').length).toBe(12 - checked);
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

    const ctx = await contextWithCookie(db, `meterops_session=${token}`);
    expect(ctx.user?.id).toBe(userId);
    expect(ctx.resHeaders.get('set-cookie')).toMatch(new RegExp(`^meterops_session=${token};.*HttpOnly`));
    const [stored] = await db
      .select()
      .from(sessions)
      .where(eq(sessions.id, sessionIdFromToken(token)));
    expect(stored?.expiresAt.getTime()).toBeGreaterThan(Date.now() + 29 * 24 * 3600 * 1000);
  });

  it('does not touch the cookie of a session with more than 15 days left', async () => {
    const ctx = await contextWithCookie(db, `meterops_session=${token}`);
    expect(ctx.user?.id).toBe(userId);
    expect(ctx.resHeaders.get('set-cookie')).toBeNull();
  });

  it('signs out: deletes the session row, clears the cookie, and the old token no longer works', async () => {
    const ctx = await contextWithCookie(db, `meterops_session=${token}`);
    await createCaller(ctx).auth.signOut();
    expect(ctx.resHeaders.get('set-cookie')).toMatch(/^meterops_session=; .*Max-Age=0/);
    const remaining = await db
      .select()
      .from(sessions)
      .where(eq(sessions.id, sessionIdFromToken(token)));
    expect(remaining).toEqual([]);

    const after = await contextWithCookie(db, `meterops_session=${token}`);
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

    const ctx = await contextWithCookie(db, `meterops_session=${expiredToken}`);
    expect(ctx.user).toBeNull();
    expect(ctx.resHeaders.get('set-cookie')).toMatch(/^meterops_session=; /);
    expect(await db.select().from(sessions).where(eq(sessions.id, id))).toEqual([]);
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
    expect(setCookie).toMatch(/^meterops_session=[a-z2-7]{32}; Path=\/; HttpOnly; SameSite=Lax; /);
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
