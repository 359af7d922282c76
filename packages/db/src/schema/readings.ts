import { sql } from 'drizzle-orm';
import { customType, index, pgEnum, pgTable, primaryKey, uniqueIndex } from 'drizzle-orm/pg-core';

/** Raw bytes (drizzle 0.45 has no bytea column of its own). */
const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

export const readingQuality = pgEnum('reading_quality', ['actual', 'estimated', 'edited']);
export const revisionSource = pgEnum('revision_source', [
  'meter_resend',
  'agent',
  'estimation',
  'reprocess',
  'review',
]);

/**
 * One row per meter and interval start. Range-partitioned by month on interval_start (the migration
 * declares the partitioning; drizzle sees a plain table), so retention drops whole partitions.
 */
export const readings = pgTable(
  'readings',
  (t) => ({
    meterId: t.text().notNull(),
    intervalStart: t.timestamp({ withTimezone: true }).notNull(),
    /** Energy in the interval, kWh with Wh/10 resolution; exact decimal so sums are exact. */
    kwh: t.numeric({ precision: 14, scale: 4 }).notNull(),
    quality: readingQuality().notNull(),
    /** How an estimated value was made ('linear_interpolation', 'like_day'); null for actual and edited. */
    estimationMethod: t.text(),
    /** Soft validation flags (spike, high_vs_history, low_vs_history, zero_on_active) awaiting review; empty when clean. */
    flags: t
      .text()
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    /** Who produced this version: 'meter', 'estimation', or an agent's user id. */
    source: t.text().notNull(),
    /** 1 for the first value; each replacement adds one and writes a reading_revisions row. */
    version: t.integer().notNull().default(1),
    receivedAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
    /** When the value was last replaced; the previous value is in reading_revisions. */
    revisedAt: t.timestamp({ withTimezone: true }),
    /**
     * When the interval's first value was stored; never changed afterwards (receivedAt moves with each new
     * version). Completeness by D+1 / D+5 is measured with it.
     */
    firstReceivedAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
  }),
  (table) => [
    primaryKey({ name: 'readings_pkey', columns: [table.meterId, table.intervalStart] }),
    // Readings arrive roughly in time order, so a block-range index finds one day of a month partition
    // for the batch layer at almost no cost to ingest.
    index('readings_interval_start_brin').using('brin', table.intervalStart),
  ],
);

/** Append-only history of every change to a reading. Triggers refuse UPDATE, DELETE and TRUNCATE. */
export const readingRevisions = pgTable(
  'reading_revisions',
  (t) => ({
    id: t.bigserial({ mode: 'number' }).primaryKey(),
    meterId: t.text().notNull(),
    intervalStart: t.timestamp({ withTimezone: true }).notNull(),
    oldKwh: t.numeric({ precision: 14, scale: 4 }),
    newKwh: t.numeric({ precision: 14, scale: 4 }).notNull(),
    oldQuality: readingQuality(),
    newQuality: readingQuality().notNull(),
    oldVersion: t.integer(),
    newVersion: t.integer().notNull(),
    source: revisionSource().notNull(),
    reason: t.text().notNull(),
    /** A user id for people, a job or process name ('ingest', 'job:finalize-day') for machines. */
    actor: t.text().notNull(),
    createdAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
  }),
  (table) => [index('reading_revisions_meter_interval_idx').on(table.meterId, table.intervalStart)],
);

/** Everything a producer sent that failed a hard rule, with where it came from. Nothing is silently lost. */
export const rejectedReadings = pgTable(
  'rejected_readings',
  (t) => ({
    id: t.bigserial({ mode: 'number' }).primaryKey(),
    topic: t.text().notNull(),
    partition: t.integer().notNull(),
    kafkaOffset: t.bigint({ mode: 'number' }).notNull(),
    /** Position of the reading inside the message; -1 when the whole message was rejected. */
    itemIndex: t.integer().notNull(),
    messageKey: t.text(),
    meterId: t.text(),
    intervalStart: t.timestamp({ withTimezone: true }),
    rule: t.text().notNull(),
    detail: t.text().notNull(),
    /**
     * What was rejected, as received: the whole message value for a message-level rule (possibly invalid
     * JSON), or `{"meterId", "reading"}` with the one item as sent for a reading-level rule. The Kafka
     * position points at the full message.
     */
    payload: t.text().notNull(),
    /**
     * The message value byte for byte when the whole message was rejected (or its reading could not be
     * shown as text): invalid UTF-8, NUL bytes and any nesting depth survive here; `payload` is for reading.
     */
    payloadBytes: bytea(),
    kafkaTimestamp: t.timestamp({ withTimezone: true }),
    receivedAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
    /** open, redriven or dismissed. */
    resolution: t.text().notNull().default('open'),
    resolvedBy: t.text(),
    resolvedAt: t.timestamp({ withTimezone: true }),
    /** The operator's reason for a dismissal or re-drive. */
    resolutionNote: t.text(),
    /** When Kafka acknowledged the dead-letter copy; null while it is still owed (the outbox). */
    deadLetteredAt: t.timestamp({ withTimezone: true }),
  }),
  (table) => [
    uniqueIndex('rejected_readings_position_idx').on(
      table.topic,
      table.partition,
      table.kafkaOffset,
      table.itemIndex,
    ),
    index('rejected_readings_rule_received_idx').on(table.rule, table.receivedAt),
    index('rejected_readings_meter_idx').on(table.meterId),
    index('rejected_readings_dead_letter_pending_idx')
      .on(table.id)
      .where(sql`${table.deadLetteredAt} is null`),
    index('rejected_readings_resolution_idx').on(table.resolution, table.rule),
  ],
);

/**
 * The next Kafka offset to apply per consumer group and partition, written in the same transaction as
 * the readings. A message below it was already applied: a redelivery after a crash between the Postgres
 * commit and the Kafka commit is skipped whole, so an older value can never overwrite a newer one.
 */
export const ingestOffsets = pgTable(
  'ingest_offsets',
  (t) => ({
    consumerGroup: t.text().notNull(),
    topic: t.text().notNull(),
    partition: t.integer().notNull(),
    nextOffset: t.bigint({ mode: 'bigint' }).notNull(),
    updatedAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
  }),
  (table) => [
    primaryKey({ name: 'ingest_offsets_pkey', columns: [table.consumerGroup, table.topic, table.partition] }),
  ],
);
