/**
 * The registry procedures against real Postgres: what admins create and change, each refusal with the
 * field it is shown next to, and what agents and operators may not do.
 */
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z, ZodError } from 'zod';
import { listMeters } from '@meterops/db/queries/registry';
import { createCaller } from '../src/server/root';
import { RegistryFixture } from './registry-fixtures';
import { contextFor, createTestDb, TestData, type TestUser } from './support';

const { db, sql, close } = createTestDb();
const data = new TestData(db);
let fixture: RegistryFixture;
let admin: ReturnType<typeof createCaller>;
let agent: ReturnType<typeof createCaller>;
let operator: ReturnType<typeof createCaller>;

async function callerFor(user: TestUser) {
  return createCaller(await contextFor(db, user));
}

beforeAll(async () => {
  fixture = await RegistryFixture.create(sql);
  admin = await callerFor(await data.user('admin'));
  agent = await callerFor(await data.user('agent'));
  operator = await callerFor(await data.user('operator'));
});

afterAll(async () => {
  await fixture?.cleanup();
  await data.cleanup();
  await close();
});

/** The `fieldErrors` the error formatter sends the client for this refusal (src/server/errors.ts). */
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

async function codeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'OK';
  } catch (error) {
    if (error instanceof TRPCError) return error.code;
    throw error;
  }
}

/** Half-hourly actual readings of `meterId` from `from`, `count` of them, each `kwh`. */
async function storeReadings(meterId: string, from: string, count: number, kwh = '0.5000') {
  await sql`select ensure_readings_partition(${from}::timestamptz)`;
  await sql`
    insert into readings (meter_id, interval_start, kwh, quality, source)
    select ${meterId}, ${from}::timestamptz + make_interval(mins => 30 * i), ${kwh}::numeric, 'actual', 'meter'
    from generate_series(0, ${count - 1}) as i`;
}

describe('meters', () => {
  it('registers a meter with the breaker-limit maximum of its segment and interval, and reads it back', async () => {
    const id = fixture.newId('M');
    const created = await admin.registry.meters.create(fixture.meterInput(id));
    expect(created).toMatchObject({
      id,
      customerId: fixture.customerId,
      status: 'active',
      intervalMinutes: 30,
      maxKwhPerInterval: 11.5,
      removedAt: null,
    });
    await expect(agent.registry.meters.get({ id })).resolves.toEqual(created);
    await expect(operator.registry.meters.get({ id })).resolves.toEqual(created);
    const listed = await operator.registry.meters.list({ search: id });
    expect(listed.rows.map((row) => row.id)).toEqual([id]);
  });

  it('pages by id with a cursor', async () => {
    const ids = [fixture.newId('PAGE'), fixture.newId('PAGE'), fixture.newId('PAGE')].sort();
    for (const id of ids) await admin.registry.meters.create(fixture.meterInput(id));
    const search = `${fixture.prefix}-PAGE`;
    const first = await listMeters(sql, { search, limit: 2 });
    expect(first.rows.map((row) => row.id)).toEqual(ids.slice(0, 2));
    expect(first.nextCursor).toBe(ids[1]);
    const second = await listMeters(sql, { search, limit: 2, cursor: first.nextCursor });
    expect(second.rows.map((row) => row.id)).toEqual(ids.slice(2));
    expect(second.nextCursor).toBeNull();
  });

  it('refuses a taken id, an id with control characters and one over 64 characters', async () => {
    expect(await fieldErrorsOf(admin.registry.meters.create(fixture.meterInput(fixture.meterId)))).toEqual({
      id: [`A meter with id ${fixture.meterId} exists`],
    });
    expect(await fieldErrorsOf(admin.registry.meters.create(fixture.meterInput('MTR\t1')))).toEqual({
      id: ['No control characters (tabs, line breaks, …)'],
    });
    expect(await fieldErrorsOf(admin.registry.meters.create(fixture.meterInput('M'.repeat(65))))).toEqual({
      id: ['At most 64 characters'],
    });
  });

  it('refuses an unknown customer or tariff, and a deactivated customer', async () => {
    const input = fixture.meterInput(fixture.newId('M'));
    expect(
      await fieldErrorsOf(admin.registry.meters.create({ ...input, customerId: 'NO-SUCH-CUSTOMER' })),
    ).toEqual({
      customerId: ['There is no customer NO-SUCH-CUSTOMER'],
    });
    expect(
      await fieldErrorsOf(admin.registry.meters.create({ ...input, tariffId: 'NO-SUCH-TARIFF' })),
    ).toEqual({
      tariffId: ['There is no tariff NO-SUCH-TARIFF'],
    });
    const gone = fixture.newId('C');
    await admin.registry.customers.create(fixture.customerInput(gone));
    await admin.registry.customers.deactivate({ id: gone });
    expect(await fieldErrorsOf(admin.registry.meters.create({ ...input, customerId: gone }))).toEqual({
      customerId: [`Customer ${gone} is deactivated`],
    });
  });

  it('refuses a time zone that is not IANA, an interval other than 15 or 30, a zero multiplier', async () => {
    const input = fixture.meterInput(fixture.newId('M'));
    expect(await fieldErrorsOf(admin.registry.meters.create({ ...input, timeZone: 'Mars/Olympus' }))).toEqual(
      {
        timeZone: ['Not an IANA time zone, e.g. Europe/London'],
      },
    );
    expect(
      await fieldErrorsOf(admin.registry.meters.create({ ...input, intervalMinutes: 20 as unknown as 30 })),
    ).toEqual({ intervalMinutes: ['15 or 30 minutes'] });
    expect(await fieldErrorsOf(admin.registry.meters.create({ ...input, multiplier: 0 }))).toEqual({
      multiplier: ['Above zero'],
    });
    expect(await fieldErrorsOf(admin.registry.meters.create({ ...input, region: 'North West' }))).toEqual({
      region: ['Lower-case letters and digits joined by hyphens, e.g. north-west'],
    });
  });

  it('changes a meter without readings freely, and answers NOT_FOUND for an unknown one', async () => {
    const id = fixture.newId('M');
    await admin.registry.meters.create(fixture.meterInput(id));
    const updated = await admin.registry.meters.update({
      ...fixture.meterInput(id),
      intervalMinutes: 15,
      timeZone: 'Europe/Amsterdam',
      installedAt: new Date('2024-06-01T00:00:00Z'),
    });
    expect(updated).toMatchObject({
      intervalMinutes: 15,
      timeZone: 'Europe/Amsterdam',
      maxKwhPerInterval: 5.75,
    });
    expect(await codeOf(admin.registry.meters.update(fixture.meterInput(fixture.newId('NONE'))))).toBe(
      'NOT_FOUND',
    );
    expect(await codeOf(admin.registry.meters.get({ id: fixture.newId('NONE') }))).toBe('NOT_FOUND');
  });

  it('refuses changes that would make stored readings invalid', async () => {
    const id = fixture.newId('M');
    await admin.registry.meters.create(fixture.meterInput(id));
    await storeReadings(id, '2024-03-05T00:00:00Z', 4, '2.0000');
    const input = fixture.meterInput(id);
    const other = fixture.newId('C');
    await admin.registry.customers.create(fixture.customerInput(other));
    expect(await fieldErrorsOf(admin.registry.meters.update({ ...input, customerId: other }))).toEqual({
      customerId: [
        `The customer cannot change: 4 readings are stored and belong to customer ${fixture.customerId}`,
      ],
    });
    expect(await fieldErrorsOf(admin.registry.meters.update({ ...input, intervalMinutes: 15 }))).toEqual({
      intervalMinutes: ['The interval length cannot change: 4 readings are stored on the 30-minute grid'],
    });
    expect(
      await fieldErrorsOf(admin.registry.meters.update({ ...input, timeZone: 'Europe/Amsterdam' })),
    ).toEqual({
      timeZone: [
        'The time zone cannot change: 4 readings are stored and their local days (usage, billing) would move',
      ],
    });
    expect(
      await fieldErrorsOf(
        admin.registry.meters.update({ ...input, installedAt: new Date('2024-03-05T00:30:00Z') }),
      ),
    ).toEqual({
      installedAt: [
        'Installation must be before 2024-03-05T00:30:00.000Z, the end of the first stored reading',
      ],
    });
    expect(await fieldErrorsOf(admin.registry.meters.update({ ...input, maxKwhPerInterval: 1.5 }))).toEqual({
      maxKwhPerInterval: ['At least 2 kWh: a stored reading has that much in one interval'],
    });
    // Up to the first reading's start is still fine.
    await expect(
      admin.registry.meters.update({
        ...input,
        installedAt: new Date('2024-03-05T00:00:00Z'),
        tariffId: fixture.tariffId,
      }),
    ).resolves.toMatchObject({ installedAt: new Date('2024-03-05T00:00:00Z') });
  });

  it('makes a meter inactive, or removed only after its last stored reading', async () => {
    const id = fixture.newId('M');
    await admin.registry.meters.create(fixture.meterInput(id));
    await storeReadings(id, '2024-03-05T00:00:00Z', 4);
    expect(
      await fieldErrorsOf(
        admin.registry.meters.deactivate({
          id,
          status: 'removed',
          removedAt: new Date('2024-03-05T01:30:00Z'),
        }),
      ),
    ).toEqual({
      removedAt: ['The removal must be after 2024-03-05T01:30:00.000Z, the start of the last stored reading'],
    });
    expect(
      await fieldErrorsOf(
        admin.registry.meters.deactivate({
          id,
          status: 'removed',
          removedAt: new Date('2023-01-01T00:00:00Z'),
        }),
      ),
    ).toEqual({ removedAt: ['The removal must be after the installation at 2024-01-01T00:00:00.000Z'] });
    await expect(admin.registry.meters.deactivate({ id, status: 'inactive' })).resolves.toMatchObject({
      status: 'inactive',
      removedAt: null,
    });
    await expect(
      admin.registry.meters.deactivate({
        id,
        status: 'removed',
        removedAt: new Date('2024-03-05T02:00:00Z'),
      }),
    ).resolves.toMatchObject({ status: 'removed', removedAt: new Date('2024-03-05T02:00:00Z') });
    // Nothing is deleted: the meter is still there to read, and can be reinstalled.
    await expect(agent.registry.meters.get({ id })).resolves.toMatchObject({ status: 'removed' });
    await expect(admin.registry.meters.reactivate({ id })).resolves.toMatchObject({
      status: 'active',
      removedAt: null,
    });
    expect(await codeOf(agent.registry.meters.reactivate({ id }))).toBe('FORBIDDEN');
    expect(await codeOf(admin.registry.meters.reactivate({ id: fixture.newId('NONE') }))).toBe('NOT_FOUND');
  });

  it('offers the re-drive of a newly registered meter’s quarantined unknown_meter readings', async () => {
    // A head-end's own id: the contract allows spaces and slashes, and the rejects procedures must too.
    const id = `${fixture.newId('Q')} HE/7`;
    await sql`
      insert into rejected_readings (topic, partition, kafka_offset, item_index, message_key, meter_id, rule, detail, payload)
      select 'registry-test', 0, i, 0, ${id}, ${id}, 'unknown_meter', 'no such meter', '{}'
      from generate_series(1, 3) as i`;
    await expect(admin.rejects.redriveMeterCount({ meterId: id })).resolves.toMatchObject({
      open: 3,
      registered: false,
    });
    await admin.registry.meters.create(fixture.meterInput(id));
    await expect(admin.rejects.redriveMeterCount({ meterId: id })).resolves.toMatchObject({
      open: 3,
      registered: true,
    });
  });

  it('lets operators and agents read meters but not change them', async () => {
    const input = fixture.meterInput(fixture.newId('M'));
    expect(await codeOf(operator.registry.meters.create(input))).toBe('FORBIDDEN');
    expect(await codeOf(agent.registry.meters.create(input))).toBe('FORBIDDEN');
    expect(await codeOf(agent.registry.meters.update(fixture.meterInput(fixture.meterId)))).toBe('FORBIDDEN');
    expect(await codeOf(agent.registry.meters.deactivate({ id: fixture.meterId, status: 'inactive' }))).toBe(
      'FORBIDDEN',
    );
    expect(await codeOf(operator.registry.customers.list({ search: '' }))).toBe('FORBIDDEN');
    expect(await codeOf(operator.registry.tariffs.get({ id: fixture.tariffId }))).toBe('FORBIDDEN');
  });
});

describe('customers', () => {
  it('creates, reads, lists, changes and deactivates a customer', async () => {
    const id = fixture.newId('C');
    const created = await admin.registry.customers.create({
      ...fixture.customerInput(id),
      email: 'Someone@Example.test',
    });
    expect(created).toMatchObject({
      id,
      email: 'someone@example.test',
      deactivatedAt: null,
      activeMeters: 0,
    });
    await expect(agent.registry.customers.get({ id })).resolves.toEqual(created);
    expect((await agent.registry.customers.list({ search: id })).rows.map((row) => row.id)).toEqual([id]);
    await expect(
      admin.registry.customers.update({
        ...fixture.customerInput(id),
        name: 'Renamed',
        segment: 'residential',
      }),
    ).resolves.toMatchObject({ name: 'Renamed', segment: 'residential', email: null });
    const deactivated = await admin.registry.customers.deactivate({ id });
    expect(deactivated.deactivatedAt).toBeInstanceOf(Date);
  });

  it('refuses a taken id, a bad email and a missing name', async () => {
    expect(
      await fieldErrorsOf(admin.registry.customers.create(fixture.customerInput(fixture.customerId))),
    ).toEqual({
      id: [`A customer with id ${fixture.customerId} exists`],
    });
    const input = fixture.customerInput(fixture.newId('C'));
    expect(
      await fieldErrorsOf(admin.registry.customers.create({ ...input, email: 'not-an-email', name: ' ' })),
    ).toEqual({
      email: ['Enter an email address'],
      name: ['Enter a name'],
    });
  });

  it('refuses to deactivate a customer with active meters', async () => {
    const id = fixture.newId('C');
    await admin.registry.customers.create(fixture.customerInput(id));
    await admin.registry.meters.create({ ...fixture.meterInput(fixture.newId('M')), customerId: id });
    expect(await fieldErrorsOf(admin.registry.customers.deactivate({ id }))).toEqual({
      id: [`Customer ${id} has 1 active meter(s); deactivate or remove them first`],
    });
    expect(await codeOf(admin.registry.customers.deactivate({ id: fixture.newId('NONE') }))).toBe(
      'NOT_FOUND',
    );
  });

  it('does not let agents change customers', async () => {
    expect(await codeOf(agent.registry.customers.create(fixture.customerInput(fixture.newId('C'))))).toBe(
      'FORBIDDEN',
    );
    expect(await codeOf(agent.registry.customers.deactivate({ id: fixture.spareCustomerId }))).toBe(
      'FORBIDDEN',
    );
  });
});

describe('tariffs', () => {
  const night = { name: 'night', fromHour: 0, toHour: 7, weekdays: [1, 2, 3, 4, 5, 6, 7], pricePerKwh: 0.12 };

  it('creates a time-of-use tariff, changes it to flat and deactivates it', async () => {
    const id = fixture.newId('T');
    const created = await admin.registry.tariffs.create({
      ...fixture.tariffInput(id),
      kind: 'time_of_use',
      windows: [night],
    });
    expect(created).toMatchObject({ id, kind: 'time_of_use', windows: [night], basePricePerKwh: 0.2 });
    await expect(agent.registry.tariffs.get({ id })).resolves.toEqual(created);
    expect((await agent.registry.tariffs.list({ search: id })).rows).toHaveLength(1);
    await expect(
      admin.registry.tariffs.update({ ...fixture.tariffInput(id), basePricePerKwh: 0.31415 }),
    ).resolves.toMatchObject({ kind: 'flat', windows: [], basePricePerKwh: 0.31415 });
    expect((await admin.registry.tariffs.deactivate({ id })).deactivatedAt).toBeInstanceOf(Date);
  });

  it('refuses windows on a flat tariff, none on a time-of-use one, overlapping and inverted windows', async () => {
    const input = fixture.tariffInput(fixture.newId('T'));
    expect(await fieldErrorsOf(admin.registry.tariffs.create({ ...input, windows: [night] }))).toEqual({
      windows: ['A flat tariff has no time-of-use windows'],
    });
    expect(await fieldErrorsOf(admin.registry.tariffs.create({ ...input, kind: 'time_of_use' }))).toEqual({
      windows: ['A time-of-use tariff needs at least one window'],
    });
    expect(
      await fieldErrorsOf(
        admin.registry.tariffs.create({
          ...input,
          kind: 'time_of_use',
          windows: [night, { ...night, name: 'early', fromHour: 6, toHour: 9, weekdays: [1] }],
        }),
      ),
    ).toEqual({ windows: ['Window 2 overlaps window 1 on a shared weekday'] });
    expect(
      await fieldErrorsOf(
        admin.registry.tariffs.create({
          ...input,
          kind: 'time_of_use',
          windows: [{ ...night, fromHour: 7, toHour: 7 }],
        }),
      ),
    ).toEqual({ windows: ['The window must end after it starts'] });
    expect(
      await fieldErrorsOf(admin.registry.tariffs.create({ ...input, basePricePerKwh: 0.123456 })),
    ).toEqual({
      basePricePerKwh: ['At most 5 decimals'],
    });
  });

  it('refuses to deactivate a tariff active meters are on, and moving a meter onto a deactivated one', async () => {
    expect(await fieldErrorsOf(admin.registry.tariffs.deactivate({ id: fixture.tariffId }))).toEqual({
      id: [expect.stringMatching(/active meter\(s\) are on tariff .*; move them to another tariff first$/)],
    });
    const retired = fixture.newId('T');
    await admin.registry.tariffs.create(fixture.tariffInput(retired));
    await admin.registry.tariffs.deactivate({ id: retired });
    expect(
      await fieldErrorsOf(
        admin.registry.meters.update({ ...fixture.meterInput(fixture.meterId), tariffId: retired }),
      ),
    ).toEqual({ tariffId: [`Tariff ${retired} is deactivated`] });
  });
});

describe('billing periods', () => {
  it('creates, reads, lists, changes and cancels an open period', async () => {
    const created = await admin.registry.billingPeriods.create({
      customerId: fixture.customerId,
      meterId: fixture.meterId,
      periodStart: '2032-03-01',
      periodEnd: '2032-03-01',
    });
    expect(created).toMatchObject({ meterId: fixture.meterId, periodStart: '2032-03-01', cancelledAt: null });
    await expect(agent.registry.billingPeriods.get({ id: created.id })).resolves.toEqual(created);
    const listed = await agent.registry.billingPeriods.list({ search: fixture.customerId });
    expect(listed.rows.map((row) => row.id)).toContain(created.id);
    await expect(
      admin.registry.billingPeriods.update({ ...created, meterId: '', periodEnd: '2032-03-31' }),
    ).resolves.toMatchObject({ meterId: null, periodEnd: '2032-03-31' });
    const cancelled = await admin.registry.billingPeriods.deactivate({ id: created.id });
    expect(cancelled.cancelledAt).toBeInstanceOf(Date);
    // A cancelled period no longer blocks its days, and cannot change again.
    await expect(
      admin.registry.billingPeriods.create({
        customerId: fixture.customerId,
        periodStart: '2032-03-10',
        periodEnd: '2032-03-20',
      }),
    ).resolves.toMatchObject({ periodStart: '2032-03-10' });
    expect(await codeOf(admin.registry.billingPeriods.deactivate({ id: created.id }))).toBe('CONFLICT');
  });

  it('refuses an end before the start, an overlap of the same scope and another customer’s meter', async () => {
    const base = { customerId: fixture.customerId, periodStart: '2033-01-10', periodEnd: '2033-01-09' };
    expect(await fieldErrorsOf(admin.registry.billingPeriods.create(base))).toEqual({
      periodEnd: ['The last day must be on or after the first day'],
    });
    const first = await admin.registry.billingPeriods.create({ ...base, periodEnd: '2033-01-31' });
    expect(
      await fieldErrorsOf(
        admin.registry.billingPeriods.create({ ...base, periodStart: '2033-01-31', periodEnd: '2033-02-27' }),
      ),
    ).toEqual({
      periodStart: [`Overlaps billing period #${first.id} (2033-01-10 to 2033-01-31) of the same customer`],
    });
    // A meter-level period may lie inside its customer's period (a week inside a month).
    await expect(
      admin.registry.billingPeriods.create({ ...base, meterId: fixture.meterId, periodEnd: '2033-01-16' }),
    ).resolves.toMatchObject({ meterId: fixture.meterId });
    const stranger = fixture.newId('C');
    await admin.registry.customers.create(fixture.customerInput(stranger));
    expect(
      await fieldErrorsOf(
        admin.registry.billingPeriods.create({
          ...base,
          customerId: stranger,
          meterId: fixture.meterId,
          periodEnd: '2033-01-31',
        }),
      ),
    ).toEqual({ meterId: [`Meter ${fixture.meterId} belongs to customer ${fixture.customerId}`] });
    expect(
      await fieldErrorsOf(
        admin.registry.billingPeriods.create({ ...base, customerId: 'NO-SUCH', periodEnd: '2033-01-31' }),
      ),
    ).toEqual({ customerId: ['There is no customer NO-SUCH'] });
  });

  it('keeps an invoiced period as billed', async () => {
    const period = await admin.registry.billingPeriods.create({
      customerId: fixture.customerId,
      periodStart: '2034-01-01',
      periodEnd: '2034-01-31',
    });
    await sql`update billing_periods set invoiced_at = now(), invoiced_kwh = 10 where id = ${period.id}`;
    expect(await codeOf(admin.registry.billingPeriods.update({ ...period, periodEnd: '2034-01-30' }))).toBe(
      'CONFLICT',
    );
    expect(await codeOf(admin.registry.billingPeriods.deactivate({ id: period.id }))).toBe('CONFLICT');
    expect(await codeOf(admin.registry.billingPeriods.get({ id: 2_000_000_000 }))).toBe('NOT_FOUND');
  });

  it('does not let agents change billing periods', async () => {
    expect(
      await codeOf(
        agent.registry.billingPeriods.create({
          customerId: fixture.customerId,
          periodStart: '2035-01-01',
          periodEnd: '2035-01-31',
        }),
      ),
    ).toBe('FORBIDDEN');
  });
});
