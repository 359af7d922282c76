/**
 * The worker's alerting: every rule evaluated on a timer (and on demand, `evaluateAlerts`, which the tests
 * call), and the e-mail outbox sent on another timer (`sendAlertEmails`), so a slow SMTP server never
 * holds up evaluation. Any number of workers may run this: each rule's step takes an advisory lock and
 * each outbox row is claimed before it is sent.
 */
import { isAlertRuleKind, notificationSubject } from '@meterops/domain/alerting';
import {
  applyObservations,
  claimDueNotifications,
  listAlertRules,
  markNotificationFailed,
  markNotificationSent,
  type AlertTransition,
  type DueNotification,
} from '@meterops/db/queries/alerting';
import type { Sql } from '@meterops/db/client';
import type { Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import { observeRule, type AlertSources } from './rules';

export interface RuleOutcome {
  ruleId: string;
  /** Null when another process held the rule this round. */
  transitions: AlertTransition[] | null;
  /** Why the rule could not be observed (InfluxDB down, …); its alerts are left as they were. */
  error?: string;
}

/** Evaluates every enabled rule (or those of `ruleIds`) once, at `now`. */
export async function evaluateAlerts(
  sources: AlertSources,
  options: { now?: Date; ruleIds?: readonly string[]; log?: Logger } = {},
): Promise<RuleOutcome[]> {
  const now = options.now ?? new Date();
  const rules = (await listAlertRules(sources.sql)).filter(
    (rule) => rule.enabled && (options.ruleIds === undefined || options.ruleIds.includes(rule.id)),
  );
  const outcomes: RuleOutcome[] = [];
  for (const rule of rules) {
    if (!isAlertRuleKind(rule.kind)) {
      outcomes.push({ ruleId: rule.id, transitions: [], error: `unknown rule kind ${rule.kind}` });
      continue;
    }
    try {
      // A rule that cannot be observed changes nothing: missing data must not resolve its alerts.
      const observations = await observeRule(sources, { kind: rule.kind, params: rule.params }, now);
      const transitions = await applyObservations(sources.sql, { rule, observations, now });
      for (const transition of transitions ?? []) {
        options.log?.info({ rule: rule.id, ...transition }, `alert ${transition.event}`);
      }
      outcomes.push({ ruleId: rule.id, transitions });
    } catch (error) {
      options.log?.warn({ err: error, rule: rule.id }, 'alert rule not evaluated');
      outcomes.push({
        ruleId: rule.id,
        transitions: null,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return outcomes;
}

export interface EmailSettings {
  transport: Transporter;
  from: string;
  /** The portal's address; links in the mail are made absolute with it. */
  publicBaseUrl: string;
  /** Attempts before a notification is given up (status failed). */
  maxAttempts?: number;
}

/** Subject and text of one alert e-mail. */
export function alertEmail(notification: DueNotification, publicBaseUrl: string) {
  const { alert } = notification;
  const base = publicBaseUrl.replace(/\/+$/, '');
  const link = `${base}${alert.link}`;
  const lines = [
    alert.summary,
    '',
    `Rule:      ${alert.ruleName} (${alert.ruleId}), severity ${alert.severity}`,
    `Subject:   ${alert.subject}`,
    `Fired at:  ${alert.firedAt?.toISOString() ?? '-'}`,
    ...(notification.event === 'resolved' ? [`Resolved:  ${alert.resolvedAt?.toISOString() ?? '-'}`] : []),
    ...(alert.value === null
      ? []
      : [`Value:     ${alert.value}${alert.threshold === null ? '' : ` (threshold ${alert.threshold})`}`]),
    '',
    `See the problem: ${link}`,
    `The alert:       ${base}/ops/alerts?alert=${alert.id}`,
  ];
  return { subject: notificationSubject(notification.event, alert.summary), text: lines.join('\n'), link };
}

/** Sends what is due in the outbox; a failed send is retried with a growing delay. Returns the count sent. */
export async function sendAlertEmails(sql: Sql, settings: EmailSettings, log?: Logger): Promise<number> {
  const due = await claimDueNotifications(sql, { limit: 20, leaseSeconds: 120 });
  let sent = 0;
  for (const notification of due) {
    const { subject, text } = alertEmail(notification, settings.publicBaseUrl);
    try {
      await settings.transport.sendMail({ from: settings.from, to: notification.emailTo, subject, text });
      await markNotificationSent(sql, { id: notification.id });
      sent += 1;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log?.warn(
        { err: message, notification: notification.id, attempts: notification.attempts },
        'alert e-mail not sent; retrying later',
      );
      await markNotificationFailed(sql, {
        id: notification.id,
        error: message,
        // 30 s, 1 min, 2 min, … at most an hour.
        retryInSeconds: Math.min(3600, 30 * 2 ** (notification.attempts - 1)),
        maxAttempts: settings.maxAttempts ?? 12,
      });
    }
  }
  return sent;
}

/** The two timers. Runs never overlap with themselves; a failing run is logged and tried again next tick. */
export class AlertService {
  private timers: NodeJS.Timeout[] = [];
  private running = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(
    private readonly options: {
      sources: AlertSources;
      log: Logger;
      evaluateIntervalMs: number;
      emailIntervalMs: number;
      /** Null when no SMTP server is configured: e-mail waits in the outbox. */
      email: EmailSettings | null;
    },
  ) {}

  start(): void {
    const { sources, log } = this.options;
    this.every(this.options.evaluateIntervalMs, () => evaluateAlerts(sources, { log }));
    const email = this.options.email;
    if (email) this.every(this.options.emailIntervalMs, () => sendAlertEmails(sources.sql, email, log));
    else log.warn('SMTP_HOST not set: alert e-mail stays in the outbox until an SMTP server is configured');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    await Promise.allSettled([...this.running]);
    await this.options.sources.consumer?.lag.stop().catch(() => undefined);
  }

  private every(ms: number, task: () => Promise<unknown>): void {
    let busy = false;
    const tick = () => {
      if (busy || this.stopped) return;
      busy = true;
      const run = task()
        .catch((error: unknown) => this.options.log.warn({ err: error }, 'alerting run failed'))
        .finally(() => {
          busy = false;
          this.running.delete(run);
        });
      this.running.add(run);
    };
    this.timers.push(setInterval(tick, ms));
  }
}
