import { customType, index, pgTable } from 'drizzle-orm/pg-core';
import { customers } from './meters';

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

/**
 * Keys of the REST API (/api/v1). Written only through queries/api-keys.ts. A key is
 * `mo_<prefix>_<secret>`; the prefix finds the row, the SHA-256 of the whole key proves it.
 */
export const apiKeys = pgTable('api_keys', (t) => ({
  id: t.uuid().primaryKey().defaultRandom(),
  name: t.text().notNull(),
  /** Public part of the key (12 base32 characters), unique; shown in the portal to tell keys apart. */
  prefix: t.text().notNull().unique('api_keys_prefix_unique'),
  /** SHA-256 of the whole key; the key itself is shown once, at creation, and never stored. */
  secretHash: bytea().notNull(),
  /** `usage:read`, `readings:read`, `readings:write`, `registry:read`, `registry:write`, `metrics:read`,
   * `webhooks:read`, `webhooks:write`, `settlement:read`. */
  scopes: t.text().array().notNull(),
  /** When set, the key reaches only this customer's meters, readings and usage (as the customer portal). */
  customerId: t.text().references(() => customers.id),
  rateLimitPerMinute: t.integer().notNull().default(600),
  createdAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
  /** The creator as people read it: an email, or `cli:<os user>`. */
  createdBy: t.text().notNull(),
  createdById: t.uuid(),
  expiresAt: t.timestamp({ withTimezone: true }),
  revokedAt: t.timestamp({ withTimezone: true }),
  revokedBy: t.text(),
  /** Last authenticated request, recorded at most about once a minute per key and server process. */
  lastUsedAt: t.timestamp({ withTimezone: true }),
}));

/** One POST /api/v1/readings: where the message went in Kafka, to find its outcome by. Never updated. */
export const apiReadingSubmissions = pgTable(
  'api_reading_submissions',
  (t) => ({
    id: t.uuid().primaryKey().defaultRandom(),
    apiKeyId: t
      .uuid()
      .notNull()
      .references(() => apiKeys.id),
    meterId: t.text().notNull(),
    /** The items' interval starts in the order sent (item index = array index); null where unparseable. */
    intervalStarts: t.timestamp({ withTimezone: true }).array().notNull(),
    topic: t.text().notNull(),
    partition: t.integer().notNull(),
    kafkaOffset: t.bigint({ mode: 'number' }).notNull(),
    submittedAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
  }),
  (table) => [index('api_reading_submissions_key_idx').on(table.apiKeyId, table.submittedAt)],
);
