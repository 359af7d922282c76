/**
 * Backtest of the forecaster on the simulator's own consumption: simulates a fleet with weather for a run
 * of weeks in memory (the same `simulateMeterDay` the Kafka simulator sends), holds out the last weeks,
 * forecasts each of their days as the forecast job would (day-ahead from the day before the issue day,
 * week-ahead once a week) and measures the mean absolute percentage error per level. Deterministic for
 * its options.
 */
import { planFleet } from '@meterops/db/seed';
import {
  forecastDays,
  forecastHalfHours,
  forecastHistoryStart,
  meanAbsolutePercentageError,
  meanDegrees,
} from '@meterops/domain/forecast';
import { createRandom } from '@meterops/domain/random';
import { addDays, localDayBounds } from '@meterops/domain/time';
import { createWeatherCache } from '@meterops/domain/weather';
import { simulateMeterDay } from '../simulator/plan';

export interface BacktestOptions {
  meters: number;
  /** Weeks simulated in all, history and held-out weeks together. */
  weeks: number;
  /** The last weeks, forecast and compared with what the simulator produced. */
  holdoutWeeks: number;
  /** Last simulated day. */
  endDay: string;
  seed?: number;
  fleetSeed?: number;
  onProgress?: (step: string, done: number, total: number) => void;
}

export interface BacktestResult {
  meters: number;
  days: { first: string; last: string; heldOut: number };
  /** MAPE in % per level and horizon. */
  mape: {
    regionDayAhead: number;
    regionWeekAhead: number;
    regionSegmentDayAhead: number;
    meterDayAhead: number;
    meterWeekAhead: number;
  };
  /** Forecast values compared per level. */
  compared: { regionHalfHours: number; regionSegmentHalfHours: number; meterDays: number };
}

const HALF_HOUR_MS = 1_800_000;

export function runBacktest(options: BacktestOptions): BacktestResult {
  const days = options.weeks * 7;
  const firstDay = addDays(options.endDay, -(days - 1));
  const heldOut = options.holdoutWeeks * 7;
  const firstTarget = addDays(options.endDay, -(heldOut - 1));
  const fleet = planFleet(options.meters, options.fleetSeed ?? 42).filter(
    (meter) => meter.status === 'active',
  );
  const temperatureAt = createWeatherCache();
  const random = createRandom(options.seed ?? 1);

  // Half-hour sums per series, indexed from a UTC origin two days before the first local day.
  const originMs = Date.parse(`${firstDay}T00:00:00Z`) - 2 * 86_400_000;
  const slots = (days + 4) * 48;
  const seriesKwh = new Map<string, Float64Array>();
  const meterKwh = new Map<string, Float64Array>();
  for (let dayIndex = 0; dayIndex < days; dayIndex++) {
    const day = addDays(firstDay, dayIndex);
    for (const meter of fleet) {
      const { starts, kwh } = simulateMeterDay(meter, day, random, temperatureAt);
      const key = `${meter.region}/${meter.segment}`;
      let series = seriesKwh.get(key);
      if (!series) seriesKwh.set(key, (series = new Float64Array(slots)));
      let daily = meterKwh.get(meter.id);
      if (!daily) meterKwh.set(meter.id, (daily = new Float64Array(days)));
      let total = 0;
      for (let index = 0; index < starts.length; index++) {
        const value = Number(kwh[index]);
        const slot = Math.floor(((starts[index] as number) - originMs) / HALF_HOUR_MS);
        series[slot] = (series[slot] as number) + value;
        total += value;
      }
      daily[dayIndex] = total;
    }
    options.onProgress?.('simulate', dayIndex + 1, days);
  }

  const timeZoneOf = new Map(fleet.map((meter) => [meter.region, meter.timeZone]));
  const startOf = (day: string, timeZone: string) => localDayBounds(day, timeZone).startMs;
  const halfHoursOf = (from: string, to: string, timeZone: string) => {
    const starts: number[] = [];
    for (let at = startOf(from, timeZone); at < startOf(to, timeZone); at += HALF_HOUR_MS) starts.push(at);
    return starts;
  };
  const valueAt = (series: Float64Array, startMs: number) =>
    series[Math.floor((startMs - originMs) / HALF_HOUR_MS)] as number;

  /** Forecast per series for issue day `issue` over `horizon` days, keyed by series then half-hour start. */
  const forecastSeries = (issue: string, horizon: number) => {
    const out = new Map<string, Map<number, number>>();
    for (const [key, series] of seriesKwh) {
      const region = key.slice(0, key.indexOf('/'));
      const timeZone = timeZoneOf.get(region) ?? 'UTC';
      const historyFrom = forecastHistoryStart(issue) < firstDay ? firstDay : forecastHistoryStart(issue);
      const history = halfHoursOf(historyFrom, issue, timeZone).map((startMs) => ({
        startMs,
        kwh: valueAt(series, startMs),
      }));
      const targets = halfHoursOf(addDays(issue, 1), addDays(issue, 1 + horizon), timeZone);
      const values = forecastHalfHours({
        history,
        targets,
        timeZone,
        temperatureAt: (ms) => temperatureAt(region, ms),
      });
      out.set(key, new Map(targets.map((startMs, index) => [startMs, values[index] as number])));
    }
    return out;
  };

  const regionPairs = (forecasts: Map<string, Map<number, number>>) => {
    const byRegion = new Map<string, Map<number, { forecast: number; actual: number }>>();
    for (const [key, values] of forecasts) {
      const region = key.slice(0, key.indexOf('/'));
      const series = seriesKwh.get(key) as Float64Array;
      let pairs = byRegion.get(region);
      if (!pairs) byRegion.set(region, (pairs = new Map<number, { forecast: number; actual: number }>()));
      for (const [startMs, forecast] of values) {
        const pair = pairs.get(startMs) ?? { forecast: 0, actual: 0 };
        pair.forecast += forecast;
        pair.actual += valueAt(series, startMs);
        pairs.set(startMs, pair);
      }
    }
    return [...byRegion.values()].flatMap((pairs) => [...pairs.values()]);
  };

  const degreeCache = new Map<string, { heating: number; cooling: number }>();
  const degreesOf = (region: string, timeZone: string, day: string) => {
    const key = `${region}@${day}`;
    let degrees = degreeCache.get(key);
    if (!degrees) {
      const temperatures = halfHoursOf(day, addDays(day, 1), timeZone)
        .filter((startMs) => startMs % 3_600_000 === 0)
        .map((startMs) => temperatureAt(region, startMs));
      degreeCache.set(key, (degrees = meanDegrees(temperatures)));
    }
    return degrees;
  };
  const dayIndexOf = (day: string) => Math.round((Date.parse(day) - Date.parse(firstDay)) / 86_400_000);
  const meterPairs = (issue: string, horizon: number) => {
    const pairs: { forecast: number; actual: number }[] = [];
    const historyFrom = forecastHistoryStart(issue) < firstDay ? firstDay : forecastHistoryStart(issue);
    const targets = Array.from({ length: horizon }, (_, index) => addDays(issue, index + 1));
    for (const meter of fleet) {
      const daily = meterKwh.get(meter.id) as Float64Array;
      const history: { day: string; kwh: number }[] = [];
      for (let day = historyFrom; day < issue; day = addDays(day, 1)) {
        history.push({ day, kwh: daily[dayIndexOf(day)] as number });
      }
      const values = forecastDays({
        history,
        targets,
        degreesOfDay: (day) => degreesOf(meter.region, meter.timeZone, day),
      });
      targets.forEach((day, index) =>
        pairs.push({ forecast: values[index] as number, actual: daily[dayIndexOf(day)] as number }),
      );
    }
    return pairs;
  };

  const regionDay: { forecast: number; actual: number }[] = [];
  const segmentDay: { forecast: number; actual: number }[] = [];
  const meterDay: { forecast: number; actual: number }[] = [];
  for (let index = 0; index < heldOut; index++) {
    const target = addDays(firstTarget, index);
    const issue = addDays(target, -1);
    const forecasts = forecastSeries(issue, 1);
    regionDay.push(...regionPairs(forecasts));
    for (const [key, values] of forecasts) {
      const series = seriesKwh.get(key) as Float64Array;
      for (const [startMs, forecast] of values)
        segmentDay.push({ forecast, actual: valueAt(series, startMs) });
    }
    meterDay.push(...meterPairs(issue, 1));
    options.onProgress?.('day-ahead', index + 1, heldOut);
  }
  const regionWeek: { forecast: number; actual: number }[] = [];
  const meterWeek: { forecast: number; actual: number }[] = [];
  for (let week = 0; week < options.holdoutWeeks; week++) {
    const issue = addDays(firstTarget, week * 7 - 1);
    regionWeek.push(...regionPairs(forecastSeries(issue, 7)));
    meterWeek.push(...meterPairs(issue, 7));
    options.onProgress?.('week-ahead', week + 1, options.holdoutWeeks);
  }

  return {
    meters: fleet.length,
    days: { first: firstDay, last: options.endDay, heldOut },
    mape: {
      regionDayAhead: meanAbsolutePercentageError(regionDay),
      regionWeekAhead: meanAbsolutePercentageError(regionWeek),
      regionSegmentDayAhead: meanAbsolutePercentageError(segmentDay),
      meterDayAhead: meanAbsolutePercentageError(meterDay),
      meterWeekAhead: meanAbsolutePercentageError(meterWeek),
    },
    compared: {
      regionHalfHours: regionDay.length,
      regionSegmentHalfHours: segmentDay.length,
      meterDays: meterDay.length,
    },
  };
}
