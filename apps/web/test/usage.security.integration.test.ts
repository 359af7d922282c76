/**
 * A customer reaches nothing of another customer's: every usage procedure and the CSV route answer a
 * meter of someone else exactly like a meter that does not exist, whatever id is sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller } from '../src/server/root';
import { SESSION_COOKIE } from '../src/server/auth/cookie';
import { startSession } from '../src/server/auth/session';
import { handleUsageCsv } from '../src/server/usage/csv';
import { FIXTURE_DAY, PortalFixture } from './portal-fixtures';
import { contextFor, createTestDb, TestData, type TestUser } from './support';

const { db, sql, close } = createTestDb();
const data = new TestData(db);
let alice: TestUser;
let bob: TestUser;
let aliceMeter: PortalFixture;
let bobMeter: PortalFixture;

beforeAll(async () => {
  alice = await data.user('customer');
  bob = await data.user('customer');
  aliceMeter = await PortalFixture.create(sql, alice.customerId ?? '');
  bobMeter = await PortalFixture.create(sql, bob.customerId ?? '');
});

afterAll(async () => {
  await aliceMeter?.cleanup();
  await bobMeter?.cleanup();
  await data.cleanup();
  await close();
});

async function csv(user: TestUser | null, query: Record<string, string>): Promise<Response> {
  const headers = new Headers();
  if (user !== null) headers.set('cookie', `${SESSION_COOKIE}=${(await startSession(db, user.id)).token}`);
  const url = `http://portal.test/usage/export?${new URLSearchParams(query).toString()}`;
  return handleUsageCsv(new Request(url, { headers }), { db, sql });
}

describe('usage procedures', () => {
  it('answer a customer about their own meter', async () => {
    const caller = createCaller(await contextFor(db, alice));
    const meters = await caller.usage.meters();
    expect(meters.meters.map((meter) => meter.id)).toEqual([aliceMeter.meterId]);
    const report = await caller.usage.report({ meterId: aliceMeter.meterId, view: 'day', day: FIXTURE_DAY });
    expect(report.kind).toBe('intervals');
    // 14 intervals of 0.2 kWh and 10 flagged ones of 2.5 kWh.
    expect(report.totals.kwh).toBe('27.8000');
  });

  it.each(['day', 'week', 'month', 'year'] as const)(
    'refuse another customer’s meter in the %s view with NOT_FOUND, as for a meter that does not exist',
    async (view) => {
      const caller = createCaller(await contextFor(db, alice));
      for (const meterId of [bobMeter.meterId, 'NO-SUCH-METER']) {
        await expect(caller.usage.report({ meterId, view, day: FIXTURE_DAY })).rejects.toMatchObject({
          code: 'NOT_FOUND',
        });
        await expect(caller.usage.comparison({ meterId, view, day: FIXTURE_DAY })).rejects.toMatchObject({
          code: 'NOT_FOUND',
        });
      }
    },
  );

  it('give the customer “expected this month” from their own meter’s usage and forecast only', async () => {
    // The fixture day summed to 27.8 kWh; the rest of February 2024 (15 days) is forecast at 2 kWh a day.
    await sql`
      insert into meter_usage_daily (meter_id, day, kwh, expected_intervals, actual_intervals, status)
      values (${aliceMeter.meterId}, ${FIXTURE_DAY}, 27.8, 48, 48, 'provisional')`;
    await sql`
      insert into forecasts_meter_day (meter_id, day, kwh, horizon_days, model_version, issue_day)
      select ${aliceMeter.meterId}, d::date, 2, (d::date - date '2024-02-14'), 'test-model/v0', date '2024-02-14'
      from generate_series(date '2024-02-15', date '2024-02-29', interval '1 day') as d`;
    const caller = createCaller(await contextFor(db, alice));
    expect(await caller.usage.monthOutlook({ meterId: aliceMeter.meterId, month: '2024-02' })).toEqual({
      month: '2024-02',
      actualDays: 1,
      actualKwh: '27.8000',
      forecastDays: 15,
      forecastKwh: '30.0000',
      expectedKwh: '57.8000',
      daysInMonth: 29,
      modelVersion: 'test-model/v0',
      issueDay: '2024-02-14',
    });
    for (const meterId of [bobMeter.meterId, 'NO-SUCH-METER']) {
      await expect(caller.usage.monthOutlook({ meterId, month: '2024-02' })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    }
    // The other tests read the fixture without a daily row.
    await sql`delete from meter_usage_daily where meter_id = ${aliceMeter.meterId}`;
  });

  it('list only the signed-in customer’s meters', async () => {
    const caller = createCaller(await contextFor(db, bob));
    const meters = await caller.usage.meters();
    expect(meters.meters.map((meter) => meter.id)).toEqual([bobMeter.meterId]);
  });

  it('are refused to staff, who have no customer', async () => {
    const agent = createCaller(await contextFor(db, await data.user('agent')));
    await expect(
      agent.usage.report({ meterId: aliceMeter.meterId, view: 'day', day: FIXTURE_DAY }),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
  });
});

describe('CSV download', () => {
  const query = (meter: string) => ({ meter, view: 'day', day: FIXTURE_DAY });

  it('gives the customer their own day as a CSV file', async () => {
    const response = await csv(alice, query(aliceMeter.meterId));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="usage-${aliceMeter.meterId}-day-${FIXTURE_DAY}.csv"`,
    );
    const lines = (await response.text()).trim().split('\r\n');
    expect(lines[0]).toBe('interval_start_utc,interval_start_local,kwh,quality,estimation_method,day_status');
    expect(lines[1]).toBe(
      `${FIXTURE_DAY}T00:00:00.000Z,${FIXTURE_DAY}T00:00:00+00:00,0.2000,actual,,provisional`,
    );
    expect(lines).toHaveLength(1 + 48);
  });

  it('answers 404 for another customer’s meter, exactly as for one that does not exist', async () => {
    const other = await csv(alice, query(bobMeter.meterId));
    const missing = await csv(alice, query('NO-SUCH-METER'));
    expect(other.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(await other.text()).toBe(await missing.text());
  });

  it('answers 401 without a session and 403 for staff', async () => {
    expect((await csv(null, query(aliceMeter.meterId))).status).toBe(401);
    expect((await csv(await data.user('admin'), query(aliceMeter.meterId))).status).toBe(403);
  });

  it('answers 400 for a malformed request', async () => {
    expect((await csv(alice, { meter: aliceMeter.meterId, view: 'decade', day: FIXTURE_DAY })).status).toBe(
      400,
    );
  });
});
