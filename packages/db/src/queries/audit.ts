/**
 * The staff audit trail: what staff did in the portal (and from the command line), who, to what, when and
 * from where. The one writer of staff_audit; the table refuses UPDATE, DELETE and TRUNCATE itself.
 */
import { and, desc, eq, gte, ilike, lt, type SQL } from 'drizzle-orm';
import type { Db, DbTransaction } from '../client';
import { staffAudit } from '../schema/index';

export const staffActions = [
  'user.created',
  'user.role_changed',
  'user.disabled',
  'user.enabled',
  'user.password_reset',
  'user.password_changed',
  'billing_alert.acknowledged',
  'job.started',
  'job.cancel_requested',
  'alert.acknowledged',
  'alert_silence.created',
  'alert_silence.ended',
  'alert_rule.updated',
  'alert_channel.saved',
  'alert_channel.deleted',
  'webhook.created',
  'webhook.updated',
  'webhook.enabled',
  'webhook.disabled',
  'webhook.secret_rotated',
  'webhook.redelivered',
  'webhook.test_sent',
  'api_key.created',
  'api_key.revoked',
] as const;
export type StaffAction = (typeof staffActions)[number];

export const staffAuditTargets = [
  'user',
  'billing_alert',
  'job_run',
  'alert',
  'alert_silence',
  'alert_rule',
  'alert_channel',
  'webhook_endpoint',
  'api_key',
] as const;
export type StaffAuditTarget = (typeof staffAuditTargets)[number];

/** Who did it: a signed-in staff user (with the request's client address), or a command-line user. */
export interface StaffActor {
  userId: string | null;
  /** The user's email, or `cli:<os user>`. */
  label: string;
  clientAddress: string | null;
}

export interface StaffActionEntry {
  actor: StaffActor;
  action: StaffAction;
  targetType: StaffAuditTarget;
  targetId: string | null;
  /** Old and new values, arguments; never a password, hash or token. */
  details?: Record<string, unknown>;
}

/**
 * Appends one record. Pass the transaction of the change itself where there is one, so that the change
 * and its record commit together or not at all.
 */
export async function recordStaffAction(db: Db | DbTransaction, entry: StaffActionEntry): Promise<number> {
  const [row] = await db
    .insert(staffAudit)
    .values({
      actorId: entry.actor.userId,
      actor: entry.actor.label,
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId,
      details: entry.details ?? {},
      clientAddress: entry.actor.clientAddress,
    })
    .returning({ id: staffAudit.id });
  if (row === undefined) throw new Error('insert into staff_audit returned no row');
  return row.id;
}

export interface StaffAuditRecord {
  id: number;
  at: Date;
  actorId: string | null;
  actor: string;
  action: string;
  targetType: string;
  targetId: string | null;
  details: Record<string, unknown>;
  clientAddress: string | null;
}

/** Newest first, filtered; `beforeId` pages back through older records. */
export async function listStaffAudit(
  db: Db,
  params: {
    action?: StaffAction;
    /** Part of the actor's email (or `cli:` name), any case. */
    actor?: string;
    targetType?: StaffAuditTarget;
    targetId?: string;
    /** Inclusive lower and exclusive upper bound on the time. */
    from?: Date;
    to?: Date;
    beforeId?: number;
    limit: number;
  },
): Promise<StaffAuditRecord[]> {
  const conditions: (SQL | undefined)[] = [
    params.action === undefined ? undefined : eq(staffAudit.action, params.action),
    params.actor === undefined
      ? undefined
      : ilike(staffAudit.actor, `%${params.actor.replace(/[\\%_]/g, (char) => `\\${char}`)}%`),
    params.targetType === undefined ? undefined : eq(staffAudit.targetType, params.targetType),
    params.targetId === undefined ? undefined : eq(staffAudit.targetId, params.targetId),
    params.from === undefined ? undefined : gte(staffAudit.at, params.from),
    params.to === undefined ? undefined : lt(staffAudit.at, params.to),
    params.beforeId === undefined ? undefined : lt(staffAudit.id, params.beforeId),
  ];
  return db
    .select()
    .from(staffAudit)
    .where(and(...conditions))
    .orderBy(desc(staffAudit.id))
    .limit(params.limit);
}
