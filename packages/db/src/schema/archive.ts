import { sql } from 'drizzle-orm';
import { check, pgTable } from 'drizzle-orm/pg-core';

/**
 * Months of readings written to the Parquet archive (@meterops/archive). While `droppedAt` is set the
 * month's partition and revisions are gone from Postgres and raw-reading reads answer from the archive;
 * a restore clears `droppedAt` and stamps `restoredAt`.
 */
export const archivedMonths = pgTable(
  'archived_months',
  (t) => ({
    /** First day of the UTC calendar month (a readings partition). */
    month: t.date().primaryKey(),
    rowCount: t.bigint({ mode: 'number' }).notNull(),
    /** Exact kWh over the month's readings, as written to the manifest. */
    kwhSum: t.numeric({ precision: 24, scale: 4 }).notNull(),
    /** reading_revisions rows of the month's intervals, archived beside the readings. */
    revisionCount: t.bigint({ mode: 'number' }).notNull(),
    /** Storage key of the month's manifest.json (files, row counts, kWh per meter, sha256 checksums). */
    manifestLocation: t.text().notNull(),
    archivedAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
    /**
     * When the files were last read back and matched, with Postgres, against the manifest. The revision
     * trigger lets the month's revisions be deleted only when this is newer than `restoredAt`.
     */
    verifiedAt: t.timestamp({ withTimezone: true }),
    droppedAt: t.timestamp({ withTimezone: true }),
    restoredAt: t.timestamp({ withTimezone: true }),
    /** When the archive retention deleted the month's files; its aggregates stay in Postgres. */
    purgedAt: t.timestamp({ withTimezone: true }),
  }),
  (table) => [check('archived_months_first_day', sql`extract(day from ${table.month}) = 1`)],
);
