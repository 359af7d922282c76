import { estimateGapsForDay, finalizeDay } from '@meterops/db/queries/batch';
import { addDays } from '@meterops/domain/time';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './harness';
import {
  changedKeys,
  createMeters,
  dayOf,
  ingest,
  insertReadings,
  resetIngestPosition,
  snapshot,
  starts,
  type TestMeter,
} from './batch-support';

// A Wednesday after the clocks went back; its like-day history reaches into summer time (2026-10-21).
const day = '2026-11-04';
const a: TestMeter = { id: 'MTR-000001', region: 'london' };
const b: TestMeter = {
  id: 'MTR-000002',
  region: 'london',
  segment: 'commercial',
  tariffId: 'COM-FLAT',
  intervalMinutes: 30,
};
const c: TestMeter = {
  id: 'MTR-000003',
  region: 'randstad',
  tariffId: 'RES-E7',
  timeZone: 'Europe/Amsterdam',
};
const silent: TestMeter = { id: 'MTR-000004', region: 'london' };
const inactive: TestMeter = { id: 'MTR-000005', region: 'london', status: 'inactive' };

let database: TestDatabase;

beforeAll(async () => {
  resetIngestPosition();
  database = await createTestDatabase();
  const { sql } = database;
  await createMeters(sql, [a, b, c, silent, inactive]);
  // a: a one-hour gap 10:00–10:45 between 0.2 at 09:45 and 0.7 at 11:00.
  await insertReadings(
    sql,
    dayOf(a, day, '0.2500', { 39: '0.2000', 40: null, 41: null, 42: null, 43: null, 44: '0.7000' }),
  );
  // b: six hours missing from 12:00; history on the same weekday one and two weeks back, and an
  // estimated day three weeks back that like-day averages must ignore.
  const gap = Object.fromEntries(Array.from({ length: 12 }, (_, index) => [24 + index, null]));
  await insertReadings(sql, dayOf(b, day, '1.0000', gap));
  await insertReadings(sql, dayOf(b, addDays(day, -7), '0.8000'));
  await insertReadings(sql, dayOf(b, addDays(day, -14), '1.2001'));
  await insertReadings(sql, dayOf(b, addDays(day, -21), '5.0000', { 30: null }));
  await insertReadings(
    sql,
    dayOf(
      b,
      addDays(day, -21),
      '5.0000',
      { ...Object.fromEntries(Array.from({ length: 48 }, (_, i) => [i, null])), 30: '5.0000' },
      'estimated',
    ),
  );
  await insertReadings(sql, dayOf(c, day, '0.1000'));
});

afterAll(async () => {
  await database?.drop();
});

describe('finalizeDay', () => {
  it('refuses a day that has not ended everywhere', async () => {
    const today = new Date().toISOString().slice(0, 10);
    await expect(finalizeDay(database.sql, { day: today, actor: 'test' })).rejects.toThrow(/has not ended/);
  });

  it('interpolates a short gap, fills a long one with like-day averages and marks every row final', async () => {
    const { sql } = database;
    await sql`insert into reprocess_queue (meter_id, day, reason) values (${a.id}, ${day}, 'queued before finalizing')`;
    const result = await finalizeDay(sql, { day, actor: 'job:test' });
    expect(result).toMatchObject({
      meters: 5,
      readings: 96 + 48 + 96,
      estimated: { inserted: 16, replaced: 0, linear: 4, likeDay: 12, meters: 2 },
      // Dimension rows: the day's 7 keys, and the same keys in each of the 25 UTC hours the day covers.
      rows: { daily: 5, hourly: 24 + 24 + 24, dimension: 7 + 25 * 7, settlement: 96 },
    });

    const estimates = await sql<
      { meterId: string; at: Date; kwh: string; method: string; source: string; version: number }[]
    >`
      select meter_id as "meterId", interval_start as at, kwh::text as kwh, estimation_method as method, source, version
      from readings where quality = 'estimated' and interval_start >= ${day}::date order by 1, 2`;
    expect(
      estimates
        .filter((row) => row.meterId === a.id)
        .map((row) => [row.at.toISOString(), row.kwh, row.method]),
    ).toEqual([
      ['2026-11-04T10:00:00.000Z', '0.3000', 'linear_interpolation'],
      ['2026-11-04T10:15:00.000Z', '0.4000', 'linear_interpolation'],
      ['2026-11-04T10:30:00.000Z', '0.5000', 'linear_interpolation'],
      ['2026-11-04T10:45:00.000Z', '0.6000', 'linear_interpolation'],
    ]);
    // (0.8000 + 1.2001) / 2 = 1.00005, rounded half up; the estimated day three weeks back is ignored.
    const likeDay = estimates.filter((row) => row.meterId === b.id);
    expect(likeDay.map((row) => row.at.toISOString())).toEqual(
      starts(day, b)
        .slice(24, 36)
        .map((ms) => new Date(ms).toISOString()),
    );
    expect(new Set(likeDay.map((row) => `${row.kwh} ${row.method} ${row.source} v${row.version}`))).toEqual(
      new Set(['1.0001 like_day estimation v1']),
    );
    const [revisions] = await sql<{ count: number }[]>`select count(*)::int as count from reading_revisions`;
    expect(revisions?.count).toBe(0);

    const daily = await sql`
      select meter_id, kwh::text, expected_intervals, actual_intervals, estimated_intervals, edited_intervals, status,
             final_version, finalized_at is not null as finalized, actual_by_d1_intervals, actual_by_d5_intervals
      from meter_usage_daily where day = ${day} order by meter_id`;
    expect(daily.map((row) => ({ ...row }))).toEqual([
      {
        meter_id: a.id,
        kwh: '25.2000',
        expected_intervals: 96,
        actual_intervals: 92,
        estimated_intervals: 4,
        edited_intervals: 0,
        status: 'final',
        final_version: 1,
        finalized: true,
        actual_by_d1_intervals: 0,
        actual_by_d5_intervals: 0,
      },
      {
        meter_id: b.id,
        kwh: '48.0012',
        expected_intervals: 48,
        actual_intervals: 36,
        estimated_intervals: 12,
        edited_intervals: 0,
        status: 'final',
        final_version: 1,
        finalized: true,
        actual_by_d1_intervals: 0,
        actual_by_d5_intervals: 0,
      },
      {
        meter_id: c.id,
        kwh: '9.6000',
        expected_intervals: 96,
        actual_intervals: 96,
        estimated_intervals: 0,
        edited_intervals: 0,
        status: 'final',
        final_version: 1,
        finalized: true,
        actual_by_d1_intervals: 0,
        actual_by_d5_intervals: 0,
      },
      {
        meter_id: silent.id,
        kwh: '0.0000',
        expected_intervals: 96,
        actual_intervals: 0,
        estimated_intervals: 0,
        edited_intervals: 0,
        status: 'final',
        final_version: 1,
        finalized: true,
        actual_by_d1_intervals: 0,
        actual_by_d5_intervals: 0,
      },
      {
        meter_id: inactive.id,
        kwh: '0.0000',
        expected_intervals: 0,
        actual_intervals: 0,
        estimated_intervals: 0,
        edited_intervals: 0,
        status: 'final',
        final_version: 1,
        finalized: true,
        actual_by_d1_intervals: 0,
        actual_by_d5_intervals: 0,
      },
    ]);

    const hours = await sql`
      select hour_start, kwh::text, expected_intervals, actual_intervals, estimated_intervals, status
      from meter_usage_hourly where meter_id = ${a.id} and hour_start in ('2026-11-04T09:00:00Z', '2026-11-04T10:00:00Z') order by 1`;
    expect(hours.map((row) => ({ ...row }))).toEqual([
      {
        hour_start: new Date('2026-11-04T09:00:00Z'),
        kwh: '0.9500',
        expected_intervals: 4,
        actual_intervals: 4,
        estimated_intervals: 0,
        status: 'final',
      },
      {
        hour_start: new Date('2026-11-04T10:00:00Z'),
        kwh: '1.8000',
        expected_intervals: 4,
        actual_intervals: 0,
        estimated_intervals: 4,
        status: 'final',
      },
    ]);

    const dimensions = await sql`
      select dimension::text, key, kwh::text, expected_intervals, actual_intervals, estimated_intervals, status
      from dimension_usage_daily where day = ${day} order by 1, 2`;
    expect(dimensions.map((row) => ({ ...row }))).toEqual([
      {
        dimension: 'region',
        key: 'london',
        kwh: '73.2012',
        expected_intervals: 240,
        actual_intervals: 128,
        estimated_intervals: 16,
        status: 'final',
      },
      {
        dimension: 'region',
        key: 'randstad',
        kwh: '9.6000',
        expected_intervals: 96,
        actual_intervals: 96,
        estimated_intervals: 0,
        status: 'final',
      },
      {
        dimension: 'segment',
        key: 'commercial',
        kwh: '48.0012',
        expected_intervals: 48,
        actual_intervals: 36,
        estimated_intervals: 12,
        status: 'final',
      },
      {
        dimension: 'segment',
        key: 'residential',
        kwh: '34.8000',
        expected_intervals: 288,
        actual_intervals: 188,
        estimated_intervals: 4,
        status: 'final',
      },
      {
        dimension: 'tariff',
        key: 'COM-FLAT',
        kwh: '48.0012',
        expected_intervals: 48,
        actual_intervals: 36,
        estimated_intervals: 12,
        status: 'final',
      },
      {
        dimension: 'tariff',
        key: 'RES-E7',
        kwh: '9.6000',
        expected_intervals: 96,
        actual_intervals: 96,
        estimated_intervals: 0,
        status: 'final',
      },
      {
        dimension: 'tariff',
        key: 'RES-FLAT',
        kwh: '25.2000',
        expected_intervals: 192,
        actual_intervals: 92,
        estimated_intervals: 4,
        status: 'final',
      },
    ]);

    const settlement = await sql`
      select region, count(*)::int as periods, min(period_start) as first, max(period_start) as last, sum(kwh)::text as kwh,
             min(expected_intervals) as min_expected, max(expected_intervals) as max_expected, bool_and(status = 'final') as final
      from settlement_period_usage group by region order by region`;
    expect(settlement.map((row) => ({ ...row }))).toEqual([
      {
        region: 'london',
        periods: 48,
        first: new Date('2026-11-04T00:00:00Z'),
        last: new Date('2026-11-04T23:30:00Z'),
        kwh: '73.2012',
        min_expected: 5,
        max_expected: 5,
        final: true,
      },
      {
        region: 'randstad',
        periods: 48,
        first: new Date('2026-11-03T23:00:00Z'),
        last: new Date('2026-11-04T22:30:00Z'),
        kwh: '9.6000',
        min_expected: 2,
        max_expected: 2,
        final: true,
      },
    ]);
    const [period] = await sql`
      select kwh::text, actual_intervals, estimated_intervals from settlement_period_usage
      where region = 'london' and period_start = '2026-11-04T10:00:00Z'`;
    expect({ ...period }).toEqual({ kwh: '1.7000', actual_intervals: 1, estimated_intervals: 2 });

    // London's day is 00:00Z–24:00Z and Amsterdam's 23:00Z–23:00Z, so the residential hours add up to the
    // day; the first and the last hour also belong to a neighbouring day that is not final.
    const residentialHours = await sql`
      select count(*)::int as hours, sum(kwh)::text as kwh, sum(actual_intervals)::int as actual,
             sum(estimated_intervals)::int as estimated, min(expected_intervals) as min_expected,
             max(expected_intervals) as max_expected,
             array_agg(hour_start order by hour_start) filter (where status = 'provisional') as provisional
      from dimension_usage_hourly where dimension = 'segment' and key = 'residential'`;
    expect(residentialHours.map((row) => ({ ...row }))).toEqual([
      {
        hours: 25,
        kwh: '34.8000',
        actual: 188,
        estimated: 4,
        min_expected: 12,
        max_expected: 12,
        provisional: [new Date('2026-11-03T23:00:00Z'), new Date('2026-11-04T23:00:00Z')],
      },
    ]);

    const [queue] = await sql<{ count: number }[]>`select count(*)::int as count from reprocess_queue`;
    expect(queue?.count).toBe(0);
  });

  it('changes nothing when run again: no rewritten row, no version bump', async () => {
    const { sql } = database;
    const before = await snapshot(sql);
    const again = await finalizeDay(sql, { day, actor: 'job:test' });
    expect(again.rows).toEqual({ hourly: 0, daily: 0, dimension: 0, settlement: 0 });
    expect(again.estimated).toMatchObject({ inserted: 0, replaced: 0 });
    expect(changedKeys(before, await snapshot(sql))).toEqual([]);
  });
});

describe('estimateGapsForDay', () => {
  const earlier = '2026-11-03';

  it('estimates ahead of finalization and brings the provisional rows in line, leaving final meters alone', async () => {
    const { sql } = database;
    await insertReadings(sql, dayOf(c, earlier, '0.1000'));
    await finalizeDay(sql, { day: earlier, meterIds: [c.id], actor: 'job:test' });
    // a arrives through the speed layer with the same one-hour gap as above.
    await ingest(
      sql,
      dayOf(a, earlier, '0.2500', { 39: '0.2000', 40: null, 41: null, 42: null, 43: null, 44: '0.7000' }),
    );
    const before = await snapshot(sql);

    const result = await estimateGapsForDay(sql, { day: earlier, actor: 'job:estimate-gaps' });
    expect(result.estimated).toMatchObject({ inserted: 4, linear: 4, likeDay: 0 });
    const [daily] = await sql`
      select kwh::text, actual_intervals, estimated_intervals, status, final_version
      from meter_usage_daily where meter_id = ${a.id} and day = ${earlier}`;
    expect({ ...daily }).toEqual({
      kwh: '25.2000',
      actual_intervals: 92,
      estimated_intervals: 4,
      status: 'provisional',
      final_version: 0,
    });
    const changed = changedKeys(before, await snapshot(sql));
    expect(changed.some((key) => key.includes(c.id))).toBe(false);
    const [region] = await sql`
      select kwh::text, status from dimension_usage_daily where day = ${earlier} and dimension = 'region' and key = 'london'`;
    expect({ ...region }).toEqual({ kwh: '25.2000', status: 'provisional' });
  });
});
