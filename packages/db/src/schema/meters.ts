import { sql } from 'drizzle-orm';
import { check, index, pgEnum, pgTable } from 'drizzle-orm/pg-core';

export const segment = pgEnum('segment', ['residential', 'commercial']);
export const meterStatus = pgEnum('meter_status', ['active', 'inactive', 'removed']);
export const tariffKind = pgEnum('tariff_kind', ['flat', 'time_of_use']);

export const customers = pgTable(
  'customers',
  (t) => ({
    id: t.text().primaryKey(),
    name: t.text().notNull(),
    email: t.text(),
    /** Region of the supply address; meters carry their own region for aggregation. */
    region: t.text().notNull(),
    segment: segment().notNull(),
    createdAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
    /** When the customer left; kept, not deleted, because meters, readings and billing refer to it. No new meter may be registered to it. */
    deactivatedAt: t.timestamp({ withTimezone: true }),
  }),
  (table) => [index('customers_region_idx').on(table.region)],
);

/** A time-of-use window: local wall-clock hours [fromHour, toHour) on the given ISO weekdays (1 = Monday). */
export interface TariffWindow {
  name: string;
  fromHour: number;
  toHour: number;
  weekdays: number[];
  pricePerKwh: number;
}

export const tariffs = pgTable('tariffs', (t) => ({
  id: t.text().primaryKey(),
  name: t.text().notNull(),
  kind: tariffKind().notNull(),
  /** Price for every kWh of a flat tariff, and for hours outside every window of a time-of-use tariff. */
  basePricePerKwh: t.numeric({ precision: 10, scale: 5, mode: 'number' }).notNull(),
  windows: t.jsonb().$type<TariffWindow[]>().notNull().default([]),
  /** When the tariff was withdrawn; meters keep referring to it, but no meter may be moved onto it. */
  deactivatedAt: t.timestamp({ withTimezone: true }),
}));

export const meters = pgTable(
  'meters',
  (t) => ({
    id: t.text().primaryKey(),
    customerId: t
      .text()
      .notNull()
      .references(() => customers.id),
    region: t.text().notNull(),
    segment: segment().notNull(),
    tariffId: t
      .text()
      .notNull()
      .references(() => tariffs.id),
    /** Length of one interval in minutes; interval starts are aligned to it in the meter's local time. */
    intervalMinutes: t.smallint().notNull(),
    /** IANA zone of the meter; its local calendar day is the day of daily usage and billing. */
    timeZone: t.text().notNull(),
    /** CT/VT ratio applied by the head-end before sending; kept for audit, values arrive already multiplied. */
    multiplier: t.numeric({ precision: 10, scale: 3, mode: 'number' }).notNull().default(1),
    /** Largest physically possible kWh in one interval (breaker rating × voltage × interval); above it a reading is rejected. */
    maxKwhPerInterval: t.numeric({ precision: 12, scale: 4, mode: 'number' }).notNull(),
    status: meterStatus().notNull().default('active'),
    installedAt: t.timestamp({ withTimezone: true }).notNull(),
    removedAt: t.timestamp({ withTimezone: true }),
  }),
  (table) => [
    index('meters_customer_idx').on(table.customerId),
    index('meters_region_segment_idx').on(table.region, table.segment),
    check('meters_interval_minutes_check', sql`${table.intervalMinutes} in (15, 30)`),
  ],
);
