import { sql } from 'drizzle-orm';
import { index, pgEnum, pgTable } from 'drizzle-orm/pg-core';

export const webhookDeliveryStatus = pgEnum('webhook_delivery_status', [
  'pending',
  'delivering',
  'succeeded',
  'failed',
]);

/**
 * A receiver of outbound events and what it subscribes to (migration 0012, docs/webhooks.md). Written
 * only through queries/webhooks.ts.
 */
export const webhookEndpoints = pgTable('webhook_endpoints', (t) => ({
  id: t.uuid().primaryKey().defaultRandom(),
  /** https (http only where WEBHOOKS_ALLOW_HTTP is set); never a link-local or metadata address. */
  url: t.text().notNull(),
  description: t.text().notNull().default(''),
  /** Event types it receives (`EventType`); empty for an endpoint only alert routing delivers to. */
  eventTypes: t
    .text()
    .array()
    .notNull()
    .default(sql`'{}'`),
  /** Meter-scoped events reach it only for meters in these regions; empty: any region. */
  filterRegions: t
    .text()
    .array()
    .notNull()
    .default(sql`'{}'`),
  /** … and of these segments; empty: any segment. */
  filterSegments: t
    .text()
    .array()
    .notNull()
    .default(sql`'{}'`),
  /** … and with these ids; empty: any meter. */
  filterMeterIds: t
    .text()
    .array()
    .notNull()
    .default(sql`'{}'`),
  /** `whsec_<base64>`: stored so the worker can sign; shown to people once. */
  secret: t.text().notNull(),
  /** The secret before the last rotation; it signs too until previousSecretExpiresAt. */
  previousSecret: t.text(),
  previousSecretExpiresAt: t.timestamp({ withTimezone: true }),
  enabled: t.boolean().notNull().default(true),
  createdBy: t.text().notNull(),
  createdAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
}));

/** Every event published, written in the transaction of its cause; id is the event's sequence number. */
export const outboundEvents = pgTable(
  'outbound_events',
  (t) => ({
    id: t.bigserial({ mode: 'number' }).primaryKey(),
    type: t.text().notNull(),
    data: t.jsonb().$type<Record<string, unknown>>().notNull(),
    /** When the cause happened (the body's `timestamp`). */
    occurredAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
    createdAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
  }),
  (table) => [index('outbound_events_type_idx').on(table.type, table.id)],
);

/** One event to one endpoint, sent by the worker's dispatcher. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  (t) => ({
    id: t.bigserial({ mode: 'number' }).primaryKey(),
    endpointId: t
      .uuid()
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    eventId: t
      .bigint({ mode: 'number' })
      .notNull()
      .references(() => outboundEvents.id, { onDelete: 'cascade' }),
    /** The event's data as this endpoint receives it (narrowed to the meters of its filter). */
    payload: t.jsonb().$type<Record<string, unknown>>().notNull(),
    status: webhookDeliveryStatus().notNull().default('pending'),
    /** Attempts of this row so far; the retry schedule is indexed by it. */
    attempts: t.integer().notNull().default(0),
    nextAttemptAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
    /** While 'delivering': when a dispatcher that died mid-send loses its claim. */
    leaseUntil: t.timestamp({ withTimezone: true }),
    lastAttemptAt: t.timestamp({ withTimezone: true }),
    lastStatusCode: t.integer(),
    lastError: t.text(),
    /** The delivery this one sends again (manual redelivery). */
    redeliveryOf: t.bigint({ mode: 'number' }),
    /** Who asked for a manual redelivery or a test event. */
    requestedBy: t.text(),
    createdAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
    completedAt: t.timestamp({ withTimezone: true }),
  }),
  (table) => [
    index('webhook_deliveries_open_idx')
      .on(table.endpointId, table.id)
      .where(sql`${table.status} in ('pending', 'delivering')`),
    index('webhook_deliveries_endpoint_idx').on(table.endpointId, table.id),
    index('webhook_deliveries_event_idx').on(table.eventId),
  ],
);

/** Every attempt of a delivery: the delivery log. Appended by the worker only. */
export const webhookAttempts = pgTable(
  'webhook_attempts',
  (t) => ({
    id: t.bigserial({ mode: 'number' }).primaryKey(),
    deliveryId: t
      .bigint({ mode: 'number' })
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
    attempt: t.integer().notNull(),
    startedAt: t.timestamp({ withTimezone: true }).notNull(),
    durationMs: t.integer().notNull(),
    /** Null when no response came (timeout, refused connection, refused address). */
    statusCode: t.integer(),
    error: t.text(),
    /** The first 2 KiB of the response body. */
    responseBody: t.text(),
    /** WORKER_ID of the process that sent it. */
    worker: t.text().notNull(),
  }),
  (table) => [index('webhook_attempts_delivery_idx').on(table.deliveryId, table.id)],
);
