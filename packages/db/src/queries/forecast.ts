/**
 * Forecasts and the weather behind them. This module owns `weather_observations`,
 * `forecasts_region_halfhour` and `forecasts_meter_day`: the forecast job writes through it, the portal
 * reads through it.
 */
import { kwhToUnits, unitsToKwh } from '@meterops/domain/kwh';
import { addDays } from '@meterops/domain/time';
import { hourlyTemperatures } from '@meterops/domain/weather';
import type { Sql } from '../client';

const HOUR_MS = 3_600_000;

/**
 * Writes the simulated temperature of every hour of [fromMs, toMs) for the regions, leaving hours that
 * another source (a real feed) already holds untouched. Returns the rows written or refreshed.
 */
export async function storeSimulatedWeather(
  sql: Sql,
  params: { regions: readonly string[]; fromMs: number; toMs: number },
): Promise<number> {
  let written = 0;
  for (const region of params.regions) {
    const hours = hourlyTemperatures(region, params.fromMs, params.toMs);
    for (let offset = 0; offset < hours.length; offset += 5_000) {
      const chunk = hours.slice(offset, offset + 5_000);
      const result = await sql`
        insert into weather_observations (region, hour_start, temperature_c, source)
        select ${region}, to_timestamp(h / 1000.0), t, 'simulated'
        from unnest(${chunk.map((hour) => hour.hourStartMs)}::float8[], ${chunk.map((hour) => hour.temperatureC)}::numeric[]) as x(h, t)
        on conflict (region, hour_start) do update
          set temperature_c = excluded.temperature_c, recorded_at = now()
          where weather_observations.source = 'simulated'
            and weather_observations.temperature_c is distinct from excluded.temperature_c`;
      written += result.count;
    }
  }
  return written;
}

/** Stored temperatures of [fromMs, toMs) by region, then hour start (epoch ms). */
export async function readHourlyTemperatures(
  sql: Sql,
  params: { regions: readonly string[]; fromMs: number; toMs: number },
): Promise<Map<string, Map<number, number>>> {
  const rows = await sql<{ region: string; hourStartMs: number; temperatureC: number }[]>`
    select region, (extract(epoch from hour_start) * 1000)::float8 as "hourStartMs",
           temperature_c::float8 as "temperatureC"
    from weather_observations
    where region = any(${params.regions as string[]}::text[])
      and hour_start >= to_timestamp(${params.fromMs} / 1000.0) and hour_start < to_timestamp(${params.toMs} / 1000.0)`;
  const byRegion = new Map<string, Map<number, number>>();
  for (const row of rows) {
    let hours = byRegion.get(row.region);
    if (!hours) byRegion.set(row.region, (hours = new Map<number, number>()));
    hours.set(row.hourStartMs, row.temperatureC);
  }
  return byRegion;
}

/** The regions and segments that have active meters, with the region's time zone. */
export async function forecastSeries(
  sql: Sql,
): Promise<{ region: string; segment: 'residential' | 'commercial'; timeZone: string }[]> {
  return sql<{ region: string; segment: 'residential' | 'commercial'; timeZone: string }[]>`
    select region, segment, min(time_zone) as "timeZone"
    from meters where status = 'active'
    group by region, segment
    order by region, segment`;
}

/**
 * kWh per region, segment and UTC half hour of [fromMs, toMs), summed from the stored readings (actual,
 * estimated and edited alike). No aggregate holds region × segment by half hour: settlement_period_usage
 * is per region only and the hourly dimension rows are per segment or per region, not both.
 */
export async function readRegionSegmentHalfHours(
  sql: Sql,
  params: { fromMs: number; toMs: number },
): Promise<{ region: string; segment: string; periodStartMs: number; kwh: number }[]> {
  return sql<{ region: string; segment: string; periodStartMs: number; kwh: number }[]>`
    select m.region, m.segment::text as segment,
           (extract(epoch from date_bin('30 minutes', r.interval_start, '2000-01-01T00:00:00Z')) * 1000)::float8 as "periodStartMs",
           sum(r.kwh)::float8 as kwh
    from readings r join meters m on m.id = r.meter_id
    where r.interval_start >= to_timestamp(${params.fromMs} / 1000.0)
      and r.interval_start < to_timestamp(${params.toMs} / 1000.0)
    group by 1, 2, 3
    order by 1, 2, 3`;
}

export interface MeterDayHistory {
  meterId: string;
  region: string;
  timeZone: string;
  /** Complete local days (every expected interval present, actual, estimated or edited), ascending. */
  days: { day: string; kwh: number }[];
}

/**
 * Daily usage of active meters from `meter_usage_daily` for [from, to), complete days only: a day still
 * missing intervals would read as low usage. Meters after `afterMeterId`, at most `limit` of them.
 */
export async function readMeterDayHistory(
  sql: Sql,
  params: { from: string; to: string; afterMeterId: string | null; limit: number },
): Promise<MeterDayHistory[]> {
  const meters = await sql<{ id: string; region: string; timeZone: string }[]>`
    select id, region, time_zone as "timeZone" from meters
    where status = 'active' ${params.afterMeterId === null ? sql`` : sql`and id > ${params.afterMeterId}`}
    order by id limit ${params.limit}`;
  if (meters.length === 0) return [];
  const rows = await sql<{ meterId: string; day: string; kwh: number }[]>`
    select meter_id as "meterId", to_char(day, 'YYYY-MM-DD') as day, kwh::float8 as kwh
    from meter_usage_daily
    where meter_id = any(${meters.map((meter) => meter.id)}::text[])
      and day >= ${params.from}::date and day < ${params.to}::date
      and expected_intervals > 0
      and actual_intervals + estimated_intervals + edited_intervals >= expected_intervals
    order by meter_id, day`;
  const byMeter = new Map<string, { day: string; kwh: number }[]>();
  for (const row of rows) {
    let days = byMeter.get(row.meterId);
    if (!days) byMeter.set(row.meterId, (days = []));
    days.push({ day: row.day, kwh: row.kwh });
  }
  return meters.map((meter) => ({
    meterId: meter.id,
    region: meter.region,
    timeZone: meter.timeZone,
    days: byMeter.get(meter.id) ?? [],
  }));
}

export interface RegionForecastRow {
  region: string;
  segment: string;
  periodStartMs: number;
  horizonDays: number;
  /** kWh to 4 decimals, as stored. */
  kwh: string;
}

/** Replaces the forecasts of the given periods and lead times with these rows, in one transaction. */
export async function writeRegionForecasts(
  sql: Sql,
  params: { issueDay: string; modelVersion: string; rows: readonly RegionForecastRow[] },
): Promise<number> {
  let written = 0;
  await sql.begin(async (tx) => {
    for (let offset = 0; offset < params.rows.length; offset += 5_000) {
      const chunk = params.rows.slice(offset, offset + 5_000);
      const result = await tx`
        insert into forecasts_region_halfhour (region, segment, period_start, horizon_days, kwh, model_version, issue_day)
        select region, segment::segment, to_timestamp(p / 1000.0), h, k, ${params.modelVersion}, ${params.issueDay}::date
        from unnest(${chunk.map((row) => row.region)}::text[], ${chunk.map((row) => row.segment)}::text[],
                    ${chunk.map((row) => row.periodStartMs)}::float8[], ${chunk.map((row) => row.horizonDays)}::int[],
                    ${chunk.map((row) => row.kwh)}::numeric[]) as x(region, segment, p, h, k)
        on conflict (region, segment, period_start, horizon_days) do update
          set kwh = excluded.kwh, model_version = excluded.model_version, issue_day = excluded.issue_day,
              issued_at = now()`;
      written += result.count;
    }
  });
  return written;
}

export interface MeterForecastRow {
  meterId: string;
  day: string;
  horizonDays: number;
  kwh: string;
}

/** Upserts meter-day forecasts (the latest issue wins). */
export async function writeMeterForecasts(
  sql: Sql,
  params: { issueDay: string; modelVersion: string; rows: readonly MeterForecastRow[] },
): Promise<number> {
  let written = 0;
  for (let offset = 0; offset < params.rows.length; offset += 5_000) {
    const chunk = params.rows.slice(offset, offset + 5_000);
    const result = await sql`
      insert into forecasts_meter_day (meter_id, day, kwh, horizon_days, model_version, issue_day)
      select m, d::date, k, h, ${params.modelVersion}, ${params.issueDay}::date
      from unnest(${chunk.map((row) => row.meterId)}::text[], ${chunk.map((row) => row.day)}::text[],
                  ${chunk.map((row) => row.kwh)}::numeric[], ${chunk.map((row) => row.horizonDays)}::int[]) as x(m, d, k, h)
      on conflict (meter_id, day) do update
        set kwh = excluded.kwh, horizon_days = excluded.horizon_days, model_version = excluded.model_version,
            issue_day = excluded.issue_day, issued_at = now()`;
    written += result.count;
  }
  return written;
}

/** A region's forecast for one half hour, summed over its segments. */
export interface RegionForecastPeriod {
  region: string;
  periodStart: Date;
  kwh: string;
  horizonDays: number;
  modelVersion: string;
  issueDay: string;
}

/**
 * The forecast of each region (or one) for the 48 UTC half hours of `day` at one lead time (1 =
 * day-ahead), summed over segments; periods no run forecast at that lead time are absent.
 */
export async function regionForecastPeriods(
  sql: Sql,
  params: { day: string; region?: string; horizonDays: number },
): Promise<RegionForecastPeriod[]> {
  const fromMs = Date.parse(`${params.day}T00:00:00Z`);
  const rows = await sql<
    { region: string; periodStartMs: number; kwh: string; modelVersion: string; issueDay: string }[]
  >`
    select region, (extract(epoch from period_start) * 1000)::float8 as "periodStartMs", sum(kwh)::text as kwh,
           min(model_version) as "modelVersion", to_char(min(issue_day), 'YYYY-MM-DD') as "issueDay"
    from forecasts_region_halfhour
    where period_start >= to_timestamp(${fromMs} / 1000.0) and period_start < to_timestamp(${fromMs + 24 * HOUR_MS} / 1000.0)
      and horizon_days = ${params.horizonDays}
      ${params.region === undefined ? sql`` : sql`and region = ${params.region}`}
    group by region, period_start
    order by region, period_start`;
  return rows.map((row) => ({
    region: row.region,
    periodStart: new Date(row.periodStartMs),
    kwh: row.kwh,
    horizonDays: params.horizonDays,
    modelVersion: row.modelVersion,
    issueDay: row.issueDay,
  }));
}

/** A calendar month of one customer's meter: what was used so far and what is forecast for the rest. */
export interface MeterMonthOutlook {
  month: string;
  /** Days of the month with a daily aggregate, and their kWh (exact decimal). */
  actualDays: number;
  actualKwh: string;
  /** Days of the month after the last day with data that have a forecast, and their kWh. */
  forecastDays: number;
  forecastKwh: string;
  /** actual + forecast, kWh to 4 decimals; null when the forecast does not cover the rest of the month. */
  expectedKwh: string | null;
  daysInMonth: number;
  modelVersion: string | null;
  issueDay: string | null;
}

/**
 * "Expected this month" for a customer's meter: actual kWh of the month's days with data, plus the forecast
 * of each later day of the month. The customer id is in the WHERE: another customer's meter gives null.
 */
export async function customerMonthOutlook(
  sql: Sql,
  params: { customerId: string; meterId: string; month: string },
): Promise<MeterMonthOutlook | null> {
  const first = `${params.month}-01`;
  const next = addDays(first, 40).slice(0, 7) + '-01';
  const [row] = await sql<
    {
      owned: boolean;
      actualDays: number;
      actualKwh: string;
      lastDay: string | null;
      forecastDays: number;
      forecastKwh: string;
      modelVersion: string | null;
      issueDay: string | null;
    }[]
  >`
    with meter as (
      select id from meters where id = ${params.meterId} and customer_id = ${params.customerId}
    ), actual as (
      select count(*)::int as days, coalesce(sum(u.kwh), 0) as kwh, max(u.day) as last_day
      from meter_usage_daily u join meter on meter.id = u.meter_id
      where u.day >= ${first}::date and u.day < ${next}::date
    ), forecast as (
      select count(*)::int as days, coalesce(sum(f.kwh), 0) as kwh, min(f.model_version) as model_version,
             max(f.issue_day) as issue_day
      from forecasts_meter_day f join meter on meter.id = f.meter_id, actual
      where f.day >= greatest(${first}::date, coalesce(actual.last_day + 1, ${first}::date)) and f.day < ${next}::date
    )
    select exists (select 1 from meter) as owned, actual.days as "actualDays", actual.kwh::numeric(18, 4)::text as "actualKwh",
           to_char(actual.last_day, 'YYYY-MM-DD') as "lastDay",
           forecast.days as "forecastDays", forecast.kwh::numeric(18, 4)::text as "forecastKwh",
           forecast.model_version as "modelVersion", to_char(forecast.issue_day, 'YYYY-MM-DD') as "issueDay"
    from actual, forecast`;
  if (!row?.owned) return null;
  const daysInMonth = Math.round((Date.parse(next) - Date.parse(first)) / (24 * HOUR_MS));
  const lastDay = row.lastDay ?? addDays(first, -1);
  const remaining = Math.max(0, Math.round((Date.parse(next) - Date.parse(lastDay)) / (24 * HOUR_MS)) - 1);
  const covered = row.forecastDays >= remaining;
  return {
    month: params.month,
    actualDays: row.actualDays,
    actualKwh: row.actualKwh,
    forecastDays: row.forecastDays,
    forecastKwh: row.forecastKwh,
    expectedKwh: covered ? unitsToKwh(kwhToUnits(row.actualKwh) + kwhToUnits(row.forecastKwh)) : null,
    daysInMonth,
    modelVersion: row.modelVersion,
    issueDay: row.issueDay,
  };
}
