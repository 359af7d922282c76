/**
 * Webhook subscriptions (docs/webhooks.md) for outside systems: list, read, create (the signing secret is
 * answered once, here), change and disable an endpoint, and read its delivery log. The same query
 * functions and the same URL policy as the portal's administration (src/server/routers/webhooks.ts); a URL
 * the policy refuses is a 422 with the field path `/url`. Every change goes to the staff audit.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { recordStaffAction } from '@meterops/db/queries/audit';
import type { ApiKeyRow } from '@meterops/db/queries/api-keys';
import {
  createWebhookEndpoint,
  getWebhookEndpoint,
  listWebhookDeliveries,
  listWebhookEndpoints,
  setWebhookEndpointEnabled,
  updateWebhookEndpoint,
  type WebhookDelivery,
  type WebhookEndpoint,
} from '@meterops/db/queries/webhooks';
import { eventTypes } from '@meterops/domain/events';
import { webhookUrlProblem } from '@meterops/domain/webhooks';
import { env } from '../../../env';
import { deliveryStatuses, webhookEndpointInputSchema } from '../../../lib/webhook-params';
import { decodeCursor, encodeCursor } from '../cursor';
import { ApiProblem, type ApiApp, type ApiContext } from '../app-types';
import { bodyFieldProblem } from '../problem';
import { iso, isoOrNull, json, notModified, problems } from '../route-kit';
import { page, pageQuery } from '../schemas';

const webhookSchema = z
  .object({
    id: z.uuid(),
    url: z.string(),
    description: z.string(),
    eventTypes: z.array(z.enum(eventTypes)),
    filter: z.object({
      regions: z.array(z.string()),
      segments: z.array(z.string()),
      meterIds: z.array(z.string()),
    }),
    enabled: z.boolean(),
    secretHint: z.string().openapi({ description: 'The secret’s first characters' }),
    previousSecretExpiresAt: z.string().nullable(),
    createdBy: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    pendingDeliveries: z.number().int(),
    failedLastDay: z.number().int(),
  })
  .openapi('Webhook');

const deliverySchema = z
  .object({
    id: z.number().int(),
    eventId: z.number().int(),
    eventType: z.enum(eventTypes),
    occurredAt: z.string(),
    status: z.enum(deliveryStatuses),
    attempts: z.number().int(),
    nextAttemptAt: z.string().nullable(),
    lastAttemptAt: z.string().nullable(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    redeliveryOf: z.number().int().nullable(),
    createdAt: z.string(),
    completedAt: z.string().nullable(),
  })
  .openapi('WebhookDelivery');

/** The portal's input, copied so @hono/zod-openapi can describe it (see schemas.ts). */
const webhookInputSchema = webhookEndpointInputSchema.extend({}).openapi('WebhookInput', {
  description:
    'regions, segments and meterIds narrow meter-scoped events to those meters (empty: every meter).',
});

const idParam = z.object({ webhookId: z.uuid().openapi({ param: { name: 'webhookId', in: 'path' } }) });

const endpointOut = (endpoint: WebhookEndpoint) => ({
  ...endpoint,
  previousSecretExpiresAt: isoOrNull(endpoint.previousSecretExpiresAt),
  createdAt: iso(endpoint.createdAt),
  updatedAt: iso(endpoint.updatedAt),
});

const deliveryOut = (delivery: WebhookDelivery) => ({
  id: delivery.id,
  eventId: delivery.eventId,
  eventType: delivery.eventType,
  occurredAt: iso(delivery.occurredAt),
  status: delivery.status,
  attempts: delivery.attempts,
  nextAttemptAt: isoOrNull(delivery.nextAttemptAt),
  lastAttemptAt: isoOrNull(delivery.lastAttemptAt),
  lastStatusCode: delivery.lastStatusCode,
  lastError: delivery.lastError,
  redeliveryOf: delivery.redeliveryOf,
  createdAt: iso(delivery.createdAt),
  completedAt: isoOrNull(delivery.completedAt),
});

/** Who the staff audit names for a change made with an API key. */
const keyActor = (key: ApiKeyRow) => ({
  userId: null,
  label: `api-key:${key.prefix} (${key.name})`,
  clientAddress: null,
});

/** The URL as the endpoint will be called; a 422 at `/url` saying why it may not be. */
function checkedUrl(url: string): string {
  const refusal = webhookUrlProblem(url, {
    allowHttp: env.WEBHOOKS_ALLOW_HTTP,
    allowPrivateNetworks: env.WEBHOOKS_ALLOW_PRIVATE_NETWORKS,
  });
  if (refusal !== null) throw ApiProblem.invalid(422, [bodyFieldProblem('url', `The URL ${refusal}.`)]);
  return new URL(url).toString();
}

function found(endpoint: WebhookEndpoint | null, id: string): WebhookEndpoint {
  if (endpoint === null) throw ApiProblem.notFound(`There is no webhook ${id}.`);
  return endpoint;
}

export function registerWebhookRoutes(app: ApiApp, ctx: ApiContext): void {
  const { sql, db, requireScope } = ctx;
  const read = requireScope('webhooks:read');
  const write = requireScope('webhooks:write');

  app.openapi(
    createRoute({
      method: 'get',
      path: '/webhooks',
      tags: ['Webhooks'],
      summary: 'Webhook subscriptions, oldest first',
      middleware: [read] as const,
      request: { query: pageQuery },
      responses: {
        200: json(page(webhookSchema), 'A page of webhook endpoints'),
        ...notModified,
        ...problems(400, 401, 403, 429),
      },
    }),
    async (c) => {
      const query = c.req.valid('query');
      let after = 0;
      if (query.cursor !== undefined) {
        const decoded = decodeCursor(query.cursor);
        if (typeof decoded !== 'number')
          throw ApiProblem.invalidQuery('cursor', 'Not a cursor this API returned');
        after = decoded;
      }
      // Few endpoints exist (an administration list); the offset into the stable order is the cursor.
      const all = await listWebhookEndpoints(sql);
      const shown = all.slice(after, after + query.limit);
      const next = after + shown.length;
      return c.json(
        { data: shown.map(endpointOut), nextCursor: next < all.length ? encodeCursor(next) : null },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/webhooks/{webhookId}',
      tags: ['Webhooks'],
      summary: 'One webhook subscription',
      middleware: [read] as const,
      request: { params: idParam },
      responses: {
        200: json(webhookSchema, 'The endpoint'),
        ...notModified,
        ...problems(400, 401, 403, 404, 429),
      },
    }),
    async (c) => {
      const { webhookId } = c.req.valid('param');
      return c.json(endpointOut(found(await getWebhookEndpoint(sql, { id: webhookId }), webhookId)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/webhooks',
      tags: ['Webhooks'],
      summary: 'Subscribe an endpoint to events',
      description:
        'The answer holds the signing secret, which is never shown again (docs/webhooks.md, "Verifying a delivery"). The URL must be https and must not resolve to a private network unless the deployment allows it.',
      middleware: [write] as const,
      request: { body: { content: { 'application/json': { schema: webhookInputSchema } }, required: true } },
      responses: {
        201: json(
          z.object({ webhook: webhookSchema, secret: z.string() }).openapi('CreatedWebhook'),
          'The endpoint and its signing secret',
        ),
        ...problems(400, 401, 403, 422, 429),
      },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const url = checkedUrl(input.url);
      const key = c.get('apiKey');
      const created = await createWebhookEndpoint(sql, {
        url,
        description: input.description,
        eventTypes: input.eventTypes,
        filter: { regions: input.regions, segments: input.segments, meterIds: input.meterIds },
        createdBy: `api-key:${key.prefix}`,
      });
      await recordStaffAction(db, {
        actor: keyActor(key),
        action: 'webhook.created',
        targetType: 'webhook_endpoint',
        targetId: created.endpoint.id,
        details: { url, eventTypes: input.eventTypes, filter: created.endpoint.filter },
      });
      c.header('location', `/api/v1/webhooks/${created.endpoint.id}`);
      return c.json({ webhook: endpointOut(created.endpoint), secret: created.secret }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/webhooks/{webhookId}',
      tags: ['Webhooks'],
      summary: 'Change an endpoint’s URL, description, event types and filter',
      middleware: [write] as const,
      request: {
        params: idParam,
        body: { content: { 'application/json': { schema: webhookInputSchema } }, required: true },
      },
      responses: {
        200: json(webhookSchema, 'The endpoint as changed'),
        ...problems(400, 401, 403, 404, 422, 429),
      },
    }),
    async (c) => {
      const { webhookId } = c.req.valid('param');
      const input = c.req.valid('json');
      const url = checkedUrl(input.url);
      const updated = found(
        await updateWebhookEndpoint(sql, {
          id: webhookId,
          url,
          description: input.description,
          eventTypes: input.eventTypes,
          filter: { regions: input.regions, segments: input.segments, meterIds: input.meterIds },
        }),
        webhookId,
      );
      await recordStaffAction(db, {
        actor: keyActor(c.get('apiKey')),
        action: 'webhook.updated',
        targetType: 'webhook_endpoint',
        targetId: webhookId,
        details: { url, eventTypes: input.eventTypes, filter: updated.filter },
      });
      return c.json(endpointOut(updated), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/webhooks/{webhookId}/disable',
      tags: ['Webhooks'],
      summary: 'Disable an endpoint',
      description:
        'Nothing new is queued for it; deliveries queued before wait and go out in order if an administrator enables it again.',
      middleware: [write] as const,
      request: { params: idParam },
      responses: {
        200: json(webhookSchema, 'The endpoint, disabled'),
        ...problems(400, 401, 403, 404, 429),
      },
    }),
    async (c) => {
      const { webhookId } = c.req.valid('param');
      const disabled = found(
        await setWebhookEndpointEnabled(sql, { id: webhookId, enabled: false }),
        webhookId,
      );
      await recordStaffAction(db, {
        actor: keyActor(c.get('apiKey')),
        action: 'webhook.disabled',
        targetType: 'webhook_endpoint',
        targetId: webhookId,
      });
      return c.json(endpointOut(disabled), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/webhooks/{webhookId}/deliveries',
      tags: ['Webhooks'],
      summary: 'The delivery log of an endpoint, newest first',
      middleware: [read] as const,
      request: {
        params: idParam,
        query: pageQuery.extend({ status: z.enum(deliveryStatuses).optional() }),
      },
      responses: {
        200: json(page(deliverySchema), 'A page of deliveries'),
        ...notModified,
        ...problems(400, 401, 403, 404, 429),
      },
    }),
    async (c) => {
      const { webhookId } = c.req.valid('param');
      const query = c.req.valid('query');
      let beforeId: number | undefined;
      if (query.cursor !== undefined) {
        const decoded = decodeCursor(query.cursor);
        if (typeof decoded !== 'number')
          throw ApiProblem.invalidQuery('cursor', 'Not a cursor this API returned');
        beforeId = decoded;
      }
      found(await getWebhookEndpoint(sql, { id: webhookId }), webhookId);
      const rows = await listWebhookDeliveries(sql, {
        endpointId: webhookId,
        status: query.status,
        beforeId,
        limit: query.limit + 1,
      });
      const shown = rows.slice(0, query.limit);
      const last = shown.at(-1);
      return c.json(
        {
          data: shown.map(deliveryOut),
          nextCursor: rows.length > query.limit && last !== undefined ? encodeCursor(last.id) : null,
        },
        200,
      );
    },
  );
}
