import { sql } from 'drizzle-orm';
import { check, index, pgEnum, pgTable } from 'drizzle-orm/pg-core';
import { customers, meters } from './meters';

/**
 * Overrides of the VEE and estimation parameters (`defaultVeeParams`, `defaultEstimationParams` in
 * @meterops/domain). A parameter without a row takes its default; loadVeeSettings validates the result.
 */
export const veeSettings = pgTable('vee_settings', (t) => ({
  /** A key of VeeParams or EstimationParams, e.g. 'spikeRatio', 'maxInterpolationMinutes'. */
  name: t.text().primaryKey(),
  value: t.doublePrecision().notNull(),
  updatedBy: t.text().notNull(),
  updatedAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
}));

/** A billing period of a customer: of one meter, or of all the customer's meters when meterId is null. */
export const billingPeriods = pgTable(
  'billing_periods',
  (t) => ({
    id: t.bigserial({ mode: 'number' }).primaryKey(),
    customerId: t
      .text()
      .notNull()
      .references(() => customers.id),
    /** The meter billed; null for a customer-level period that covers every meter of the customer. */
    meterId: t.text().references(() => meters.id),
    /** First local day of the period. */
    periodStart: t.date({ mode: 'string' }).notNull(),
    /** Last local day of the period, inclusive. */
    periodEnd: t.date({ mode: 'string' }).notNull(),
    /** When the period was invoiced; null while it is open. A change to an invoiced period raises an alert. */
    invoicedAt: t.timestamp({ withTimezone: true }),
    /** The kWh the invoice charged. */
    invoicedKwh: t.numeric({ precision: 18, scale: 4 }),
    /** When an open period was withdrawn; an invoiced period cannot be cancelled (the check below). */
    cancelledAt: t.timestamp({ withTimezone: true }),
    createdAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
  }),
  (table) => [
    index('billing_periods_customer_idx').on(table.customerId, table.periodStart),
    index('billing_periods_meter_idx').on(table.meterId, table.periodStart),
    check('billing_periods_range_check', sql`${table.periodEnd} >= ${table.periodStart}`),
    check(
      'billing_periods_cancel_open_check',
      sql`${table.cancelledAt} is null or ${table.invoicedAt} is null`,
    ),
  ],
);

export const billingAlertCause = pgEnum('billing_alert_cause', ['late_data', 'correction']);

/**
 * A final (or corrected) daily kWh that changed inside an invoiced billing period: the invoice may be
 * wrong. Raised by reprocessing and by corrections; billing acknowledges it.
 */
export const billingAlerts = pgTable(
  'billing_alerts',
  (t) => ({
    id: t.bigserial({ mode: 'number' }).primaryKey(),
    meterId: t.text().notNull(),
    /** The meter's local day whose kWh changed. */
    day: t.date({ mode: 'string' }).notNull(),
    billingPeriodId: t
      .bigint({ mode: 'number' })
      .notNull()
      .references(() => billingPeriods.id),
    kwhBefore: t.numeric({ precision: 18, scale: 4 }).notNull(),
    kwhAfter: t.numeric({ precision: 18, scale: 4 }).notNull(),
    kwhDelta: t.numeric({ precision: 18, scale: 4 }).notNull(),
    cause: billingAlertCause().notNull(),
    /** reading_revisions rows of the day behind the change (changed values). */
    revisionIds: t
      .bigint({ mode: 'number' })
      .array()
      .notNull()
      .default(sql`'{}'::bigint[]`),
    /** Interval starts of readings of the day that first arrived after it was finalized (new values). */
    intervalStarts: t
      .timestamp({ withTimezone: true })
      .array()
      .notNull()
      .default(sql`'{}'::timestamptz[]`),
    /** The job run that recomputed the day, when a job did. */
    jobRunId: t.uuid(),
    /** Who or what made the change: an agent's user id, or 'job:reprocess-queue'. */
    raisedBy: t.text().notNull(),
    createdAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
    acknowledgedBy: t.text(),
    acknowledgedAt: t.timestamp({ withTimezone: true }),
  }),
  (table) => [
    index('billing_alerts_open_idx').on(table.acknowledgedAt, table.createdAt),
    index('billing_alerts_meter_day_idx').on(table.meterId, table.day),
    index('billing_alerts_period_idx').on(table.billingPeriodId),
  ],
);
