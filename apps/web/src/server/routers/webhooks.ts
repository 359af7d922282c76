/**
 * Outbound webhooks for administrators (docs/webhooks.md): endpoints and their subscriptions, the
 * delivery log, manual redelivery and test events. The worker sends; nothing here makes an outbound call.
 * Every change goes to the staff audit.
 */
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { recordStaffAction } from '@meterops/db/queries/audit';
import {
  createWebhookEndpoint,
  getWebhookDelivery,
  getWebhookEndpoint,
  listWebhookDeliveries,
  listWebhookEndpoints,
  redeliverWebhook,
  rotateWebhookSecret,
  sendTestEvent,
  setWebhookEndpointEnabled,
  updateWebhookEndpoint,
  type WebhookEndpoint,
} from '@meterops/db/queries/webhooks';
import { eventTypes } from '@meterops/domain/events';
import { webhookUrlProblem } from '@meterops/domain/webhooks';
import {
  deliveryStatuses,
  WEBHOOK_DELIVERIES_PAGE_SIZE,
  webhookEndpointInputSchema,
} from '../../lib/webhook-params';
import { env } from '../../env';
import { fieldError } from '../field-error';
import { staffActor } from '../staff-actor';
import { router, withRole } from '../trpc';

const adminProcedure = withRole('admin');

const endpointSchema = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string(),
  eventTypes: z.array(z.enum(eventTypes)),
  filter: z.object({
    regions: z.array(z.string()),
    segments: z.array(z.string()),
    meterIds: z.array(z.string()),
  }),
  enabled: z.boolean(),
  secretHint: z.string(),
  previousSecretExpiresAt: z.date().nullable(),
  createdBy: z.string(),
  createdAt: z.date(),
  updatedAt: z.date(),
  pendingDeliveries: z.number().int(),
  failedLastDay: z.number().int(),
});

const deliverySchema = z.object({
  id: z.number().int(),
  endpointId: z.string(),
  endpointUrl: z.string(),
  eventId: z.number().int(),
  eventType: z.enum(eventTypes),
  occurredAt: z.date(),
  status: z.enum(deliveryStatuses),
  attempts: z.number().int(),
  nextAttemptAt: z.date().nullable(),
  lastAttemptAt: z.date().nullable(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  redeliveryOf: z.number().int().nullable(),
  requestedBy: z.string().nullable(),
  createdAt: z.date(),
  completedAt: z.date().nullable(),
});

const endpointId = z.object({ id: z.uuid() });

/** The URL as the endpoint will be called, or a field error saying why it may not be. */
function checkedUrl(url: string): string {
  const problem = webhookUrlProblem(url, {
    allowHttp: env.WEBHOOKS_ALLOW_HTTP,
    allowPrivateNetworks: env.WEBHOOKS_ALLOW_PRIVATE_NETWORKS,
  });
  if (problem !== null) throw fieldError('url', `The URL ${problem}.`);
  return new URL(url).toString();
}

function found(endpoint: WebhookEndpoint | null): WebhookEndpoint {
  if (endpoint === null) throw new TRPCError({ code: 'NOT_FOUND', message: 'There is no such webhook.' });
  return endpoint;
}

export const webhooksRouter = router({
  list: adminProcedure
    .input(z.object({}).default({}))
    .output(z.object({ endpoints: z.array(endpointSchema) }))
    .query(async ({ ctx }) => ({ endpoints: await listWebhookEndpoints(ctx.sql) })),

  /** Creates an endpoint; the answer holds its signing secret, which is never shown again. */
  create: adminProcedure
    .input(webhookEndpointInputSchema)
    .output(z.object({ endpoint: endpointSchema, secret: z.string() }))
    .mutation(async ({ ctx, input }) => {
      const url = checkedUrl(input.url);
      const created = await createWebhookEndpoint(ctx.sql, {
        url,
        description: input.description,
        eventTypes: input.eventTypes,
        filter: { regions: input.regions, segments: input.segments, meterIds: input.meterIds },
        createdBy: ctx.user.email,
      });
      await recordStaffAction(ctx.db, {
        actor: staffActor(ctx),
        action: 'webhook.created',
        targetType: 'webhook_endpoint',
        targetId: created.endpoint.id,
        details: { url, eventTypes: input.eventTypes, filter: created.endpoint.filter },
      });
      return created;
    }),

  update: adminProcedure
    .input(webhookEndpointInputSchema.extend(endpointId.shape))
    .output(endpointSchema)
    .mutation(async ({ ctx, input }) => {
      const before = found(await getWebhookEndpoint(ctx.sql, { id: input.id }));
      const url = checkedUrl(input.url);
      const after = found(
        await updateWebhookEndpoint(ctx.sql, {
          id: input.id,
          url,
          description: input.description,
          eventTypes: input.eventTypes,
          filter: { regions: input.regions, segments: input.segments, meterIds: input.meterIds },
        }),
      );
      await recordStaffAction(ctx.db, {
        actor: staffActor(ctx),
        action: 'webhook.updated',
        targetType: 'webhook_endpoint',
        targetId: input.id,
        details: {
          before: { url: before.url, eventTypes: before.eventTypes, filter: before.filter },
          after: { url: after.url, eventTypes: after.eventTypes, filter: after.filter },
        },
      });
      return after;
    }),

  setEnabled: adminProcedure
    .input(endpointId.extend({ enabled: z.boolean() }))
    .output(endpointSchema)
    .mutation(async ({ ctx, input }) => {
      const endpoint = found(await setWebhookEndpointEnabled(ctx.sql, input));
      await recordStaffAction(ctx.db, {
        actor: staffActor(ctx),
        action: input.enabled ? 'webhook.enabled' : 'webhook.disabled',
        targetType: 'webhook_endpoint',
        targetId: input.id,
        details: { url: endpoint.url },
      });
      return endpoint;
    }),

  /** A new secret, shown once; the old one keeps signing beside it for 24 hours. */
  rotateSecret: adminProcedure
    .input(endpointId)
    .output(z.object({ secret: z.string(), previousSecretExpiresAt: z.date() }))
    .mutation(async ({ ctx, input }) => {
      const rotated = await rotateWebhookSecret(ctx.sql, { id: input.id });
      if (rotated === null) throw new TRPCError({ code: 'NOT_FOUND', message: 'There is no such webhook.' });
      await recordStaffAction(ctx.db, {
        actor: staffActor(ctx),
        action: 'webhook.secret_rotated',
        targetType: 'webhook_endpoint',
        targetId: input.id,
        details: { previousSecretExpiresAt: rotated.previousSecretExpiresAt.toISOString() },
      });
      return rotated;
    }),

  /** The delivery log, newest first. */
  deliveries: adminProcedure
    .input(
      z.object({
        endpointId: z.uuid().optional(),
        status: z.enum(deliveryStatuses).optional(),
        beforeId: z.number().int().min(1).optional(),
      }),
    )
    .output(z.object({ limit: z.number().int(), deliveries: z.array(deliverySchema) }))
    .query(async ({ ctx, input }) => ({
      limit: WEBHOOK_DELIVERIES_PAGE_SIZE,
      deliveries: await listWebhookDeliveries(ctx.sql, { ...input, limit: WEBHOOK_DELIVERIES_PAGE_SIZE }),
    })),

  /** One delivery with its body and every attempt. */
  delivery: adminProcedure
    .input(z.object({ id: z.number().int().min(1) }))
    .output(
      deliverySchema.extend({
        payload: z.record(z.string(), z.unknown()),
        attemptLog: z.array(
          z.object({
            id: z.number().int(),
            attempt: z.number().int(),
            startedAt: z.date(),
            durationMs: z.number().int(),
            statusCode: z.number().int().nullable(),
            error: z.string().nullable(),
            responseBody: z.string().nullable(),
            worker: z.string(),
          }),
        ),
      }),
    )
    .query(async ({ ctx, input }) => {
      const delivery = await getWebhookDelivery(ctx.sql, input);
      if (delivery === null)
        throw new TRPCError({ code: 'NOT_FOUND', message: 'There is no such delivery.' });
      return delivery;
    }),

  redeliver: adminProcedure
    .input(z.object({ id: z.number().int().min(1) }))
    .output(z.object({ deliveryId: z.number().int() }))
    .mutation(async ({ ctx, input }) => {
      const queued = await redeliverWebhook(ctx.sql, { id: input.id, requestedBy: ctx.user.email });
      if (queued === null) throw new TRPCError({ code: 'NOT_FOUND', message: 'There is no such delivery.' });
      const delivery = await getWebhookDelivery(ctx.sql, { id: queued.deliveryId });
      await recordStaffAction(ctx.db, {
        actor: staffActor(ctx),
        action: 'webhook.redelivered',
        targetType: 'webhook_endpoint',
        targetId: delivery?.endpointId ?? null,
        details: { deliveryId: input.id, queuedDeliveryId: queued.deliveryId },
      });
      return queued;
    }),

  sendTest: adminProcedure
    .input(endpointId)
    .output(z.object({ eventId: z.number().int(), deliveryId: z.number().int() }))
    .mutation(async ({ ctx, input }) => {
      const queued = await sendTestEvent(ctx.sql, { endpointId: input.id, requestedBy: ctx.user.email });
      if (queued === null) {
        throw new TRPCError({
          code: 'NOT_FOUND',
          message: 'There is no such webhook, or it is disabled: enable it to send a test event.',
        });
      }
      await recordStaffAction(ctx.db, {
        actor: staffActor(ctx),
        action: 'webhook.test_sent',
        targetType: 'webhook_endpoint',
        targetId: input.id,
        details: { deliveryId: queued.deliveryId },
      });
      return queued;
    }),
});
