/**
 * The comparison with similar homes (issue 12, finding 7): never drawn from fewer than PEER_MIN_COUNT other
 * homes, since the quartiles of two or three would give a neighbour's usage away, and the scans a customer
 * can cause are bounded (one per period and group, none for a period without data).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type * as UsageQueries from '@meterops/db/queries/usage';
import { env } from '../src/env';
import { createCaller } from '../src/server/root';
import { contextFor, createTestDb, TestData, type TestUser } from './support';

/** Counts the peer scans, which stay the real queries. */
const scans = vi.hoisted(() => ({ calls: [] as unknown[] }));
vi.mock('@meterops/db/queries/usage', async (importOriginal) => {
  const actual = await importOriginal<typeof UsageQueries>();
  return {
    ...actual,
    dailyKwhByMeter: (...args: Parameters<typeof actual.dailyKwhByMeter>) => {
      scans.calls.push(args[1]);
      return actual.dailyKwhByMeter(...args);
    },
  };
});

const { db, sql, close } = createTestDb();
const data = new TestData(db);
const suffix = randomUUID().slice(0, 8);
const region = `peer-test-${suffix}`;
const tariffId = `PEERT-${suffix}`;
const ownMeter = `PEERT-${suffix}-OWN`;
/** Days with data from the customer's meter and `minimum - 1` other homes, and with `minimum` others. */
const tooFewDay = '2024-03-04';
const enoughDay = '2024-03-05';
let customer: TestUser;

async function meterWithDays(id: string, customerId: string, days: Record<string, number>) {
  await sql`
    insert into meters (id, customer_id, region, segment, tariff_id, interval_minutes, time_zone, max_kwh_per_interval, installed_at)
    values (${id}, ${customerId}, ${region}, 'residential', ${tariffId}, 30, 'Europe/London', 11.5, '2024-01-01T00:00:00Z')`;
  for (const [day, kwh] of Object.entries(days)) {
    await sql`
      insert into meter_usage_daily (meter_id, day, kwh, expected_intervals, actual_intervals)
      values (${id}, ${day}, ${kwh}, 48, 48)`;
  }
}

beforeAll(async () => {
  customer = await data.user('customer');
  const customerId = customer.customerId ?? '';
  await sql`insert into tariffs (id, name, kind, base_price_per_kwh) values (${tariffId}, 'Peer test', 'flat', 0.2)`;
  await meterWithDays(ownMeter, customerId, { [tooFewDay]: 10, [enoughDay]: 10 });
  for (let index = 0; index < env.PEER_MIN_COUNT; index += 1) {
    const days: Record<string, number> = { [enoughDay]: 5 + index };
    if (index < env.PEER_MIN_COUNT - 1) days[tooFewDay] = 5 + index;
    await meterWithDays(`PEERT-${suffix}-${index}`, customerId, days);
  }
});

afterAll(async () => {
  await sql`delete from meter_usage_daily where meter_id like ${`PEERT-${suffix}-%`}`;
  await sql`delete from meters where region = ${region}`;
  await sql`delete from tariffs where id = ${tariffId}`;
  await data.cleanup();
  await close();
});

async function compare(day: string, view: 'day' | 'week' = 'day') {
  const caller = createCaller(await contextFor(db, customer));
  return caller.usage.comparison({ meterId: ownMeter, view, day });
}

describe('usage.comparison', () => {
  it('says there are not enough similar homes below the minimum, and gives no figure about them', async () => {
    const answer = await compare(tooFewDay);
    expect(answer).toEqual({
      from: tooFewDay,
      to: tooFewDay,
      region,
      segment: 'residential',
      outcome: 'not-enough-peers',
      minimumPeers: env.PEER_MIN_COUNT,
    });
  });

  it('compares with the other homes once there are enough of them, the own home left out', async () => {
    const answer = await compare(enoughDay);
    expect(answer.outcome).toBe('compared');
    if (answer.outcome !== 'compared') return;
    // The others use 5 … 5 + minimum - 1 kWh a day; the home uses 10.
    const others = Array.from({ length: env.PEER_MIN_COUNT }, (_, index) => 5 + index);
    expect(answer.peers).toBe(others.length);
    expect(answer.dailyKwh).toBeCloseTo(10, 6);
    // Evenly spaced values: the median is the mean of the lowest and the highest.
    expect(answer.median).toBeCloseTo(5 + (others.length - 1) / 2, 6);
    expect(answer.percentile).toBeCloseTo(
      ((others.filter((kwh) => kwh < 10).length + (others.includes(10) ? 0.5 : 0)) / others.length) * 100,
      6,
    );
  });

  it('scans one group once per period, however often it is asked', async () => {
    scans.calls.length = 0;
    for (let call = 0; call < 5; call += 1) await compare(enoughDay);
    await Promise.all(Array.from({ length: 5 }, () => compare(enoughDay, 'week')));
    expect(scans.calls).toEqual([
      { from: '2024-03-04', to: '2024-03-10', group: { region, segment: 'residential' } },
    ]);
  });

  it('answers a period in which the meter has no data without scanning anything', async () => {
    scans.calls.length = 0;
    for (const day of ['2023-06-01', '2031-01-01', '2099-12-31']) {
      expect(await compare(day)).toMatchObject({ outcome: 'no-data' });
    }
    expect(scans.calls).toEqual([]);
  });
});
