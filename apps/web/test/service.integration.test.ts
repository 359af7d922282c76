/**
 * Customer service and administration against a real database: corrections with field errors and their
 * downstream effects, the review queue's accept and estimate, and the users page's guard rails.
 */
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z, ZodError } from 'zod';
import { createCaller } from '../src/server/root';
import { FIXTURE_DAY, PortalFixture } from './portal-fixtures';
import { contextFor, createTestDb, TestData, type TestUser } from './support';

const { db, sql, close } = createTestDb();
const data = new TestData(db);
let agent: TestUser;
let admin: TestUser;
let fixture: PortalFixture;

beforeAll(async () => {
  agent = await data.user('agent');
  admin = await data.user('admin');
  const customer = await data.user('customer');
  fixture = await PortalFixture.create(sql, customer.customerId ?? '');
});

afterAll(async () => {
  await fixture?.cleanup();
  await data.cleanup();
  await close();
});

/** The `fieldErrors` the error formatter sends the client for this error (src/server/errors.ts). */
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

describe('corrections', () => {
  it('refuses a missing reason and a malformed kWh with field errors, and writes nothing', async () => {
    const caller = createCaller(await contextFor(db, agent));
    const intervalStart = new Date(`${FIXTURE_DAY}T01:00:00Z`);
    const errors = await fieldErrorsOf(
      caller.readings.correct({
        meterId: fixture.meterId,
        intervalStart,
        kwh: '1.23456',
        reason: 'short',
        expectedVersion: 1,
      }),
    );
    expect(Object.keys(errors).sort()).toEqual(['kwh', 'reason']);
    const day = await caller.service.day({ meterId: fixture.meterId, day: FIXTURE_DAY });
    expect(
      day.intervals.find((interval) => interval.intervalStart.getTime() === intervalStart.getTime())?.version,
    ).toBe(1);
  });

  it('answers the batch layer’s refusal of a value above the meter’s maximum next to the kWh field', async () => {
    const caller = createCaller(await contextFor(db, agent));
    const errors = await fieldErrorsOf(
      caller.readings.correct({
        meterId: fixture.meterId,
        intervalStart: new Date(`${FIXTURE_DAY}T01:30:00Z`),
        kwh: '50',
        reason: 'a value far above the breaker limit',
        expectedVersion: 1,
      }),
    );
    expect(errors.kwh?.[0]).toMatch(/maximum/);
  });

  it('corrects a reading, lists the revision and reports the moved daily aggregate', async () => {
    const caller = createCaller(await contextFor(db, agent));
    const intervalStart = new Date(`${FIXTURE_DAY}T02:00:00Z`);
    const before = await caller.service.day({ meterId: fixture.meterId, day: FIXTURE_DAY });
    const result = await caller.readings.correct({
      meterId: fixture.meterId,
      intervalStart,
      kwh: '0.4500',
      reason: 'customer sent a photo of the register',
      expectedVersion: 1,
    });
    expect(result).toMatchObject({ changed: true, kwhBefore: '0.2000', kwhAfter: '0.4500', version: 2 });
    const daily = result.aggregates.find((change) => change.level === 'daily');
    expect(daily?.kwhAfter).not.toBe(daily?.kwhBefore);

    const after = await caller.service.day({ meterId: fixture.meterId, day: FIXTURE_DAY });
    const interval = after.intervals.find((row) => row.intervalStart.getTime() === intervalStart.getTime());
    expect(interval).toMatchObject({ kwh: '0.4500', quality: 'edited', version: 2, revisions: 1 });
    expect(before.intervals).toHaveLength(after.intervals.length);

    const { rows } = await caller.service.revisions({ meterId: fixture.meterId, day: FIXTURE_DAY });
    expect(rows[0]).toMatchObject({
      oldKwh: '0.2000',
      newKwh: '0.4500',
      source: 'agent',
      actor: agent.id,
      actorName: 'Test agent',
    });

    // The agent's view is now out of date for anyone still holding version 1.
    await expect(
      caller.readings.correct({
        meterId: fixture.meterId,
        intervalStart,
        kwh: '0.5',
        reason: 'a second opinion on it',
        expectedVersion: 1,
      }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});

describe('review queue', () => {
  it('lists flagged readings and accepts one with a review revision', async () => {
    const caller = createCaller(await contextFor(db, agent));
    const queue = await caller.service.reviewQueue({ from: FIXTURE_DAY, to: FIXTURE_DAY });
    const mine = queue.rows.filter((row) => row.meterId === fixture.meterId);
    expect(mine).toHaveLength(10);
    expect(new Set(mine.map((row) => row.flags.join()))).toEqual(new Set(['spike']));

    const intervalStart = fixture.nextFlaggedForAccept();
    const accepted = await caller.readings.accept({
      meterId: fixture.meterId,
      intervalStart,
      reason: 'a kettle and an oven at once',
      expectedVersion: 1,
    });
    expect(accepted).toMatchObject({ version: 2, flags: ['spike'] });
    const { rows } = await caller.service.revisions({
      meterId: fixture.meterId,
      day: FIXTURE_DAY,
      intervalStart,
    });
    expect(rows[0]).toMatchObject({
      source: 'review',
      oldKwh: '2.5000',
      newKwh: '2.5000',
      reason: 'Accepted spike: a kettle and an oven at once',
    });
    await expect(
      caller.readings.accept({
        meterId: fixture.meterId,
        intervalStart,
        reason: 'accepting it once more',
        expectedVersion: 2,
      }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('replaces a flagged reading by the interpolation of its neighbours', async () => {
    const caller = createCaller(await contextFor(db, agent));
    const result = await caller.readings.estimate({
      meterId: fixture.meterId,
      intervalStart: fixture.nextFlaggedForEstimate(),
      reason: 'meter glitch confirmed by the field team',
      expectedVersion: 1,
    });
    expect(result).toMatchObject({ kwhBefore: '2.5000', kwhAfter: '0.2000', changed: true });
  });
});

describe('users', () => {
  it('creates a user with a hashed password and refuses a taken email next to the field', async () => {
    const caller = createCaller(await contextFor(db, admin));
    const email = fixture.newEmail();
    await caller.users.create({ email, name: 'New agent', password: 'twelve chars at least', role: 'agent' });
    const [row] = await sql<
      { passwordHash: string }[]
    >`select password_hash as "passwordHash" from users where email = ${email}`;
    expect(row?.passwordHash).toMatch(/^\$argon2id\$/);
    const errors = await fieldErrorsOf(
      caller.users.create({ email, name: 'Again', password: 'twelve chars at least', role: 'agent' }),
    );
    expect(errors.email?.[0]).toMatch(/exists/);
  });

  it('binds a customer account to an existing customer only', async () => {
    const caller = createCaller(await contextFor(db, admin));
    const missing = await fieldErrorsOf(
      caller.users.create({
        email: fixture.newEmail(),
        name: 'Customer',
        password: 'twelve chars at least',
        role: 'customer',
      }),
    );
    expect(Object.keys(missing)).toEqual(['customerId']);
    const unknown = await fieldErrorsOf(
      caller.users.create({
        email: fixture.newEmail(),
        name: 'Customer',
        password: 'twelve chars at least',
        role: 'customer',
        customerId: 'NO-SUCH-CUSTOMER',
      }),
    );
    expect(unknown.customerId?.[0]).toMatch(/no customer/i);
  });

  it('does not let an administrator remove their own admin role or disable themselves', async () => {
    const caller = createCaller(await contextFor(db, admin));
    const errors = await fieldErrorsOf(caller.users.setRole({ id: admin.id, role: 'agent' }));
    expect(errors.role?.[0]).toMatch(/your own administrator role/);
    await expect(caller.users.setDisabled({ id: admin.id, disabled: true })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    const [row] = await sql<{ role: string }[]>`select role from users where id = ${admin.id}`;
    expect(row?.role).toBe('admin');
  });

  it('disabling a user ends their sessions', async () => {
    const caller = createCaller(await contextFor(db, admin));
    const target = await data.user('operator');
    await contextFor(db, target);
    await caller.users.setDisabled({ id: target.id, disabled: true });
    const [row] = await sql<
      { sessions: number }[]
    >`select count(*)::int as sessions from sessions where user_id = ${target.id}`;
    expect(row?.sessions).toBe(0);
  });
});
