/**
 * Filters of the staff audit page, shared by the procedure and the page. Safe for client components: the
 * db package is imported for types only, and the label records below must name every action and target
 * it defines, so the lists cannot drift apart.
 */
import { z } from 'zod';
import type { StaffAction, StaffAuditTarget } from '@meterops/db/queries/audit';
import { daySchema } from './ops-params';

export const AUDIT_PAGE_SIZE = 50;

export const staffActionLabels: Record<StaffAction, string> = {
  'user.created': 'User created',
  'user.role_changed': 'Role changed',
  'user.disabled': 'User disabled',
  'user.enabled': 'User enabled',
  'user.password_reset': 'Password reset',
  'user.password_changed': 'Password changed',
  'billing_alert.acknowledged': 'Billing alert acknowledged',
  'job.started': 'Job started',
  'job.cancel_requested': 'Job cancellation requested',
  'alert.acknowledged': 'Alert acknowledged',
  'alert_silence.created': 'Alerts silenced',
  'alert_silence.ended': 'Silence ended',
  'alert_rule.updated': 'Alert rule changed',
  'alert_channel.saved': 'Alert channel saved',
  'alert_channel.deleted': 'Alert channel deleted',
  'webhook.created': 'Webhook created',
  'webhook.updated': 'Webhook changed',
  'webhook.enabled': 'Webhook enabled',
  'webhook.disabled': 'Webhook disabled',
  'webhook.secret_rotated': 'Webhook secret rotated',
  'webhook.redelivered': 'Webhook delivery sent again',
  'webhook.test_sent': 'Webhook test event sent',
  'api_key.created': 'API key created',
  'api_key.revoked': 'API key revoked',
};

export const auditTargetLabels: Record<StaffAuditTarget, string> = {
  user: 'User',
  billing_alert: 'Billing alert',
  job_run: 'Job run',
  alert: 'Alert',
  alert_silence: 'Alert silence',
  alert_rule: 'Alert rule',
  alert_channel: 'Alert channel',
  webhook_endpoint: 'Webhook',
  api_key: 'API key',
};

const actionSchema = z.enum(Object.keys(staffActionLabels) as [StaffAction, ...StaffAction[]]);
const targetSchema = z.enum(Object.keys(auditTargetLabels) as [StaffAuditTarget, ...StaffAuditTarget[]]);

export const auditFilterSchema = z
  .object({
    action: actionSchema.optional(),
    actor: z.string().trim().min(1).max(320).optional(),
    targetType: targetSchema.optional(),
    targetId: z.string().trim().min(1).max(200).optional(),
    /** UTC days, both inclusive. */
    from: daySchema.optional(),
    to: daySchema.optional(),
    beforeId: z.number().int().min(1).optional(),
  })
  .refine(({ from, to }) => from === undefined || to === undefined || from <= to, {
    message: 'The range must not end before it starts',
    path: ['to'],
  });

export type AuditFilter = z.infer<typeof auditFilterSchema>;
