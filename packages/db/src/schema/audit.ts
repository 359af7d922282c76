import { index, pgTable } from 'drizzle-orm/pg-core';

/**
 * What staff did in the portal, append-only: triggers refuse UPDATE, DELETE and TRUNCATE (migration
 * 0007), as for reading_revisions. Written only through `recordStaffAction` (queries/audit.ts).
 */
export const staffAudit = pgTable(
  'staff_audit',
  (t) => ({
    id: t.bigserial({ mode: 'number' }).primaryKey(),
    at: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
    /** The staff user; null for an action from the command line. No foreign key: the record outlives the account. */
    actorId: t.uuid(),
    /** The actor as people read it at the time: the user's email, or `cli:<os user>`. */
    actor: t.text().notNull(),
    /** `user.role_changed`, `billing_alert.acknowledged`, `job.started`, … (`StaffAction`). */
    action: t.text().notNull(),
    /** What the action was done to: `user`, `billing_alert`, `job_run`. */
    targetType: t.text().notNull(),
    targetId: t.text(),
    /** What changed: old and new values, job arguments. Never a password or token. */
    details: t.jsonb().$type<Record<string, unknown>>().notNull().default({}),
    /** The client address the request came from (as sign-in throttling resolves it); null from the CLI. */
    clientAddress: t.text(),
  }),
  (table) => [
    index('staff_audit_at_idx').on(table.at),
    index('staff_audit_actor_idx').on(table.actorId, table.at),
    index('staff_audit_target_idx').on(table.targetType, table.targetId, table.at),
  ],
);
