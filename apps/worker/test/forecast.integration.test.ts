import { forecastModelVersion } from '@meterops/domain/forecast';
import { kwhToUnits, unitsToKwh } from '@meterops/domain/kwh';
import { addDays, isoWeekday, localDayBounds } from '@meterops/domain/time';
import { hourlyTemperatureC } from '@meterops/domain/weather';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runForecast } from '../src/forecast/run';
import { createTestDatabase, type TestDatabase } from './harness';
import {
  createMeters,
  ingest,
  resetIngestPosition,
  starts,
  type TestMeter,
  type TestReading,
} from './batch-support';

// Two weeks of history after the clocks went back (every day 48 UTC half hours), issued on a Monday.
const issueDay = '2026-11-16';
const historyDays = Array.from({ length: 14 }, (_, index) => addDays('2026-11-02', index));
const home: TestMeter = { id: 'MTR-F00001', region: 'it-north', intervalMinutes: 30 };
const office: TestMeter = {
  id: 'MTR-F00002',
  region: 'it-north',
  segment: 'commercial',
  tariffId: 'COM-FLAT',
  intervalMinutes: 15,
};

/**
 * A pure weekly profile: the same value at the same time of the same weekday every week, whatever the
 * weather. The forecaster must give back exactly that profile (no temperature response, level 1).
 */
function intervalKwh(meter: TestMeter, day: string, index: number): string {
  const base = meter === home ? 0.1 : 0.5;
  const sunday = isoWeekday(day) === 7 ? 1.5 : 1;
  return unitsToKwh(Math.round(base * (1 + (index % 6) * 0.1) * sunday * 10_000));
}

const readingsOf = (meter: TestMeter, day: string): TestReading[] =>
  starts(day, meter).map((intervalStartMs, index) => ({
    meterId: meter.id,
    intervalStartMs,
    kwh: intervalKwh(meter, day, index),
  }));

/** The history's kWh per UTC half hour of a day, summed over the meters of a segment. */
function halfHoursOf(meter: TestMeter, day: string): Map<number, number> {
  const sums = new Map<number, number>();
  for (const reading of readingsOf(meter, day)) {
    const start = Math.floor(reading.intervalStartMs / 1_800_000) * 1_800_000;
    sums.set(start, (sums.get(start) ?? 0) + kwhToUnits(reading.kwh));
  }
  return sums;
}

const dayTotal = (meter: TestMeter, day: string) =>
  unitsToKwh(readingsOf(meter, day).reduce((sum, reading) => sum + kwhToUnits(reading.kwh), 0));

let database: TestDatabase;

beforeAll(async () => {
  resetIngestPosition();
  database = await createTestDatabase();
  await createMeters(database.sql, [home, office]);
  for (const day of historyDays)
    await ingest(database.sql, [...readingsOf(home, day), ...readingsOf(office, day)]);
}, 120_000);

afterAll(async () => {
  await database.drop();
});

describe('the forecast job', () => {
  it('forecasts a pure weekly profile exactly, per region and segment and per meter, with its model version', async () => {
    const { sql } = database;
    const result = await runForecast(sql, {
      issueDay,
      regionHorizonDays: 2,
      meterHorizonDays: 3,
      weather: 'simulated',
    });
    expect(result).toMatchObject({
      issueDay,
      modelVersion: forecastModelVersion,
      series: 2,
      seriesSkipped: 0,
      regionRows: 2 * 2 * 48,
      meters: 2,
      metersSkipped: 0,
      meterRows: 2 * 3,
      climateNormalHours: 0,
    });

    const regionRows = await sql<
      { segment: string; periodStart: string; horizonDays: number; kwh: string }[]
    >`
      select segment::text, to_char(period_start at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"') as "periodStart",
             horizon_days as "horizonDays", kwh::text
      from forecasts_region_halfhour
      where region = 'it-north' and model_version = ${forecastModelVersion} and issue_day = ${issueDay}::date
      order by segment, period_start`;
    // Tuesday and Wednesday are forecast from the Tuesdays and Wednesdays of the history.
    const expected = (['commercial', 'residential'] as const).flatMap((segment) =>
      [1, 2].flatMap((horizonDays) => {
        const target = addDays(issueDay, horizonDays);
        const sameWeekday = addDays(target, -7);
        const sums = halfHoursOf(segment === 'residential' ? home : office, sameWeekday);
        return [...sums.values()].map((units, index) => ({
          segment,
          periodStart: new Date(localDayBounds(target, 'Europe/London').startMs + index * 1_800_000)
            .toISOString()
            .slice(0, 16)
            .concat('Z'),
          horizonDays,
          kwh: unitsToKwh(units),
        }));
      }),
    );
    expect(regionRows).toEqual(expected);
    expect(regionRows[0]).toEqual({
      segment: 'commercial',
      periodStart: '2026-11-17T00:00Z',
      horizonDays: 1,
      kwh: '1.0500',
    });

    const meterRows = await sql<
      { meterId: string; day: string; horizonDays: number; kwh: string; modelVersion: string }[]
    >`
      select meter_id as "meterId", to_char(day, 'YYYY-MM-DD') as day, horizon_days as "horizonDays", kwh::text,
             model_version as "modelVersion"
      from forecasts_meter_day order by meter_id, day`;
    expect(meterRows).toEqual(
      [home, office].flatMap((meter) =>
        [0, 1, 2].map((horizonDays) => ({
          meterId: meter.id,
          day: addDays(issueDay, horizonDays),
          horizonDays,
          kwh: dayTotal(meter, addDays(issueDay, horizonDays - 7)),
          modelVersion: forecastModelVersion,
        })),
      ),
    );
    expect(meterRows.map((row) => row.kwh)).toEqual([
      '6.0000',
      '6.0000',
      '6.0000',
      '60.0000',
      '60.0000',
      '60.0000',
    ]);
  });

  it('stores the simulated temperature of every hour it used, and a rerun replaces its own rows', async () => {
    const { sql } = database;
    const hour = Date.parse('2026-11-17T07:00:00Z');
    const [stored] = await sql<{ temperatureC: string; source: string }[]>`
      select temperature_c::text as "temperatureC", source from weather_observations
      where region = 'it-north' and hour_start = ${new Date(hour)}`;
    expect(stored).toEqual({
      temperatureC: hourlyTemperatureC('it-north', hour).toFixed(1),
      source: 'simulated',
    });
    const [{ hours } = { hours: 0 }] = await sql<{ hours: number }[]>`
      select count(*)::int as hours from weather_observations where region = 'it-north'`;
    // From the first local day of history (2026-10-05, still summer time) to the end of the last forecast day.
    expect(hours).toBe((Date.parse('2026-11-19T00:00:00Z') - Date.parse('2026-10-04T23:00:00Z')) / 3_600_000);

    const before =
      await sql`select region, segment, period_start, horizon_days, kwh from forecasts_region_halfhour order by 1, 2, 3, 4`;
    const again = await runForecast(sql, {
      issueDay,
      regionHorizonDays: 2,
      meterHorizonDays: 3,
      weather: 'simulated',
    });
    expect(again.weatherHoursStored).toBe(0);
    const after =
      await sql`select region, segment, period_start, horizon_days, kwh from forecasts_region_halfhour order by 1, 2, 3, 4`;
    expect(after).toEqual(before);
  });
});
