/**
 * The forecast job's work: reads the history from Postgres, forecasts each region and segment half-hourly
 * and each active meter daily with `@meterops/domain/forecast`, and stores the numbers with the model
 * version. The backtest (backtest.ts) runs the same domain functions on the simulator's values.
 */
import type { Sql } from '@meterops/db/client';
import {
  forecastSeries,
  readHourlyTemperatures,
  readMeterDayHistory,
  readRegionSegmentHalfHours,
  storeSimulatedWeather,
  writeMeterForecasts,
  writeRegionForecasts,
  type MeterForecastRow,
  type RegionForecastRow,
} from '@meterops/db/queries/forecast';
import {
  forecastDays,
  forecastHalfHours,
  forecastHistoryStart,
  forecastModelVersion,
  meanDegrees,
} from '@meterops/domain/forecast';
import { unitsToKwh } from '@meterops/domain/kwh';
import { addDays, localDayBounds } from '@meterops/domain/time';
import { climateNormalC } from '@meterops/domain/weather';

const HOUR_MS = 3_600_000;
const HALF_HOUR_MS = 1_800_000;
const METER_PAGE = 1_000;
/** Fewer complete days than this and a meter gets no forecast: a weekday profile needs each weekday. */
const MIN_METER_DAYS = 7;

export interface ForecastRunParams {
  /** Forecasts start the day after (meters: on) this local day; history ends the day before it. */
  issueDay: string;
  /** Days ahead forecast per region and segment, half-hourly (7 = a week). */
  regionHorizonDays: number;
  /** Days forecast per meter from the issue day on (enough to cover the rest of a month). */
  meterHorizonDays: number;
  /** 'simulated': first store the simulated series for the hours needed; 'stored': use what a feed wrote. */
  weather: 'simulated' | 'stored';
  onProgress?: (done: number, total: number) => void;
  checkpoint?: () => Promise<void>;
  log?: (message: string) => Promise<void>;
}

export interface ForecastRunResult {
  issueDay: string;
  modelVersion: string;
  series: number;
  seriesSkipped: number;
  regionRows: number;
  meters: number;
  metersSkipped: number;
  meterRows: number;
  weatherHoursStored: number;
  /** Hours no stored temperature covered, forecast with the climate normal instead. */
  climateNormalHours: number;
}

/** A forecast to the 4 decimals kWh are stored with. */
const roundedKwh = (kwh: number) => unitsToKwh(Math.round(kwh * 10_000));

const halfHoursBetween = (fromMs: number, toMs: number) => {
  const starts: number[] = [];
  for (let at = fromMs; at < toMs; at += HALF_HOUR_MS) starts.push(at);
  return starts;
};

export async function runForecast(sql: Sql, params: ForecastRunParams): Promise<ForecastRunResult> {
  const { issueDay } = params;
  const historyStart = forecastHistoryStart(issueDay);
  const series = await forecastSeries(sql);
  const regions = [...new Set(series.map((entry) => entry.region))];
  const zones = [...new Set(series.map((entry) => entry.timeZone))];
  const lastDay = addDays(issueDay, Math.max(params.regionHorizonDays, params.meterHorizonDays - 1));
  // Widest UTC span of the local days involved, over every zone of the fleet.
  const spanFromMs = Math.min(...zones.map((zone) => localDayBounds(historyStart, zone).startMs), Infinity);
  const spanToMs = Math.max(...zones.map((zone) => localDayBounds(lastDay, zone).endMs), -Infinity);
  const [{ activeMeters } = { activeMeters: 0 }] = await sql<{ activeMeters: number }[]>`
    select count(*)::int as "activeMeters" from meters where status = 'active'`;
  const total = series.length + Math.ceil(activeMeters / METER_PAGE);
  let done = 0;
  params.onProgress?.(done, total);

  let weatherHoursStored = 0;
  if (params.weather === 'simulated' && regions.length > 0) {
    weatherHoursStored = await storeSimulatedWeather(sql, { regions, fromMs: spanFromMs, toMs: spanToMs });
  }
  const temperatures =
    regions.length > 0
      ? await readHourlyTemperatures(sql, { regions, fromMs: spanFromMs, toMs: spanToMs })
      : new Map<string, Map<number, number>>();
  const normalHours = new Set<string>();
  const temperatureAt = (region: string, epochMs: number) => {
    const hourStart = Math.floor(epochMs / HOUR_MS) * HOUR_MS;
    const stored = temperatures.get(region)?.get(hourStart);
    if (stored !== undefined) return stored;
    normalHours.add(`${region}@${hourStart}`);
    return climateNormalC(region, hourStart);
  };

  // Region × segment, half-hourly.
  const issueStartMs = Math.max(...zones.map((zone) => localDayBounds(issueDay, zone).startMs), -Infinity);
  const history =
    series.length > 0
      ? await readRegionSegmentHalfHours(sql, { fromMs: spanFromMs, toMs: issueStartMs })
      : [];
  const historyBySeries = new Map<string, Map<number, number>>();
  for (const row of history) {
    const key = `${row.region}/${row.segment}`;
    let points = historyBySeries.get(key);
    if (!points) historyBySeries.set(key, (points = new Map<number, number>()));
    points.set(row.periodStartMs, row.kwh);
  }
  const regionRows: RegionForecastRow[] = [];
  let seriesSkipped = 0;
  for (const entry of series) {
    await params.checkpoint?.();
    const points = historyBySeries.get(`${entry.region}/${entry.segment}`);
    const grid = halfHoursBetween(
      localDayBounds(historyStart, entry.timeZone).startMs,
      localDayBounds(issueDay, entry.timeZone).startMs,
    );
    const observed = grid.flatMap((startMs) => {
      const kwh = points?.get(startMs);
      return kwh === undefined ? [] : [{ startMs, kwh }];
    });
    if (observed.length < 48) {
      seriesSkipped++;
    } else {
      const targets: { startMs: number; horizonDays: number }[] = [];
      for (let horizon = 1; horizon <= params.regionHorizonDays; horizon++) {
        const day = addDays(issueDay, horizon);
        const bounds = localDayBounds(day, entry.timeZone);
        for (const startMs of halfHoursBetween(bounds.startMs, bounds.endMs))
          targets.push({ startMs, horizonDays: horizon });
      }
      const values = forecastHalfHours({
        history: observed,
        targets: targets.map((target) => target.startMs),
        timeZone: entry.timeZone,
        temperatureAt: (ms) => temperatureAt(entry.region, ms),
      });
      targets.forEach((target, index) =>
        regionRows.push({
          region: entry.region,
          segment: entry.segment,
          periodStartMs: target.startMs,
          horizonDays: target.horizonDays,
          kwh: roundedKwh(values[index] as number),
        }),
      );
    }
    params.onProgress?.(++done, total);
  }
  const regionWritten = await writeRegionForecasts(sql, {
    issueDay,
    modelVersion: forecastModelVersion,
    rows: regionRows,
  });
  await params.log?.(
    `${series.length - seriesSkipped} region-segment series forecast half-hourly for ${params.regionHorizonDays} days` +
      (seriesSkipped > 0 ? ` (${seriesSkipped} without a day of history skipped)` : '') +
      `: ${regionWritten} rows`,
  );

  // Meters, daily.
  const degreeCache = new Map<string, { heating: number; cooling: number }>();
  const degreesOfDay = (region: string, timeZone: string, day: string) => {
    const key = `${region}@${day}`;
    let degrees = degreeCache.get(key);
    if (!degrees) {
      const bounds = localDayBounds(day, timeZone);
      const hours: number[] = [];
      for (let at = Math.ceil(bounds.startMs / HOUR_MS) * HOUR_MS; at < bounds.endMs; at += HOUR_MS)
        hours.push(temperatureAt(region, at));
      degreeCache.set(key, (degrees = meanDegrees(hours)));
    }
    return degrees;
  };
  const targetDays = Array.from({ length: params.meterHorizonDays }, (_, index) => addDays(issueDay, index));
  let meters = 0;
  let metersSkipped = 0;
  let meterRows = 0;
  let after: string | null = null;
  for (;;) {
    await params.checkpoint?.();
    const page = await readMeterDayHistory(sql, {
      from: historyStart,
      to: issueDay,
      afterMeterId: after,
      limit: METER_PAGE,
    });
    if (page.length === 0) break;
    const rows: MeterForecastRow[] = [];
    for (const meter of page) {
      if (meter.days.length < MIN_METER_DAYS) {
        metersSkipped++;
        continue;
      }
      const values = forecastDays({
        history: meter.days,
        targets: targetDays,
        degreesOfDay: (day) => degreesOfDay(meter.region, meter.timeZone, day),
      });
      targetDays.forEach((day, index) =>
        rows.push({
          meterId: meter.meterId,
          day,
          horizonDays: index,
          kwh: roundedKwh(values[index] as number),
        }),
      );
      meters++;
    }
    meterRows += await writeMeterForecasts(sql, { issueDay, modelVersion: forecastModelVersion, rows });
    after = page[page.length - 1]?.meterId ?? null;
    params.onProgress?.(++done, total);
  }
  await params.log?.(
    `${meters} meters forecast daily for ${params.meterHorizonDays} days from ${issueDay}` +
      (metersSkipped > 0 ? ` (${metersSkipped} with under ${MIN_METER_DAYS} complete days skipped)` : '') +
      `: ${meterRows} rows`,
  );
  params.onProgress?.(total, total);
  return {
    issueDay,
    modelVersion: forecastModelVersion,
    series: series.length - seriesSkipped,
    seriesSkipped,
    regionRows: regionWritten,
    meters,
    metersSkipped,
    meterRows,
    weatherHoursStored,
    climateNormalHours: normalHours.size,
  };
}
