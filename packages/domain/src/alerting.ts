/**
 * Alerting's pure part: what each rule kind's thresholds are (zod, with the defaults shown to admins),
 * the lifecycle of one alert (pending → firing → resolved, with a clear duration against flapping),
 * silences and routing. The worker's evaluator and the portal both use it.
 */
import { z } from 'zod';

export const alertSeverities = ['info', 'warning', 'critical'] as const;
export type AlertSeverity = (typeof alertSeverities)[number];
export const alertSeveritySchema = z.enum(alertSeverities);
export const severityRank: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 };

export const consumerStatuses = ['WARN', 'STALL', 'STOP'] as const;

/** Each rule kind's thresholds. Every field has a default, so `{}` is a valid rule of the kind. */
export const alertRuleParams = {
  /** A partition whose Burrow-style status (the pipeline page's) is at least `status`. */
  consumer_status: z.object({
    status: z.enum(consumerStatuses).default('STOP'),
    windowSeconds: z.number().int().min(1).max(3600).default(300),
  }),
  /** No batch stored for longer than `maxAgeSeconds`. */
  freshness: z.object({
    maxAgeSeconds: z
      .number()
      .int()
      .min(10)
      .max(7 * 86_400)
      .default(900),
  }),
  /** A worker that reports itself paused, restarting or starting, or has stopped reporting. */
  worker_not_ready: z.object({
    silentSeconds: z.number().int().min(5).max(86_400).default(30),
  }),
  /** A region's day whose actual or estimated share of expected intervals is below target at its deadline. */
  completeness: z.object({
    targetPercent: z.number().min(0).max(100).default(99.8),
    deadline: z.enum(['D+1', 'D+5']).default('D+1'),
    lookbackDays: z.number().int().min(1).max(60).default(7),
  }),
  /** Rejects of one VEE rule in the window above `maxCount`, or `usualFactor` times the usual rate. */
  rejects: z.object({
    windowMinutes: z.number().int().min(1).max(1440).default(60),
    maxCount: z.number().int().min(1).default(500),
    usualFactor: z.number().min(1).default(10),
    /** Below this count, "far above usual" does not fire (a rule that usually rejects nothing). */
    usualMinCount: z.number().int().min(1).default(20),
    baselineDays: z.number().int().min(1).max(60).default(7),
  }),
  /** A job's latest run failed, or a running one has run `durationFactor` times its usual duration. */
  job: z.object({
    lookbackHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 30)
      .default(24),
    durationFactor: z.number().min(1).default(3),
    minRunningMinutes: z.number().int().min(1).default(10),
  }),
  /** Billing alerts not yet acknowledged. */
  billing_alert: z.object({}),
} as const;

export type AlertRuleKind = keyof typeof alertRuleParams;
export const alertRuleKinds = Object.keys(alertRuleParams) as AlertRuleKind[];
export type AlertRuleParams<K extends AlertRuleKind> = z.infer<(typeof alertRuleParams)[K]>;

export function isAlertRuleKind(kind: string): kind is AlertRuleKind {
  return Object.hasOwn(alertRuleParams, kind);
}

export function parseRuleParams<K extends AlertRuleKind>(kind: K, params: unknown): AlertRuleParams<K> {
  return alertRuleParams[kind].parse(params ?? {}) as AlertRuleParams<K>;
}

/** The part of an open alert the lifecycle reads; times in epoch ms. */
export interface OpenAlertState {
  state: 'pending' | 'firing';
  pendingSince: number;
  firedAt: number | null;
  clearingSince: number | null;
}

export interface LifecycleStep {
  /** Whether the rule's condition holds for the subject now. */
  holds: boolean;
  now: number;
  forMs: number;
  clearMs: number;
}

export type LifecycleEvent =
  /** The condition started holding; the alert waits for the rule's duration. */
  | 'pending'
  /** The alert fires: notify. */
  | 'fired'
  /** A pending alert's condition cleared before its duration: it never fired, nothing is kept. */
  | 'discarded'
  /** A firing alert's condition stayed clear for the clear duration: notify. */
  | 'resolved'
  /** No change of state (clearingSince may have changed). */
  | null;

export interface LifecycleResult {
  /** The alert after the step; null when none is open (none was, or it resolved or was discarded). */
  next: OpenAlertState | null;
  event: LifecycleEvent;
}

/**
 * One evaluation of one rule for one subject. A firing alert whose condition clears and comes back
 * within the clear duration stays the same alert: flapping sends nothing new.
 */
export function stepAlert(open: OpenAlertState | null, step: LifecycleStep): LifecycleResult {
  const { holds, now, forMs, clearMs } = step;
  if (open === null) {
    if (!holds) return { next: null, event: null };
    if (forMs <= 0)
      return {
        next: { state: 'firing', pendingSince: now, firedAt: now, clearingSince: null },
        event: 'fired',
      };
    return {
      next: { state: 'pending', pendingSince: now, firedAt: null, clearingSince: null },
      event: 'pending',
    };
  }
  if (open.state === 'pending') {
    if (!holds) return { next: null, event: 'discarded' };
    if (now - open.pendingSince >= forMs)
      return { next: { ...open, state: 'firing', firedAt: now, clearingSince: null }, event: 'fired' };
    return { next: open, event: null };
  }
  if (holds) return { next: { ...open, clearingSince: null }, event: null };
  const clearingSince = open.clearingSince ?? now;
  if (now - clearingSince >= clearMs) return { next: null, event: 'resolved' };
  return { next: { ...open, clearingSince }, event: null };
}

export interface SilenceWindow {
  id: number;
  ruleId: string | null;
  subject: string | null;
  startsAt: number;
  endsAt: number;
}

/** The silence covering an alert of `ruleId` about `subject` at `now`, if any. */
export function silenceFor(
  silences: readonly SilenceWindow[],
  alert: { ruleId: string; subject: string; now: number },
): SilenceWindow | null {
  return (
    silences.find(
      (silence) =>
        silence.startsAt <= alert.now &&
        alert.now < silence.endsAt &&
        (silence.ruleId === null || silence.ruleId === alert.ruleId) &&
        (silence.subject === null || silence.subject === alert.subject),
    ) ?? null
  );
}

export interface AlertRoute {
  enabled: boolean;
  /** Empty: every rule. */
  ruleIds: readonly string[];
  minSeverity: AlertSeverity;
  sendResolved: boolean;
}

/** Whether a channel receives an alert event of this rule and severity. */
export function routes(
  channel: AlertRoute,
  alert: { ruleId: string; severity: AlertSeverity; event: 'fired' | 'resolved' },
): boolean {
  return (
    channel.enabled &&
    (channel.ruleIds.length === 0 || channel.ruleIds.includes(alert.ruleId)) &&
    severityRank[alert.severity] >= severityRank[channel.minSeverity] &&
    (alert.event === 'fired' || channel.sendResolved)
  );
}

/** `[FIRING] Region north completeness 97.2 % < 99.8 % (D+1)` */
export function notificationSubject(event: 'fired' | 'resolved', summary: string): string {
  return `[${event === 'fired' ? 'FIRING' : 'RESOLVED'}] ${summary}`;
}

/** A percentage with one decimal, rounded down so a value below a 99.8 % target never reads 99.8 %. */
export function formatPercent(value: number): string {
  return `${(Math.floor(value * 10) / 10).toFixed(1)} %`;
}
