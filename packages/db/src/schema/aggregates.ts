import { index, integer, numeric, pgEnum, pgTable, primaryKey, timestamp } from 'drizzle-orm/pg-core';

export const aggregateStatus = pgEnum('aggregate_status', ['provisional', 'final']);
export const usageDimension = pgEnum('usage_dimension', ['region', 'segment', 'tariff']);

/**
 * Interval counts shared by every aggregate. expected is what the meters should have sent; actual,
 * estimated and edited split what is there by quality. Missing = expected - actual - estimated - edited.
 */
const counts = () => ({
  kwh: numeric({ precision: 18, scale: 4 }).notNull().default('0'),
  expectedIntervals: integer().notNull().default(0),
  actualIntervals: integer().notNull().default(0),
  estimatedIntervals: integer().notNull().default(0),
  editedIntervals: integer().notNull().default(0),
  status: aggregateStatus().notNull().default('provisional'),
  /** When this row's numbers were last computed, by the speed layer or the batch. */
  computedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

/** Per meter and UTC hour. */
export const meterUsageHourly = pgTable(
  'meter_usage_hourly',
  (t) => ({
    meterId: t.text().notNull(),
    hourStart: t.timestamp({ withTimezone: true }).notNull(),
    ...counts(),
  }),
  (table) => [primaryKey({ name: 'meter_usage_hourly_pkey', columns: [table.meterId, table.hourStart] })],
);

/** Per meter and local calendar day of the meter's time zone. */
export const meterUsageDaily = pgTable(
  'meter_usage_daily',
  (t) => ({
    meterId: t.text().notNull(),
    day: t.date({ mode: 'string' }).notNull(),
    ...counts(),
    /** Readings of the day carrying soft flags that await review. */
    flaggedIntervals: t.integer().notNull().default(0),
    /** Incremented each time the batch layer (re)finalizes the day. */
    finalVersion: t.integer().notNull().default(0),
    finalizedAt: t.timestamp({ withTimezone: true }),
    /**
     * Actual intervals whose meter value had first arrived by the end of the next day (D+1). Counted by
     * the speed layer as values arrive (and taken back by an edit), recounted from the readings by the
     * batch layer (finalize, reprocess, gap estimation); null on rows the speed layer wrote before it
     * kept the count, until the batch layer has been through them.
     */
    actualByD1Intervals: t.integer('actual_by_d1_intervals'),
    /** As actualByD1Intervals, by the end of the fifth day after (D+5). */
    actualByD5Intervals: t.integer('actual_by_d5_intervals'),
  }),
  (table) => [
    primaryKey({ name: 'meter_usage_daily_pkey', columns: [table.meterId, table.day] }),
    index('meter_usage_daily_day_idx').on(table.day),
  ],
);

/** Per day and region, segment or tariff; day is each meter's local day. */
export const dimensionUsageDaily = pgTable(
  'dimension_usage_daily',
  (t) => ({
    day: t.date({ mode: 'string' }).notNull(),
    dimension: usageDimension().notNull(),
    key: t.text().notNull(),
    ...counts(),
  }),
  (table) => [
    primaryKey({ name: 'dimension_usage_daily_pkey', columns: [table.day, table.dimension, table.key] }),
  ],
);

/**
 * Per UTC hour and region, segment or tariff: the sum of the key's meters' hourly rows, so hours by
 * dimension read a few rows per hour instead of every meter's. Final when every meter of the key has
 * finalized each local day the hour belongs to.
 */
export const dimensionUsageHourly = pgTable(
  'dimension_usage_hourly',
  (t) => ({
    hourStart: t.timestamp({ withTimezone: true }).notNull(),
    dimension: usageDimension().notNull(),
    key: t.text().notNull(),
    ...counts(),
  }),
  (table) => [
    primaryKey({
      name: 'dimension_usage_hourly_pkey',
      columns: [table.hourStart, table.dimension, table.key],
    }),
  ],
);

/** Half-hourly settlement periods per region, periods aligned to UTC half hours. */
export const settlementPeriodUsage = pgTable(
  'settlement_period_usage',
  (t) => ({
    region: t.text().notNull(),
    periodStart: t.timestamp({ withTimezone: true }).notNull(),
    ...counts(),
  }),
  (table) => [
    primaryKey({ name: 'settlement_period_usage_pkey', columns: [table.region, table.periodStart] }),
    index('settlement_period_usage_period_idx').on(table.periodStart),
  ],
);

/**
 * (meter, day) keys whose final numbers are stale because a reading of that day changed after it was
 * finalized. The reprocess job recomputes exactly these keys, not whole time ranges.
 */
export const reprocessQueue = pgTable(
  'reprocess_queue',
  (t) => ({
    meterId: t.text().notNull(),
    day: t.date({ mode: 'string' }).notNull(),
    reason: t.text().notNull(),
    requestedAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
  }),
  (table) => [primaryKey({ name: 'reprocess_queue_pkey', columns: [table.meterId, table.day] })],
);
