/**
 * Passwords (issue 12, finding 5): every user changes their own, proving the current one; an
 * administrator's reset gives a temporary password that opens nothing but the change page; both end the
 * user's sessions.
 */
import { TRPCError } from '@trpc/server';
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { z, ZodError } from 'zod';
import { verifyPassword } from '@meterops/db/password';
import { users } from '@meterops/db/schema';
import { CHANGE_PASSWORD_PATH } from '../src/lib/access';
import { SESSION_COOKIE } from '../src/server/auth/cookie';
import { validateSessionToken } from '../src/server/auth/session';
import { createCaller } from '../src/server/root';
import { contextFor, contextWithCookie, createTestDb, TEST_PASSWORD, TestData } from './support';

const { db, close } = createTestDb();
const data = new TestData(db);
const NEW_PASSWORD = 'tidal meter orchard 27';

afterAll(async () => {
  await data.cleanup();
  await close();
});

async function fieldErrorsOf(call: Promise<unknown>): Promise<Record<string, string[] | undefined>> {
  try {
    await call;
  } catch (error) {
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe('BAD_REQUEST');
    const cause = (error as TRPCError).cause;
    expect(cause).toBeInstanceOf(ZodError);
    return z.flattenError(cause as ZodError).fieldErrors;
  }
  throw new Error('the call succeeded');
}

async function signIn(email: string, password: string) {
  const ctx = await contextWithCookie(db, null);
  const result = await createCaller(ctx).auth.signIn({ email, password });
  const token =
    new RegExp(`^${SESSION_COOKIE}=([^;]*)`).exec(ctx.resHeaders.get('set-cookie') ?? '')?.[1] ?? '';
  return { result, token };
}

async function storedUser(id: string) {
  const [row] = await db
    .select({ passwordHash: users.passwordHash, mustChangePassword: users.mustChangePassword })
    .from(users)
    .where(eq(users.id, id));
  if (!row) throw new Error('no such user');
  return row;
}

describe("changing one's own password", () => {
  it('puts each problem next to its field and changes nothing', async () => {
    const user = await data.user('customer');
    const caller = createCaller(await contextFor(db, user));
    const wrongCurrent = await fieldErrorsOf(
      caller.auth.changePassword({
        currentPassword: 'not it at all',
        newPassword: NEW_PASSWORD,
        confirmPassword: NEW_PASSWORD,
      }),
    );
    expect(wrongCurrent.currentPassword).toEqual(['This is not your current password']);
    const weak = await fieldErrorsOf(
      caller.auth.changePassword({
        currentPassword: TEST_PASSWORD,
        newPassword: 'short',
        confirmPassword: 'short',
      }),
    );
    expect(weak.newPassword).toEqual(['Use at least 12 characters']);
    const published = await fieldErrorsOf(
      caller.auth.changePassword({
        currentPassword: TEST_PASSWORD,
        newPassword: 'meterops-demo',
        confirmPassword: 'meterops-demo',
      }),
    );
    expect(published.newPassword).toBeDefined();
    const mismatch = await fieldErrorsOf(
      caller.auth.changePassword({
        currentPassword: TEST_PASSWORD,
        newPassword: NEW_PASSWORD,
        confirmPassword: `${NEW_PASSWORD}!`,
      }),
    );
    expect(mismatch.confirmPassword).toEqual(['The two new passwords differ']);
    expect(await verifyPassword((await storedUser(user.id)).passwordHash, TEST_PASSWORD)).toBe(true);
  });

  it('changes it, ends every other session and starts a new one for this browser', async () => {
    const user = await data.user('agent');
    const elsewhere = await signIn(user.email, TEST_PASSWORD);
    const here = await signIn(user.email, TEST_PASSWORD);
    const ctx = await contextWithCookie(db, `${SESSION_COOKIE}=${here.token}`);
    const result = await createCaller(ctx).auth.changePassword({
      currentPassword: TEST_PASSWORD,
      newPassword: NEW_PASSWORD,
      confirmPassword: NEW_PASSWORD,
    });
    expect(result.home).toBe('/service');
    expect(await validateSessionToken(db, elsewhere.token)).toBeNull();
    expect(await validateSessionToken(db, here.token)).toBeNull();
    const fresh =
      new RegExp(`^${SESSION_COOKIE}=([^;]*)`).exec(ctx.resHeaders.get('set-cookie') ?? '')?.[1] ?? '';
    expect((await validateSessionToken(db, fresh))?.user.id).toBe(user.id);
    await expect(signIn(user.email, TEST_PASSWORD)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect((await signIn(user.email, NEW_PASSWORD)).result.user.id).toBe(user.id);
  });
});

describe('an administrator resetting a password', () => {
  it("generates a temporary password shown once, ends the user's sessions and forces a change", async () => {
    const admin = await data.user('admin');
    const operator = await data.user('operator');
    const before = await signIn(operator.email, TEST_PASSWORD);

    const { temporaryPassword } = await createCaller(await contextFor(db, admin)).users.resetPassword({
      id: operator.id,
    });
    expect(temporaryPassword).toMatch(/^[A-Za-z0-9_-]{6}(-[A-Za-z0-9_-]{1,6}){3}$/);
    if (temporaryPassword === null) throw new Error('no temporary password');
    expect(await validateSessionToken(db, before.token)).toBeNull();
    expect((await storedUser(operator.id)).mustChangePassword).toBe(true);
    const listed = await createCaller(await contextFor(db, admin)).users.list();
    expect(listed.users.find((user) => user.id === operator.id)?.mustChangePassword).toBe(true);

    // Signing in with it lands on the change page, and nothing else answers until the change.
    const temporary = await signIn(operator.email, temporaryPassword);
    expect(temporary.result.home).toBe(CHANGE_PASSWORD_PATH);
    expect(temporary.result.user.mustChangePassword).toBe(true);
    const ctx = await contextWithCookie(db, `${SESSION_COOKIE}=${temporary.token}`);
    const caller = createCaller(ctx);
    await expect(caller.consumption.filters()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(caller.auth.me()).resolves.toMatchObject({ id: operator.id, mustChangePassword: true });
    await caller.auth.changePassword({
      currentPassword: temporaryPassword,
      newPassword: NEW_PASSWORD,
      confirmPassword: NEW_PASSWORD,
    });
    expect((await storedUser(operator.id)).mustChangePassword).toBe(false);
    const after = await signIn(operator.email, NEW_PASSWORD);
    expect(after.result.home).toBe('/ops');
    const afterCaller = createCaller(await contextWithCookie(db, `${SESSION_COOKIE}=${after.token}`));
    await expect(afterCaller.consumption.filters()).resolves.toBeDefined();
  });

  it('sets a temporary password the administrator chose, if it is strong enough', async () => {
    const admin = createCaller(await contextFor(db, await data.user('admin')));
    const customer = await data.user('customer');
    const weak = await fieldErrorsOf(admin.users.resetPassword({ id: customer.id, password: 'abc' }));
    expect(weak.password).toEqual(['Use at least 12 characters']);
    expect(await verifyPassword((await storedUser(customer.id)).passwordHash, TEST_PASSWORD)).toBe(true);

    const chosen = 'granite harbour lantern 8';
    await expect(admin.users.resetPassword({ id: customer.id, password: chosen })).resolves.toEqual({
      temporaryPassword: null,
    });
    expect((await signIn(customer.email, chosen)).result.home).toBe(CHANGE_PASSWORD_PATH);
  });

  it('applies the same strength rule to the initial password of a new user', async () => {
    const admin = createCaller(await contextFor(db, await data.user('admin')));
    const email = data.unknownEmail();
    const weak = await fieldErrorsOf(
      admin.users.create({ email, name: 'Weak Start', password: 'meterops-demo', role: 'agent' }),
    );
    expect(weak.password).toEqual(['This password is published or too common; choose another']);
    const repetitive = await fieldErrorsOf(
      admin.users.create({ email, name: 'Weak Start', password: 'abababababab', role: 'agent' }),
    );
    expect(repetitive.password).toEqual(['Use more different characters (at least 5)']);
  });

  it("refuses an administrator's own account (they change it with their current password)", async () => {
    const admin = await data.user('admin');
    await expect(
      createCaller(await contextFor(db, admin)).users.resetPassword({ id: admin.id }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
