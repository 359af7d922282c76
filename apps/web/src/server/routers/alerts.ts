/**
 * Alerting in the portal: operators work the alerts (list, acknowledge, silence); admins edit the rules'
 * thresholds and the notification channels. The worker evaluates the rules (apps/worker/src/alerting).
 */
import { z } from 'zod';
import {
  alertRuleParams,
  alertSeveritySchema,
  isAlertRuleKind,
  parseRuleParams,
} from '@meterops/domain/alerting';
import {
  acknowledgeAlert,
  alertViews,
  countFiringAlerts,
  createSilence,
  deleteAlertChannel,
  endSilence,
  listAlertChannels,
  listAlertRules,
  listAlerts,
  listSilences,
  saveAlertChannel,
  updateAlertRule,
} from '@meterops/db/queries/alerting';
import { recordStaffAction } from '@meterops/db/queries/audit';
import { listWebhookEndpoints } from '@meterops/db/queries/webhooks';
import { fieldError } from '../field-error';
import { staffActor } from '../staff-actor';
import { router, withRole } from '../trpc';

const opsProcedure = withRole('operator', 'admin');
const adminProcedure = withRole('admin');

const MAX_SILENCE_MINUTES = 7 * 24 * 60;

export const alertsRouter = router({
  /** Alerts that fired, newest first: firing (not acknowledged), acknowledged, resolved, or all. */
  list: opsProcedure
    .input(
      z.object({
        view: z.enum(alertViews).default('firing'),
        ruleId: z.string().max(100).optional(),
        subject: z.string().trim().max(200).optional(),
        from: z.date().optional(),
        to: z.date().optional(),
      }),
    )
    .query(async ({ ctx, input }) => {
      const [alerts, rules] = await Promise.all([
        listAlerts(ctx.sql, {
          ...input,
          subject: input.subject === '' ? undefined : input.subject,
          limit: 200,
        }),
        listAlertRules(ctx.sql),
      ]);
      return { alerts, rules: rules.map((rule) => ({ id: rule.id, name: rule.name })) };
    }),

  /** The navigation's badge. */
  count: opsProcedure.query(({ ctx }) => countFiringAlerts(ctx.sql)),

  /** Who looked at a firing alert, with a note. `alert` is null when it is no longer firing or was acknowledged. */
  acknowledge: opsProcedure
    .input(z.object({ id: z.number().int().min(1), note: z.string().trim().max(1000).default('') }))
    .mutation(async ({ ctx, input }) => {
      const alert = await acknowledgeAlert(ctx.sql, {
        id: input.id,
        actor: ctx.user.email,
        note: input.note,
      });
      if (alert) {
        await recordStaffAction(ctx.db, {
          actor: staffActor(ctx),
          action: 'alert.acknowledged',
          targetType: 'alert',
          targetId: String(alert.id),
          details: { rule: alert.ruleId, subject: alert.subject, note: input.note },
        });
      }
      return { alert };
    }),

  silences: opsProcedure.query(({ ctx }) => listSilences(ctx.sql)),

  /** Silences a rule, a subject, or a rule's subject from now for `minutes`: alerts then send nothing. */
  silence: opsProcedure
    .input(
      z
        .object({
          ruleId: z.string().max(100).nullable(),
          subject: z.string().trim().max(200).nullable(),
          minutes: z.number().int().min(5, 'At least 5 minutes').max(MAX_SILENCE_MINUTES, 'At most 7 days'),
          reason: z.string().trim().min(3, 'Say why, in a few words').max(500),
        })
        .refine((value) => value.ruleId !== null || (value.subject ?? '') !== '', {
          message: 'Choose a rule or a subject',
          path: ['ruleId'],
        }),
    )
    .mutation(async ({ ctx, input }) => {
      const rules = await listAlertRules(ctx.sql);
      if (input.ruleId !== null && !rules.some((rule) => rule.id === input.ruleId))
        throw fieldError('ruleId', 'There is no such rule.');
      const now = new Date();
      const silence = await createSilence(ctx.sql, {
        ruleId: input.ruleId,
        subject: input.subject === '' ? null : input.subject,
        startsAt: now,
        endsAt: new Date(now.getTime() + input.minutes * 60_000),
        reason: input.reason,
        actor: ctx.user.email,
      });
      await recordStaffAction(ctx.db, {
        actor: staffActor(ctx),
        action: 'alert_silence.created',
        targetType: 'alert_silence',
        targetId: String(silence.id),
        details: {
          ruleId: silence.ruleId,
          subject: silence.subject,
          endsAt: silence.endsAt.toISOString(),
          reason: silence.reason,
        },
      });
      return silence;
    }),

  /** Ends a silence now; `ended` is false when it had already ended. */
  endSilence: opsProcedure
    .input(z.object({ id: z.number().int().min(1) }))
    .mutation(async ({ ctx, input }) => {
      const silence = await endSilence(ctx.sql, { id: input.id });
      if (silence) {
        await recordStaffAction(ctx.db, {
          actor: staffActor(ctx),
          action: 'alert_silence.ended',
          targetType: 'alert_silence',
          targetId: String(silence.id),
        });
      }
      return { ended: silence !== null };
    }),

  /** Every rule with its thresholds (defaults filled in), the channels, and the webhook endpoints to pick from. */
  config: adminProcedure.query(async ({ ctx }) => {
    const [rules, channels, endpoints] = await Promise.all([
      listAlertRules(ctx.sql),
      listAlertChannels(ctx.sql),
      listWebhookEndpoints(ctx.sql),
    ]);
    return {
      rules: rules.map((rule) => ({
        ...rule,
        params: isAlertRuleKind(rule.kind)
          ? (parseRuleParams(rule.kind, rule.params) as Record<string, unknown>)
          : rule.params,
        defaults: isAlertRuleKind(rule.kind)
          ? (alertRuleParams[rule.kind].parse({}) as Record<string, unknown>)
          : {},
      })),
      channels,
      endpoints: endpoints.map((endpoint) => ({
        id: endpoint.id,
        url: endpoint.url,
        description: endpoint.description,
        enabled: endpoint.enabled,
      })),
    };
  }),

  /** Saves a rule's settings; a threshold its kind refuses gets a message next to its field. */
  updateRule: adminProcedure
    .input(
      z.object({
        id: z.string().max(100),
        enabled: z.boolean(),
        severity: alertSeveritySchema,
        forSeconds: z.number().int().min(0, 'Zero or more seconds').max(86_400, 'At most a day'),
        clearSeconds: z.number().int().min(0, 'Zero or more seconds').max(86_400, 'At most a day'),
        params: z.record(z.string(), z.unknown()),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const rule = (await listAlertRules(ctx.sql)).find((candidate) => candidate.id === input.id);
      if (!rule || !isAlertRuleKind(rule.kind)) throw fieldError('id', 'There is no such rule.');
      const parsed = alertRuleParams[rule.kind].safeParse(input.params);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw fieldError(String(issue?.path[0] ?? 'params'), issue?.message ?? 'Not a valid value');
      }
      const saved = await updateAlertRule(ctx.sql, { ...input, params: parsed.data, actor: ctx.user.email });
      if (!saved) throw fieldError('id', 'There is no such rule.');
      await recordStaffAction(ctx.db, {
        actor: staffActor(ctx),
        action: 'alert_rule.updated',
        targetType: 'alert_rule',
        targetId: rule.id,
        details: {
          before: { ...saved.before, updatedAt: undefined },
          after: { ...saved.after, updatedAt: undefined },
        },
      });
      return saved.after;
    }),

  /** Creates a channel, or changes the one with `id`. */
  saveChannel: adminProcedure
    .input(
      z
        .object({
          id: z.number().int().min(1).optional(),
          name: z.string().trim().min(2, 'Give the channel a name').max(100),
          kind: z.enum(['email', 'webhook']),
          enabled: z.boolean(),
          emailTo: z.array(z.email({ error: 'Not an e-mail address' })).max(20),
          webhookEndpointId: z.uuid().nullable(),
          ruleIds: z.array(z.string().max(100)).max(50),
          minSeverity: alertSeveritySchema,
          sendResolved: z.boolean(),
        })
        .refine((value) => value.kind !== 'email' || value.emailTo.length > 0, {
          message: 'At least one address',
          path: ['emailTo'],
        })
        .refine((value) => value.kind !== 'webhook' || value.webhookEndpointId !== null, {
          message: 'Choose a webhook endpoint',
          path: ['webhookEndpointId'],
        }),
    )
    .mutation(async ({ ctx, input }) => {
      const existing = await listAlertChannels(ctx.sql);
      if (existing.some((channel) => channel.name === input.name && channel.id !== input.id))
        throw fieldError('name', 'Another channel has this name.');
      const saved = await saveAlertChannel(ctx.sql, input);
      if (!saved) throw fieldError('name', 'That channel no longer exists.');
      await recordStaffAction(ctx.db, {
        actor: staffActor(ctx),
        action: 'alert_channel.saved',
        targetType: 'alert_channel',
        targetId: String(saved.id),
        details: { ...input, created: input.id === undefined },
      });
      return saved;
    }),

  /** Deletes a channel (its sent notifications go with it); `deleted` is false when there was none. */
  deleteChannel: adminProcedure
    .input(z.object({ id: z.number().int().min(1) }))
    .mutation(async ({ ctx, input }) => {
      const deleted = await deleteAlertChannel(ctx.sql, { id: input.id });
      if (deleted) {
        await recordStaffAction(ctx.db, {
          actor: staffActor(ctx),
          action: 'alert_channel.deleted',
          targetType: 'alert_channel',
          targetId: String(deleted.id),
          details: { name: deleted.name, kind: deleted.kind },
        });
      }
      return { deleted: deleted !== null };
    }),
});
