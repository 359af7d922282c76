import { pgTable, primaryKey } from 'drizzle-orm/pg-core';

/**
 * What each worker process last said about itself (every few seconds). A row not updated for a while
 * belongs to a worker that stopped reporting: the status and pipeline pages show it as silent.
 */
export const workerHeartbeats = pgTable('worker_heartbeats', (t) => ({
  workerId: t.text().primaryKey(),
  consumerGroup: t.text().notNull(),
  host: t.text().notNull(),
  pid: t.integer().notNull(),
  /** starting | consuming | paused | restarting | stopping */
  state: t.text().notNull(),
  /** Why ingest is paused (Postgres unreachable, consumer restarting, …); null while consuming. */
  pausedReason: t.text(),
  pausedSince: t.timestamp({ withTimezone: true }),
  partitions: t.integer().array().notNull().default([]),
  lastBatchAt: t.timestamp({ withTimezone: true }),
  /** Last time the consumer fetched from Kafka, with or without messages: a live consumer keeps it fresh. */
  lastFetchAt: t.timestamp({ withTimezone: true }),
  consumerRestarts: t.integer().notNull().default(0),
  startedAt: t.timestamp({ withTimezone: true }).notNull(),
  updatedAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
}));

/**
 * A replay of a consumer group's partitions from a past position. The counts are added by the batches
 * that re-read the window, in their own transactions, so a redelivered batch never counts twice.
 */
export const ingestReplays = pgTable('ingest_replays', (t) => ({
  id: t.bigserial({ mode: 'number' }).primaryKey(),
  consumerGroup: t.text().notNull(),
  topic: t.text().notNull(),
  requestedBy: t.text().notNull(),
  requestedAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
  /** As asked: an ISO instant or an offset. */
  fromSpec: t.text().notNull(),
  /** running | done */
  status: t.text().notNull().default('running'),
  finishedAt: t.timestamp({ withTimezone: true }),
  records: t.bigint({ mode: 'number' }).notNull().default(0),
  inserted: t.bigint({ mode: 'number' }).notNull().default(0),
  revised: t.bigint({ mode: 'number' }).notNull().default(0),
  duplicates: t.bigint({ mode: 'number' }).notNull().default(0),
  rejected: t.bigint({ mode: 'number' }).notNull().default(0),
}));

/** The window of one partition a replay re-reads: [fromOffset, toOffset). */
export const ingestReplayPartitions = pgTable(
  'ingest_replay_partitions',
  (t) => ({
    replayId: t
      .bigint({ mode: 'number' })
      .notNull()
      .references(() => ingestReplays.id),
    partition: t.integer().notNull(),
    fromOffset: t.bigint({ mode: 'number' }).notNull(),
    toOffset: t.bigint({ mode: 'number' }).notNull(),
  }),
  (table) => [
    primaryKey({ name: 'ingest_replay_partitions_pkey', columns: [table.replayId, table.partition] }),
  ],
);
