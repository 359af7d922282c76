import { sql } from 'drizzle-orm';
import { check, index, pgEnum, pgTable, primaryKey, unique } from 'drizzle-orm/pg-core';
import { meters } from './meters';
import { readingQuality } from './readings';

/** A market participant (retailer) that meters are registered to. */
export const suppliers = pgTable('suppliers', (t) => ({
  id: t.text().primaryKey(),
  name: t.text().notNull(),
  createdAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
  /** When the supplier left the market; its history stays, no meter can be switched to it. */
  deactivatedAt: t.timestamp({ withTimezone: true }),
}));

/**
 * Which supplier a meter belongs to over time, bitemporal so that a settlement run can be reproduced. The
 * migration adds an exclusion constraint: the unretracted rows of a meter never overlap. Append-only:
 * a switch retracts the rows it replaces (a trigger lets only `retractedAt` be set, once).
 */
export const meterSuppliers = pgTable(
  'meter_suppliers',
  (t) => ({
    id: t.bigserial({ mode: 'number' }).primaryKey(),
    meterId: t
      .text()
      .notNull()
      .references(() => meters.id),
    supplierId: t
      .text()
      .notNull()
      .references(() => suppliers.id),
    /** First local settlement day the meter belongs to the supplier. */
    validFrom: t.date({ mode: 'string' }).notNull(),
    /** First local day it no longer does (exclusive); null while open-ended. */
    validTo: t.date({ mode: 'string' }),
    /** When the registry learnt this row; a run as of T sees rows recorded by T and not retracted by T. */
    recordedAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
    recordedBy: t.text().notNull(),
    /** When a later registration replaced this row. */
    retractedAt: t.timestamp({ withTimezone: true }),
  }),
  (table) => [
    index('meter_suppliers_meter_idx').on(table.meterId, table.validFrom),
    check(
      'meter_suppliers_range_check',
      sql`${table.validTo} is null or ${table.validTo} > ${table.validFrom}`,
    ),
  ],
);

export const settlementRunType = pgEnum('settlement_run_type', ['initial', 'r1', 'r2', 'rf']);

/** Days after the settlement day each run type is due; the admin edits it. */
export const settlementTimetable = pgTable('settlement_timetable', (t) => ({
  runType: settlementRunType().primaryKey(),
  daysAfter: t.smallint().notNull(),
  updatedBy: t.text().notNull(),
  updatedAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
}));

/**
 * One settlement run of one local day of one region (grid supply point). Immutable (triggers refuse
 * UPDATE, DELETE, TRUNCATE); a repeat of a run type is a new version. Balanced by construction: the
 * supplier total equals the region's metered total, checked before the row is written and by a CHECK.
 */
export const settlementRuns = pgTable(
  'settlement_runs',
  (t) => ({
    id: t.bigserial({ mode: 'number' }).primaryKey(),
    /** The market's local settlement day. */
    day: t.date({ mode: 'string' }).notNull(),
    region: t.text().notNull(),
    runType: settlementRunType().notNull(),
    /** 1, 2, … per (day, region, run type). */
    version: t.integer().notNull(),
    /** The readings, revisions and supplier registrations the run used are those known at this instant. */
    asOf: t.timestamp({ withTimezone: true }).notNull(),
    timeZone: t.text().notNull(),
    dayStart: t.timestamp({ withTimezone: true }).notNull(),
    dayEnd: t.timestamp({ withTimezone: true }).notNull(),
    /** 48, or 46 / 50 on clock-change days. */
    periods: t.smallint().notNull(),
    meters: t.integer().notNull(),
    suppliers: t.integer().notNull(),
    readings: t.integer().notNull(),
    estimatedReadings: t.integer().notNull(),
    kwh: t.numeric({ precision: 18, scale: 4 }).notNull(),
    estimatedKwh: t.numeric({ precision: 18, scale: 4 }).notNull(),
    /** The region's metered total, computed without the supplier registrations. */
    regionKwh: t.numeric({ precision: 18, scale: 4 }).notNull(),
    regionReadings: t.integer().notNull(),
    /** The latest run of the day and region before this one; its differences are in settlement_run_differences. */
    previousRunId: t.bigint({ mode: 'number' }),
    /** Version of the settlement code that computed the run (SETTLEMENT_CODE_VERSION). */
    codeVersion: t.text().notNull(),
    jobRunId: t.uuid(),
    createdBy: t.text().notNull(),
    createdAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
    durationMs: t.integer().notNull(),
  }),
  (table) => [
    unique('settlement_runs_version_key').on(table.day, table.region, table.runType, table.version),
    index('settlement_runs_day_region_idx').on(table.day, table.region, table.createdAt),
    index('settlement_runs_created_idx').on(table.createdAt),
  ],
);

/** Energy per supplier and half-hour period of a run. */
export const settlementRunPeriods = pgTable(
  'settlement_run_periods',
  (t) => ({
    runId: t.bigint({ mode: 'number' }).notNull(),
    supplierId: t.text().notNull(),
    /** 1 … periods, by elapsed time from the local day's start. */
    period: t.smallint().notNull(),
    periodStart: t.timestamp({ withTimezone: true }).notNull(),
    kwh: t.numeric({ precision: 18, scale: 4 }).notNull(),
    /** The part of kwh from readings of quality estimated. */
    estimatedKwh: t.numeric({ precision: 18, scale: 4 }).notNull(),
    readings: t.integer().notNull(),
    estimatedReadings: t.integer().notNull(),
  }),
  (table) => [
    primaryKey({
      name: 'settlement_run_periods_pkey',
      columns: [table.runId, table.supplierId, table.period],
    }),
  ],
);

/** A reconciliation run's changes from the previous run, per supplier and period (only those that moved). */
export const settlementRunDifferences = pgTable(
  'settlement_run_differences',
  (t) => ({
    runId: t.bigint({ mode: 'number' }).notNull(),
    supplierId: t.text().notNull(),
    period: t.smallint().notNull(),
    kwhBefore: t.numeric({ precision: 18, scale: 4 }).notNull(),
    kwhAfter: t.numeric({ precision: 18, scale: 4 }).notNull(),
    kwhDelta: t.numeric({ precision: 18, scale: 4 }).notNull(),
  }),
  (table) => [
    primaryKey({
      name: 'settlement_run_differences_pkey',
      columns: [table.runId, table.supplierId, table.period],
    }),
  ],
);

/** The readings whose value (or supplier) differs between a run's as-of instant and its previous run's. */
export const settlementRunCauses = pgTable(
  'settlement_run_causes',
  (t) => ({
    id: t.bigserial({ mode: 'number' }).primaryKey(),
    runId: t.bigint({ mode: 'number' }).notNull(),
    meterId: t.text().notNull(),
    intervalStart: t.timestamp({ withTimezone: true }).notNull(),
    period: t.smallint().notNull(),
    supplierBefore: t.text(),
    supplierAfter: t.text(),
    kwhBefore: t.numeric({ precision: 14, scale: 4 }),
    kwhAfter: t.numeric({ precision: 14, scale: 4 }),
    qualityBefore: readingQuality(),
    qualityAfter: readingQuality(),
    /** late_data, new_estimate, estimate_replaced, estimate_recomputed, correction, meter_resend, supplier_change. */
    cause: t.text().notNull(),
    /** reading_revisions rows between the two as-of instants. */
    revisionIds: t
      .bigint({ mode: 'number' })
      .array()
      .notNull()
      .default(sql`'{}'::bigint[]`),
  }),
  (table) => [index('settlement_run_causes_run_idx').on(table.runId, table.period)],
);
