import { check, index, pgTable, primaryKey } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { segment } from './meters';

/**
 * Hourly air temperature per region: what the forecaster regresses on. A real weather feed writes
 * observations and forecasts here; while the simulator is the only source, the forecast job fills it from
 * the simulated series (`@meterops/domain/weather`) and never overwrites another source's rows.
 */
export const weatherObservations = pgTable(
  'weather_observations',
  (t) => ({
    region: t.text().notNull(),
    hourStart: t.timestamp({ withTimezone: true }).notNull(),
    temperatureC: t.numeric({ precision: 4, scale: 1 }).notNull(),
    /** 'simulated', or the feed's name ('observed', 'forecast:<provider>'). */
    source: t.text().notNull(),
    recordedAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
  }),
  (table) => [
    primaryKey({ name: 'weather_observations_pkey', columns: [table.region, table.hourStart] }),
    check('weather_observations_hour_check', sql`extract(epoch from ${table.hourStart}) % 3600 = 0`),
  ],
);

/**
 * Half-hourly consumption forecast per region and segment, one row per period and lead time: a run
 * issued on day D writes D+1 … D+7 with horizonDays 1 … 7 (1 = day-ahead, 7 = week-ahead).
 */
export const forecastsRegionHalfhour = pgTable(
  'forecasts_region_halfhour',
  (t) => ({
    region: t.text().notNull(),
    segment: segment().notNull(),
    periodStart: t.timestamp({ withTimezone: true }).notNull(),
    /** Days from the issue day to the period's local day. */
    horizonDays: t.integer().notNull(),
    kwh: t.numeric({ precision: 18, scale: 4 }).notNull(),
    /** The forecaster that made the number (`forecastModelVersion`). */
    modelVersion: t.text().notNull(),
    /** The day the forecast was issued; it used history up to the day before. */
    issueDay: t.date({ mode: 'string' }).notNull(),
    issuedAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
  }),
  (table) => [
    primaryKey({
      name: 'forecasts_region_halfhour_pkey',
      columns: [table.region, table.segment, table.periodStart, table.horizonDays],
    }),
    index('forecasts_region_halfhour_period_idx').on(table.periodStart),
    check('forecasts_region_halfhour_horizon_check', sql`${table.horizonDays} between 1 and 14`),
    check('forecasts_region_halfhour_kwh_check', sql`${table.kwh} >= 0`),
  ],
);

/** Daily usage forecast per meter and local day; the latest issue replaces earlier ones. */
export const forecastsMeterDay = pgTable(
  'forecasts_meter_day',
  (t) => ({
    meterId: t.text().notNull(),
    day: t.date({ mode: 'string' }).notNull(),
    kwh: t.numeric({ precision: 18, scale: 4 }).notNull(),
    /** day − issueDay; 0 is the issue day itself. */
    horizonDays: t.integer().notNull(),
    modelVersion: t.text().notNull(),
    issueDay: t.date({ mode: 'string' }).notNull(),
    issuedAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
  }),
  (table) => [
    primaryKey({ name: 'forecasts_meter_day_pkey', columns: [table.meterId, table.day] }),
    check('forecasts_meter_day_horizon_check', sql`${table.horizonDays} between 0 and 62`),
    check('forecasts_meter_day_kwh_check', sql`${table.kwh} >= 0`),
  ],
);
