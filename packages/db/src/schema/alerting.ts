import { sql } from 'drizzle-orm';
import { check, index, pgTable, uniqueIndex, unique } from 'drizzle-orm/pg-core';
import { webhookEndpoints } from './webhooks';

/**
 * A rule the worker evaluates (packages/db/src/queries/alerting.ts, apps/worker/src/alerting). Rows are
 * seeded by migration 0013 with their defaults; admins change thresholds, durations and severity.
 */
export const alertRules = pgTable(
  'alert_rules',
  (t) => ({
    /** A stable slug, e.g. `consumer-stop`, `completeness-d1`. */
    id: t.text().primaryKey(),
    /** Which evaluator reads the rule: consumer_status, freshness, worker_not_ready, completeness, … */
    kind: t.text().notNull(),
    name: t.text().notNull(),
    enabled: t.boolean().notNull().default(true),
    /** info | warning | critical; channels route by it. */
    severity: t.text().notNull(),
    /** How long the condition must hold before the alert fires (pending until then). */
    forSeconds: t.integer().notNull(),
    /** How long the condition must stay clear before a firing alert resolves: flapping stays one alert. */
    clearSeconds: t.integer().notNull(),
    /** The kind's thresholds, validated by its zod schema in @meterops/domain/alerting. */
    params: t.jsonb().$type<Record<string, unknown>>().notNull().default({}),
    updatedAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedBy: t.text(),
  }),
  (table) => [
    check('alert_rules_severity_check', sql`${table.severity} in ('info', 'warning', 'critical')`),
    check('alert_rules_durations_check', sql`${table.forSeconds} >= 0 and ${table.clearSeconds} >= 0`),
  ],
);

/**
 * One alert of a rule about one subject (a partition, a region's day, a worker): pending while the
 * condition has not held for the rule's duration, firing, then resolved. Resolved rows are the history.
 */
export const alerts = pgTable(
  'alerts',
  (t) => ({
    id: t.bigserial({ mode: 'number' }).primaryKey(),
    ruleId: t
      .text()
      .notNull()
      .references(() => alertRules.id, { onDelete: 'cascade' }),
    /** What the alert is about, e.g. `meterops-ingest/meter.readings/3` or `north 2026-12-01`. */
    subject: t.text().notNull(),
    state: t.text().notNull(),
    severity: t.text().notNull(),
    /** The one line people read, e.g. `Region north completeness 97.2 % < 99.8 % (D+1)`; updated while open. */
    summary: t.text().notNull(),
    /** The figure the rule judged when the alert fired (then the latest while it fires). */
    value: t.doublePrecision(),
    threshold: t.doublePrecision(),
    /** Path in the portal that shows the problem at that time, e.g. `/ops/completeness?day=…`. */
    link: t.text().notNull(),
    details: t.jsonb().$type<Record<string, unknown>>().notNull().default({}),
    pendingSince: t.timestamp({ withTimezone: true }).notNull(),
    firedAt: t.timestamp({ withTimezone: true }),
    /** Since when the condition has been clear while firing; null while it holds. */
    clearingSince: t.timestamp({ withTimezone: true }),
    resolvedAt: t.timestamp({ withTimezone: true }),
    evaluatedAt: t.timestamp({ withTimezone: true }).notNull(),
    /** The silence in force when it fired: nothing was sent for it. */
    silencedBy: t.bigint({ mode: 'number' }),
    acknowledgedAt: t.timestamp({ withTimezone: true }),
    acknowledgedBy: t.text(),
    acknowledgeNote: t.text(),
  }),
  (table) => [
    uniqueIndex('alerts_open_idx')
      .on(table.ruleId, table.subject)
      .where(sql`${table.state} <> 'resolved'`),
    index('alerts_fired_idx').on(table.firedAt),
    index('alerts_rule_idx').on(table.ruleId, table.firedAt),
  ],
);

/** A window in which alerts of a rule, of a subject, or of both send nothing. */
export const alertSilences = pgTable(
  'alert_silences',
  (t) => ({
    id: t.bigserial({ mode: 'number' }).primaryKey(),
    /** Null: every rule (then `subject` is set). */
    ruleId: t.text().references(() => alertRules.id, { onDelete: 'cascade' }),
    /** Null: every subject of the rule. */
    subject: t.text(),
    startsAt: t.timestamp({ withTimezone: true }).notNull(),
    endsAt: t.timestamp({ withTimezone: true }).notNull(),
    reason: t.text().notNull(),
    createdBy: t.text().notNull(),
    createdAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
  }),
  (table) => [index('alert_silences_ends_idx').on(table.endsAt)],
);

/** Where notifications go, and which alerts each channel receives. */
export const alertChannels = pgTable('alert_channels', (t) => ({
  id: t.bigserial({ mode: 'number' }).primaryKey(),
  name: t.text().notNull().unique(),
  /** email | webhook */
  kind: t.text().notNull(),
  enabled: t.boolean().notNull().default(true),
  emailTo: t
    .text()
    .array()
    .notNull()
    .default(sql`'{}'::text[]`),
  /** The webhook endpoint (platform webhooks, webhook_endpoints) a `webhook` channel delivers to. */
  webhookEndpointId: t.uuid().references(() => webhookEndpoints.id),
  /** Rules routed to this channel; empty means every rule. */
  ruleIds: t
    .text()
    .array()
    .notNull()
    .default(sql`'{}'::text[]`),
  /** Alerts below this severity are not sent here. */
  minSeverity: t.text().notNull().default('warning'),
  sendResolved: t.boolean().notNull().default(true),
  createdAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
}));

/** The e-mail outbox: one row per alert event and channel, sent and retried apart from evaluation. */
export const alertNotifications = pgTable(
  'alert_notifications',
  (t) => ({
    id: t.bigserial({ mode: 'number' }).primaryKey(),
    alertId: t
      .bigint({ mode: 'number' })
      .notNull()
      .references(() => alerts.id, { onDelete: 'cascade' }),
    channelId: t
      .bigint({ mode: 'number' })
      .notNull()
      .references(() => alertChannels.id, { onDelete: 'cascade' }),
    /** fired | resolved */
    event: t.text().notNull(),
    /** pending | sent | failed (gave up after the last attempt) */
    status: t.text().notNull().default('pending'),
    attempts: t.integer().notNull().default(0),
    nextAttemptAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
    lastError: t.text(),
    sentAt: t.timestamp({ withTimezone: true }),
    createdAt: t.timestamp({ withTimezone: true }).notNull().defaultNow(),
  }),
  (table) => [unique('alert_notifications_once').on(table.alertId, table.channelId, table.event)],
);
