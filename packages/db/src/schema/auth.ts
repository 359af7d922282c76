import { sql } from 'drizzle-orm';
import { check, index, pgEnum, pgTable } from 'drizzle-orm/pg-core';
import { customers } from './meters';

export const userRole = pgEnum('user_role', ['operator', 'agent', 'admin', 'customer']);

export const users = pgTable(
  'users',
  (t) => ({
    id: t.uuid().primaryKey().defaultRandom(),
    email: t.text().notNull().unique('users_email_key'),
    name: t.text().notNull(),
    /** Argon2id PHC string. */
    passwordHash: t.text().notNull(),
    role: userRole().notNull(),
    /** The one customer a `customer` user may see; null for staff. */
    customerId: t.text().references(() => customers.id),
    disabledAt: t.timestamp({ withTimezone: true }),
    /**
     * Set by an administrator's reset (a temporary password): until the user chooses a new password, the
     * web app sends them to the change page and refuses every other procedure.
     */
    mustChangePassword: t.boolean().notNull().default(false),
    createdAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
  }),
  (table) => [
    check(
      'users_customer_binding_check',
      sql`(${table.role} = 'customer') = (${table.customerId} is not null)`,
    ),
  ],
);

export const sessions = pgTable(
  'sessions',
  (t) => ({
    /** SHA-256 of the cookie token, hex; the token itself is never stored. */
    id: t.text().primaryKey(),
    userId: t
      .uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: t.timestamp({ withTimezone: true }).notNull(),
    createdAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
  }),
  (table) => [
    index('sessions_user_idx').on(table.userId),
    index('sessions_expires_at_idx').on(table.expiresAt),
  ],
);

/**
 * Sign-in attempts, for slowing down guessing per client address and account. Attempts the throttle
 * refused are not kept, and housekeeping deletes those older than the throttling window.
 */
export const signInAttempts = pgTable(
  'sign_in_attempts',
  (t) => ({
    id: t.bigserial({ mode: 'number' }).primaryKey(),
    email: t.text().notNull(),
    /** The client's IPv4 address, or its IPv6 /64 network (`2001:db8:1:2::/64`). */
    clientAddress: t.text().notNull(),
    succeeded: t.boolean().notNull(),
    attemptedAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
  }),
  (table) => [
    index('sign_in_attempts_email_idx').on(table.email, table.attemptedAt),
    index('sign_in_attempts_address_idx').on(table.clientAddress, table.attemptedAt),
    index('sign_in_attempts_attempted_at_idx').on(table.attemptedAt),
  ],
);
