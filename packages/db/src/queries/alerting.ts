/**
 * Alerting's tables: rules, alerts (open and past), silences, channels and the e-mail outbox. The one
 * writer of them. `applyObservations` is the lifecycle step of one rule's evaluation (worker); the rest
 * serves the portal and the outbox sender.
 */
import type postgres from 'postgres';
import {
  alertRuleParams,
  isAlertRuleKind,
  routes,
  silenceFor,
  stepAlert,
  type AlertSeverity,
  type OpenAlertState,
  type SilenceWindow,
} from '@meterops/domain/alerting';
import type { Sql } from '../client';
import { deliverToEndpoint } from './webhooks';

type Tx = postgres.TransactionSql<Record<string, never>>;
type SqlOrTx = Sql | Tx;

export interface AlertRule {
  id: string;
  kind: string;
  name: string;
  enabled: boolean;
  severity: AlertSeverity;
  forSeconds: number;
  clearSeconds: number;
  params: Record<string, unknown>;
  updatedAt: Date;
  updatedBy: string | null;
}

const ruleColumns = (sql: SqlOrTx) => sql`
  id, kind, name, enabled, severity, for_seconds as "forSeconds", clear_seconds as "clearSeconds", params,
  updated_at as "updatedAt", updated_by as "updatedBy"`;

export async function listAlertRules(sql: SqlOrTx): Promise<AlertRule[]> {
  return sql<AlertRule[]>`select ${ruleColumns(sql)} from alert_rules order by kind, id`;
}

export interface AlertRuleChange {
  id: string;
  enabled: boolean;
  severity: AlertSeverity;
  forSeconds: number;
  clearSeconds: number;
  params: Record<string, unknown>;
  actor: string;
}

/** Saves a rule's settings (params validated by its kind's schema); returns the rule before and after. */
export async function updateAlertRule(
  sql: SqlOrTx,
  change: AlertRuleChange,
): Promise<{ before: AlertRule; after: AlertRule } | null> {
  const [before] = await sql<
    AlertRule[]
  >`select ${ruleColumns(sql)} from alert_rules where id = ${change.id} for update`;
  if (before === undefined) return null;
  if (!isAlertRuleKind(before.kind))
    throw new Error(`alert rule ${before.id} has an unknown kind ${before.kind}`);
  const params = alertRuleParams[before.kind].parse(change.params) as Record<string, unknown>;
  const [after] = await sql<AlertRule[]>`
    update alert_rules set enabled = ${change.enabled}, severity = ${change.severity},
      for_seconds = ${change.forSeconds}, clear_seconds = ${change.clearSeconds},
      params = ${sql.json(params as postgres.JSONValue)}, updated_at = now(), updated_by = ${change.actor}
    where id = ${change.id}
    returning ${ruleColumns(sql)}`;
  if (after === undefined) return null;
  return { before, after };
}

/** What a rule's evaluator saw for one subject. */
export interface AlertObservation {
  subject: string;
  holds: boolean;
  /** One line, e.g. `Region north completeness 97.2 % < 99.8 % (D+1)`. */
  summary: string;
  value: number | null;
  threshold: number | null;
  /** Portal path showing the problem at that time. */
  link: string;
  details?: Record<string, unknown>;
}

export interface AlertTransition {
  alertId: number;
  subject: string;
  event: 'fired' | 'resolved';
  silencedBy: number | null;
  /** Outbox rows written (one per e-mail channel routed to). */
  notifications: number;
}

interface OpenAlertRow {
  id: number;
  subject: string;
  state: 'pending' | 'firing';
  pendingSince: Date;
  firedAt: Date | null;
  clearingSince: Date | null;
  silencedBy: number | null;
}

/**
 * One evaluation of one rule: each observed subject (and each open alert the evaluator no longer sees,
 * which counts as clear) takes a lifecycle step. In one transaction holding the rule's advisory lock, so
 * two workers evaluating at once take turns; the unique index on open alerts backs that up. Fired and
 * resolved alerts that no silence covers get an outbox row per routed e-mail channel in the same
 * transaction. Returns null when another process holds the rule (it evaluates this round).
 */
export async function applyObservations(
  sql: Sql,
  params: { rule: AlertRule; observations: readonly AlertObservation[]; now: Date },
): Promise<AlertTransition[] | null> {
  const { rule, now } = params;
  const result = await sql.begin(async (tx): Promise<AlertTransition[] | null> => {
    const [lock] = await tx<{ locked: boolean }[]>`
      select pg_try_advisory_xact_lock(hashtext('meterops.alerting'), hashtext(${rule.id})) as locked`;
    if (!lock?.locked) return null;
    const open = await tx<OpenAlertRow[]>`
      select id::int as id, subject, state, pending_since as "pendingSince", fired_at as "firedAt",
             clearing_since as "clearingSince", silenced_by::int as "silencedBy"
      from alerts where rule_id = ${rule.id} and state <> 'resolved'`;
    const openBySubject = new Map(open.map((row) => [row.subject, row]));
    const observed = new Map(params.observations.map((observation) => [observation.subject, observation]));
    const silences = await activeSilences(tx, now);
    const transitions: AlertTransition[] = [];
    const subjects = new Set([...observed.keys(), ...openBySubject.keys()]);
    for (const subject of subjects) {
      const observation = observed.get(subject);
      const row = openBySubject.get(subject);
      const state: OpenAlertState | null = row
        ? {
            state: row.state,
            pendingSince: row.pendingSince.getTime(),
            firedAt: row.firedAt?.getTime() ?? null,
            clearingSince: row.clearingSince?.getTime() ?? null,
          }
        : null;
      const { next, event } = stepAlert(state, {
        holds: observation?.holds ?? false,
        now: now.getTime(),
        forMs: rule.forSeconds * 1000,
        clearMs: rule.clearSeconds * 1000,
      });
      const at = (ms: number | null) => (ms === null ? null : new Date(ms));
      if (event === 'discarded' && row) {
        await tx`delete from alerts where id = ${row.id}`;
        continue;
      }
      if (event === 'resolved' && row) {
        await tx`
          update alerts set state = 'resolved', resolved_at = ${now}, evaluated_at = ${now},
            clearing_since = coalesce(clearing_since, ${now})
          where id = ${row.id}`;
        transitions.push(
          await notify(tx, {
            rule,
            alertId: row.id,
            subject,
            event,
            now,
            silences,
            silencedBy: row.silencedBy,
          }),
        );
        continue;
      }
      if (next === null) continue;
      // The figure shown is the latest one while the condition holds; once it clears, the one that fired stays.
      const shown = observation?.holds ? observation : undefined;
      let alertId: number;
      if (row) {
        alertId = row.id;
        await tx`
          update alerts set state = ${next.state}, fired_at = ${at(next.firedAt)},
            clearing_since = ${at(next.clearingSince)}, evaluated_at = ${now}
            ${
              shown
                ? tx`, summary = ${shown.summary}, value = ${shown.value}, threshold = ${shown.threshold},
                         link = ${shown.link}, details = ${tx.json((shown.details ?? {}) as postgres.JSONValue)}`
                : tx``
            }
          where id = ${row.id}`;
      } else {
        if (!observation) continue;
        const [inserted] = await tx<{ id: number }[]>`
          insert into alerts (rule_id, subject, state, severity, summary, value, threshold, link, details,
            pending_since, fired_at, evaluated_at)
          values (${rule.id}, ${subject}, ${next.state}, ${rule.severity}, ${observation.summary},
            ${observation.value}, ${observation.threshold}, ${observation.link},
            ${tx.json((observation.details ?? {}) as postgres.JSONValue)}, ${at(next.pendingSince)},
            ${at(next.firedAt)}, ${now})
          returning id::int as id`;
        if (inserted === undefined) throw new Error('insert into alerts returned no row');
        alertId = inserted.id;
      }
      if (event === 'fired') {
        const silence = silenceFor(silences, { ruleId: rule.id, subject, now: now.getTime() });
        await tx`update alerts set severity = ${rule.severity}, silenced_by = ${silence?.id ?? null} where id = ${alertId}`;
        transitions.push(
          await notify(tx, { rule, alertId, subject, event, now, silences, silencedBy: silence?.id ?? null }),
        );
      }
    }
    return transitions;
  });
  return result;
}

async function activeSilences(sql: SqlOrTx, now: Date): Promise<SilenceWindow[]> {
  const rows = await sql<
    { id: number; ruleId: string | null; subject: string | null; startsAt: Date; endsAt: Date }[]
  >`
    select id::int as id, rule_id as "ruleId", subject, starts_at as "startsAt", ends_at as "endsAt"
    from alert_silences where starts_at <= ${now} and ends_at > ${now}`;
  return rows.map((row) => ({ ...row, startsAt: row.startsAt.getTime(), endsAt: row.endsAt.getTime() }));
}

/**
 * Queues the event for every channel routed to, unless a silence covers the alert now (or covered it when
 * it fired: a resolution of an alert nobody was told about is not sent either).
 */
async function notify(
  tx: Tx,
  params: {
    rule: AlertRule;
    alertId: number;
    subject: string;
    event: 'fired' | 'resolved';
    now: Date;
    silences: readonly SilenceWindow[];
    silencedBy: number | null;
  },
): Promise<AlertTransition> {
  const { rule, alertId, subject, event } = params;
  const silence = silenceFor(params.silences, { ruleId: rule.id, subject, now: params.now.getTime() });
  const silencedBy = silence?.id ?? params.silencedBy;
  const transition = { alertId, subject, event, silencedBy, notifications: 0 };
  if (silencedBy !== null) return transition;
  const channels = await listAlertChannels(tx);
  const routed = channels.filter((channel) =>
    routes(channel, { ruleId: rule.id, severity: rule.severity, event }),
  );
  const webhooks = routed.filter(
    (channel) => channel.kind === 'webhook' && channel.webhookEndpointId !== null,
  );
  if (webhooks.length > 0) {
    // Signed, retried and logged by the platform's webhook deliveries (queries/webhooks.ts), queued in
    // this transaction like the e-mail.
    const alert = await getAlert(tx, { id: alertId });
    if (alert === null) throw new Error(`alert ${alertId} vanished in its own transaction`);
    const data = {
      alertId: String(alert.id),
      rule: alert.ruleId,
      ruleName: alert.ruleName,
      severity: alert.severity,
      subject: alert.subject,
      summary: alert.summary,
      value: alert.value,
      threshold: alert.threshold,
      firedAt: (alert.firedAt ?? params.now).toISOString(),
      link: alert.link,
    };
    for (const channel of webhooks) {
      const queued = await deliverToEndpoint(
        tx,
        channel.webhookEndpointId ?? '',
        event === 'fired'
          ? { type: 'alert.fired', data }
          : {
              type: 'alert.resolved',
              data: { ...data, resolvedAt: (alert.resolvedAt ?? params.now).toISOString() },
            },
      );
      // A disabled endpoint receives nothing; the channel stays configured.
      if (queued !== null) transition.notifications += 1;
    }
  }
  for (const channel of routed.filter((candidate) => candidate.kind === 'email')) {
    await tx`
      insert into alert_notifications (alert_id, channel_id, event)
      values (${alertId}, ${channel.id}, ${event})
      on conflict on constraint alert_notifications_once do nothing`;
    transition.notifications += 1;
  }
  return transition;
}

export interface AlertChannel {
  id: number;
  name: string;
  kind: 'email' | 'webhook';
  enabled: boolean;
  emailTo: string[];
  webhookEndpointId: string | null;
  ruleIds: string[];
  minSeverity: AlertSeverity;
  sendResolved: boolean;
  updatedAt: Date;
}

const channelColumns = (sql: SqlOrTx) => sql`
  id::int as id, name, kind, enabled, email_to as "emailTo", webhook_endpoint_id as "webhookEndpointId",
  rule_ids as "ruleIds", min_severity as "minSeverity", send_resolved as "sendResolved", updated_at as "updatedAt"`;

export async function listAlertChannels(sql: SqlOrTx): Promise<AlertChannel[]> {
  return sql<AlertChannel[]>`select ${channelColumns(sql)} from alert_channels order by name`;
}

export type AlertChannelInput = Omit<AlertChannel, 'id' | 'updatedAt'>;

/** Creates a channel, or replaces the one with `id`. Null when `id` names no channel. */
export async function saveAlertChannel(
  sql: SqlOrTx,
  params: AlertChannelInput & { id?: number },
): Promise<AlertChannel | null> {
  const values = {
    name: params.name,
    kind: params.kind,
    enabled: params.enabled,
    email_to: params.kind === 'email' ? params.emailTo : [],
    webhook_endpoint_id: params.kind === 'webhook' ? params.webhookEndpointId : null,
    rule_ids: params.ruleIds,
    min_severity: params.minSeverity,
    send_resolved: params.sendResolved,
  };
  const [row] =
    params.id === undefined
      ? await sql<AlertChannel[]>`
          insert into alert_channels ${sql(values)} returning ${channelColumns(sql)}`
      : await sql<AlertChannel[]>`
          update alert_channels set ${sql(values)}, updated_at = now() where id = ${params.id}
          returning ${channelColumns(sql)}`;
  return row ?? null;
}

export async function deleteAlertChannel(sql: SqlOrTx, params: { id: number }): Promise<AlertChannel | null> {
  const [row] = await sql<
    AlertChannel[]
  >`delete from alert_channels where id = ${params.id} returning ${channelColumns(sql)}`;
  return row ?? null;
}

export interface AlertRow {
  id: number;
  ruleId: string;
  ruleName: string;
  subject: string;
  state: 'pending' | 'firing' | 'resolved';
  severity: AlertSeverity;
  summary: string;
  value: number | null;
  threshold: number | null;
  link: string;
  details: Record<string, unknown>;
  pendingSince: Date;
  firedAt: Date | null;
  clearingSince: Date | null;
  resolvedAt: Date | null;
  evaluatedAt: Date;
  silencedBy: number | null;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  acknowledgeNote: string | null;
}

const alertColumns = (sql: SqlOrTx) => sql`
  a.id::int as id, a.rule_id as "ruleId", r.name as "ruleName", a.subject, a.state, a.severity, a.summary, a.value,
  a.threshold, a.link, a.details, a.pending_since as "pendingSince", a.fired_at as "firedAt",
  a.clearing_since as "clearingSince", a.resolved_at as "resolvedAt", a.evaluated_at as "evaluatedAt",
  a.silenced_by::int as "silencedBy", a.acknowledged_at as "acknowledgedAt", a.acknowledged_by as "acknowledgedBy",
  a.acknowledge_note as "acknowledgeNote"`;

export const alertViews = ['firing', 'acknowledged', 'resolved', 'all'] as const;
export type AlertView = (typeof alertViews)[number];

export interface AlertFilter {
  view: AlertView;
  ruleId?: string;
  /** Substring of the subject, case-insensitive. */
  subject?: string;
  /** Alerts that fired in [from, to). */
  from?: Date;
  to?: Date;
  limit?: number;
}

/**
 * Alerts that fired (pending ones are not shown), newest first. `firing` are open and not acknowledged,
 * `acknowledged` open and acknowledged, `resolved` the history.
 */
export async function listAlerts(sql: SqlOrTx, filter: AlertFilter): Promise<AlertRow[]> {
  const view = {
    firing: sql`and a.state = 'firing' and a.acknowledged_at is null`,
    acknowledged: sql`and a.state = 'firing' and a.acknowledged_at is not null`,
    resolved: sql`and a.state = 'resolved'`,
    all: sql``,
  }[filter.view];
  return sql<AlertRow[]>`
    select ${alertColumns(sql)} from alerts a join alert_rules r on r.id = a.rule_id
    where a.fired_at is not null ${view}
      ${filter.ruleId === undefined ? sql`` : sql`and a.rule_id = ${filter.ruleId}`}
      ${filter.subject === undefined ? sql`` : sql`and a.subject ilike ${`%${filter.subject.replace(/[\\%_]/g, '\\$&')}%`}`}
      ${filter.from === undefined ? sql`` : sql`and a.fired_at >= ${filter.from}`}
      ${filter.to === undefined ? sql`` : sql`and a.fired_at < ${filter.to}`}
    order by a.fired_at desc, a.id desc
    limit ${Math.min(filter.limit ?? 200, 1000)}`;
}

export async function getAlert(sql: SqlOrTx, params: { id: number }): Promise<AlertRow | null> {
  const [row] = await sql<AlertRow[]>`
    select ${alertColumns(sql)} from alerts a join alert_rules r on r.id = a.rule_id where a.id = ${params.id}`;
  return row ?? null;
}

/** Firing alerts nobody has acknowledged yet, and all firing ones: the navigation's count. */
export async function countFiringAlerts(sql: SqlOrTx): Promise<{ firing: number; unacknowledged: number }> {
  const [row] = await sql<{ firing: number; unacknowledged: number }[]>`
    select count(*)::int as firing, count(*) filter (where acknowledged_at is null)::int as unacknowledged
    from alerts where state = 'firing'`;
  return row ?? { firing: 0, unacknowledged: 0 };
}

/** Records who looked at a firing alert. The first acknowledgement stands; null when there is no firing alert. */
export async function acknowledgeAlert(
  sql: SqlOrTx,
  params: { id: number; actor: string; note: string },
): Promise<AlertRow | null> {
  const [row] = await sql<{ id: number }[]>`
    update alerts set acknowledged_at = now(), acknowledged_by = ${params.actor}, acknowledge_note = ${params.note}
    where id = ${params.id} and state = 'firing' and acknowledged_at is null
    returning id::int as id`;
  return row ? getAlert(sql, { id: row.id }) : null;
}

export interface AlertSilence {
  id: number;
  ruleId: string | null;
  subject: string | null;
  startsAt: Date;
  endsAt: Date;
  reason: string;
  createdBy: string;
  createdAt: Date;
}

const silenceColumns = (sql: SqlOrTx) => sql`
  id::int as id, rule_id as "ruleId", subject, starts_at as "startsAt", ends_at as "endsAt", reason,
  created_by as "createdBy", created_at as "createdAt"`;

export async function createSilence(
  sql: SqlOrTx,
  params: {
    ruleId: string | null;
    subject: string | null;
    startsAt: Date;
    endsAt: Date;
    reason: string;
    actor: string;
  },
): Promise<AlertSilence> {
  const [row] = await sql<AlertSilence[]>`
    insert into alert_silences (rule_id, subject, starts_at, ends_at, reason, created_by)
    values (${params.ruleId}, ${params.subject}, ${params.startsAt}, ${params.endsAt}, ${params.reason}, ${params.actor})
    returning ${silenceColumns(sql)}`;
  if (row === undefined) throw new Error('insert into alert_silences returned no row');
  return row;
}

/** Silences in force now or later, soonest ending first. */
export async function listSilences(sql: SqlOrTx): Promise<AlertSilence[]> {
  return sql<AlertSilence[]>`
    select ${silenceColumns(sql)} from alert_silences where ends_at > now() order by ends_at limit 200`;
}

/** Ends a silence now. Null when it had already ended or does not exist. */
export async function endSilence(sql: SqlOrTx, params: { id: number }): Promise<AlertSilence | null> {
  const [row] = await sql<AlertSilence[]>`
    update alert_silences set ends_at = greatest(now(), starts_at + interval '1 millisecond')
    where id = ${params.id} and ends_at > now() returning ${silenceColumns(sql)}`;
  return row ?? null;
}

export interface DueNotification {
  id: number;
  event: 'fired' | 'resolved';
  attempts: number;
  emailTo: string[];
  alert: AlertRow;
}

/**
 * Claims up to `limit` due e-mail notifications: each is pushed `leaseSeconds` into the future and its
 * attempt counted before it is sent, so a second sender (or a crash mid-send) does not send it twice
 * at once; a crashed send is retried when the lease runs out.
 */
export async function claimDueNotifications(
  sql: Sql,
  params: { limit: number; leaseSeconds: number },
): Promise<DueNotification[]> {
  const claimed = await sql<
    { id: number; alertId: number; event: 'fired' | 'resolved'; attempts: number; emailTo: string[] }[]
  >`
    with due as (
      select n.id from alert_notifications n
      where n.status = 'pending' and n.next_attempt_at <= now()
      order by n.next_attempt_at limit ${params.limit}
      for update skip locked)
    update alert_notifications n
    set attempts = n.attempts + 1, next_attempt_at = now() + make_interval(secs => ${params.leaseSeconds})
    from due, alert_channels c
    where n.id = due.id and c.id = n.channel_id
    returning n.id::int as id, n.alert_id::int as "alertId", n.event, n.attempts, c.email_to as "emailTo"`;
  const result: DueNotification[] = [];
  for (const row of claimed) {
    const alert = await getAlert(sql, { id: row.alertId });
    if (alert)
      result.push({ id: row.id, event: row.event, attempts: row.attempts, emailTo: row.emailTo, alert });
  }
  return result;
}

export async function markNotificationSent(sql: Sql, params: { id: number }): Promise<void> {
  await sql`update alert_notifications set status = 'sent', sent_at = now(), last_error = null where id = ${params.id}`;
}

/** Schedules another attempt after `retryInSeconds`, or gives up (status failed) after `maxAttempts`. */
export async function markNotificationFailed(
  sql: Sql,
  params: { id: number; error: string; retryInSeconds: number; maxAttempts: number },
): Promise<void> {
  await sql`
    update alert_notifications
    set last_error = ${params.error.slice(0, 2000)},
        status = case when attempts >= ${params.maxAttempts} then 'failed' else 'pending' end,
        next_attempt_at = now() + make_interval(secs => ${params.retryInSeconds})
    where id = ${params.id}`;
}

export interface NotificationRow {
  id: number;
  alertId: number;
  channelName: string;
  event: string;
  status: string;
  attempts: number;
  lastError: string | null;
  sentAt: Date | null;
  createdAt: Date;
}

/** The notifications of an alert, for its detail in the portal. */
export async function listAlertNotifications(
  sql: SqlOrTx,
  params: { alertId: number },
): Promise<NotificationRow[]> {
  return sql<NotificationRow[]>`
    select n.id::int as id, n.alert_id::int as "alertId", c.name as "channelName", n.event, n.status, n.attempts,
           n.last_error as "lastError", n.sent_at as "sentAt", n.created_at as "createdAt"
    from alert_notifications n join alert_channels c on c.id = n.channel_id
    where n.alert_id = ${params.alertId} order by n.created_at, n.id`;
}
