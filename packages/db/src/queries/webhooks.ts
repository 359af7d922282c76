/**
 * Outbound events and webhooks (docs/webhooks.md): the one writer of outbound_events, webhook_endpoints,
 * webhook_deliveries and webhook_attempts. Publishers call `publishEvent` (or `deliverToEndpoint`) with
 * the transaction of the cause, so an event and its deliveries exist exactly when the cause committed;
 * the worker's dispatcher claims and sends deliveries apart from it (claimWebhookDeliveries,
 * recordWebhookAttempt); the portal manages endpoints and reads the delivery log.
 */
import {
  eventMeterIds,
  parseEventData,
  payloadFor,
  type EventType,
  type OutboundEvent,
} from '@meterops/domain/events';
import { generateWebhookSecret } from '@meterops/domain/webhooks';
import type { TransactionSql } from 'postgres';
import type { Sql } from '../client';

type SqlOrTx = Sql | TransactionSql;

/** NOTIFY channel the dispatcher listens on; published at commit of an event with deliveries. */
export const webhookDeliveryChannel = 'meterops_webhook_deliveries';

/** Hours a rotated-out secret keeps signing beside the new one. */
export const SECRET_OVERLAP_HOURS = 24;

/** Characters of a response body kept in the delivery log. */
export const RESPONSE_BODY_LIMIT = 2_048;

export interface MeterFilter {
  regions: string[];
  segments: string[];
  meterIds: string[];
}

export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string;
  eventTypes: EventType[];
  filter: MeterFilter;
  enabled: boolean;
  /** The secret's first characters, so people can tell which one a receiver holds. */
  secretHint: string;
  /** Set while a rotated-out secret still signs. */
  previousSecretExpiresAt: Date | null;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  /** Deliveries not finished yet, and failed in the last 24 hours. */
  pendingDeliveries: number;
  failedLastDay: number;
}

const endpointColumns = (sql: SqlOrTx) => sql`
  e.id, e.url, e.description, e.event_types as "eventTypes",
  json_build_object('regions', e.filter_regions, 'segments', e.filter_segments, 'meterIds', e.filter_meter_ids) as filter,
  e.enabled, left(e.secret, 10) || '…' as "secretHint",
  case when e.previous_secret_expires_at > now() then e.previous_secret_expires_at end as "previousSecretExpiresAt",
  e.created_by as "createdBy", e.created_at as "createdAt", e.updated_at as "updatedAt",
  (select count(*)::int from webhook_deliveries d
   where d.endpoint_id = e.id and d.status in ('pending', 'delivering')) as "pendingDeliveries",
  (select count(*)::int from webhook_deliveries d
   where d.endpoint_id = e.id and d.status = 'failed' and d.completed_at > now() - interval '1 day') as "failedLastDay"`;

// ---------------------------------------------------------------------------------------------------
// Publishing

export interface PublishedEvent {
  eventId: number;
  /** Deliveries queued: one per enabled endpoint subscribed to the type whose filter matched. */
  deliveries: number;
}

/**
 * Records an event and queues it for every enabled endpoint subscribed to its type whose filter matches
 * (a filter narrows meter-scoped events to its meters and does not apply to the others). Call it with
 * the transaction of the cause. The data is validated against its type's schema.
 */
export async function publishEvent(sql: SqlOrTx, event: OutboundEvent): Promise<PublishedEvent> {
  const data = parseEventData(event.type, event.data) as Record<string, unknown>;
  const eventId = await insertEvent(sql, event.type, data, event.occurredAt);
  const meterIds = eventMeterIds(event.type, data);
  const endpoints = await sql<{ id: string; matched: string[] | null }[]>`
    select e.id,
           case when ${meterIds === null}::boolean
                  or (e.filter_regions = '{}' and e.filter_segments = '{}' and e.filter_meter_ids = '{}') then null
                else array(
                  select m.id from meters m
                  where m.id = any(${meterIds ?? []}::text[])
                    and (e.filter_regions = '{}' or m.region = any(e.filter_regions))
                    and (e.filter_segments = '{}' or m.segment::text = any(e.filter_segments))
                    and (e.filter_meter_ids = '{}' or m.id = any(e.filter_meter_ids)))
           end as matched
    from webhook_endpoints e
    where e.enabled and ${event.type} = any(e.event_types)
    order by e.id`;
  const rows = endpoints
    .filter((endpoint) => endpoint.matched === null || endpoint.matched.length > 0)
    .map((endpoint) => ({
      endpointId: endpoint.id,
      payload: payloadFor(event.type, data, endpoint.matched === null ? null : new Set(endpoint.matched)),
    }));
  const deliveries = await queueDeliveries(sql, eventId, rows, null);
  return { eventId, deliveries };
}

/**
 * Records an event and queues it for one endpoint, whatever its subscriptions and filter (alert routing
 * chooses endpoints itself; the test event). Null when the endpoint does not exist or is disabled.
 */
export async function deliverToEndpoint(
  sql: SqlOrTx,
  endpointId: string,
  event: OutboundEvent & { requestedBy?: string },
): Promise<{ eventId: number; deliveryId: number } | null> {
  const data = parseEventData(event.type, event.data) as Record<string, unknown>;
  const [endpoint] = await sql<{ id: string }[]>`
    select id from webhook_endpoints where id = ${endpointId}::uuid and enabled`;
  if (endpoint === undefined) return null;
  const eventId = await insertEvent(sql, event.type, data, event.occurredAt);
  const [delivery] = await sql<{ id: number }[]>`
    insert into webhook_deliveries (endpoint_id, event_id, payload, requested_by)
    values (${endpointId}::uuid, ${eventId}, ${sql.json(data as never)}, ${event.requestedBy ?? null})
    returning id::int`;
  if (delivery === undefined) throw new Error('the delivery was not queued');
  await sql`select pg_notify(${webhookDeliveryChannel}, ${String(eventId)})`;
  return { eventId, deliveryId: delivery.id };
}

async function insertEvent(
  sql: SqlOrTx,
  type: EventType,
  data: Record<string, unknown>,
  occurredAt: Date | undefined,
): Promise<number> {
  const [row] = await sql<{ id: number }[]>`
    insert into outbound_events (type, data, occurred_at)
    values (${type}, ${sql.json(data as never)}, ${occurredAt ?? sql`now()`})
    returning id::int`;
  if (row === undefined) throw new Error('the event was not recorded');
  return row.id;
}

async function queueDeliveries(
  sql: SqlOrTx,
  eventId: number,
  rows: { endpointId: string; payload: Record<string, unknown> }[],
  requestedBy: string | null,
): Promise<number> {
  if (rows.length === 0) return 0;
  const written = await sql`
    insert into webhook_deliveries (endpoint_id, event_id, payload, requested_by)
    select (x->>'endpointId')::uuid, ${eventId}, x->'payload', ${requestedBy}
    from jsonb_array_elements(${sql.json(rows as never)}::jsonb) with ordinality as r(x, n)
    order by n`;
  await sql`select pg_notify(${webhookDeliveryChannel}, ${String(eventId)})`;
  return written.count;
}

// ---------------------------------------------------------------------------------------------------
// Endpoints

export interface WebhookEndpointInput {
  url: string;
  description: string;
  eventTypes: EventType[];
  filter: MeterFilter;
}

/** Creates an endpoint; the secret is returned here and never again (it can be rotated). */
export async function createWebhookEndpoint(
  sql: Sql,
  params: WebhookEndpointInput & { createdBy: string },
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const secret = generateWebhookSecret();
  const [row] = await sql<{ id: string }[]>`
    insert into webhook_endpoints
      (url, description, event_types, filter_regions, filter_segments, filter_meter_ids, secret, created_by)
    values (${params.url}, ${params.description}, ${params.eventTypes}::text[], ${params.filter.regions}::text[],
            ${params.filter.segments}::text[], ${params.filter.meterIds}::text[], ${secret}, ${params.createdBy})
    returning id`;
  if (row === undefined) throw new Error('the endpoint was not created');
  const endpoint = await getWebhookEndpoint(sql, { id: row.id });
  if (endpoint === null) throw new Error('the endpoint was not created');
  return { endpoint, secret };
}

/** Changes an endpoint's URL, description, event types and filter; null when there is none. */
export async function updateWebhookEndpoint(
  sql: Sql,
  params: WebhookEndpointInput & { id: string },
): Promise<WebhookEndpoint | null> {
  const updated = await sql`
    update webhook_endpoints set
      url = ${params.url}, description = ${params.description}, event_types = ${params.eventTypes}::text[],
      filter_regions = ${params.filter.regions}::text[], filter_segments = ${params.filter.segments}::text[],
      filter_meter_ids = ${params.filter.meterIds}::text[], updated_at = now()
    where id = ${params.id}::uuid`;
  return updated.count === 0 ? null : getWebhookEndpoint(sql, { id: params.id });
}

/**
 * Enables or disables an endpoint. A disabled endpoint is queued nothing new; what was queued before
 * waits and goes out (in order) if it is enabled again.
 */
export async function setWebhookEndpointEnabled(
  sql: Sql,
  params: { id: string; enabled: boolean },
): Promise<WebhookEndpoint | null> {
  const updated = await sql`
    update webhook_endpoints set enabled = ${params.enabled}, updated_at = now() where id = ${params.id}::uuid`;
  if (updated.count > 0 && params.enabled) await sql`select pg_notify(${webhookDeliveryChannel}, '')`;
  return updated.count === 0 ? null : getWebhookEndpoint(sql, { id: params.id });
}

/**
 * A new secret for an endpoint, returned once. The previous one keeps signing beside it (two
 * signatures in the header) for SECRET_OVERLAP_HOURS, so the receiver can switch without losing events.
 */
export async function rotateWebhookSecret(
  sql: Sql,
  params: { id: string; overlapHours?: number },
): Promise<{ secret: string; previousSecretExpiresAt: Date } | null> {
  const secret = generateWebhookSecret();
  const [row] = await sql<{ previousSecretExpiresAt: Date }[]>`
    update webhook_endpoints set
      previous_secret = secret, secret = ${secret},
      previous_secret_expires_at = now() + make_interval(hours => ${params.overlapHours ?? SECRET_OVERLAP_HOURS}),
      updated_at = now()
    where id = ${params.id}::uuid
    returning previous_secret_expires_at as "previousSecretExpiresAt"`;
  return row === undefined ? null : { secret, previousSecretExpiresAt: row.previousSecretExpiresAt };
}

export async function listWebhookEndpoints(sql: Sql): Promise<WebhookEndpoint[]> {
  return sql<WebhookEndpoint[]>`
    select ${endpointColumns(sql)} from webhook_endpoints e order by e.created_at, e.id`;
}

export async function getWebhookEndpoint(sql: Sql, params: { id: string }): Promise<WebhookEndpoint | null> {
  const [row] = await sql<WebhookEndpoint[]>`
    select ${endpointColumns(sql)} from webhook_endpoints e where e.id = ${params.id}::uuid`;
  return row ?? null;
}

// ---------------------------------------------------------------------------------------------------
// Delivery log

export type WebhookDeliveryStatus = 'pending' | 'delivering' | 'succeeded' | 'failed';

export interface WebhookDelivery {
  id: number;
  endpointId: string;
  endpointUrl: string;
  eventId: number;
  eventType: EventType;
  occurredAt: Date;
  status: WebhookDeliveryStatus;
  attempts: number;
  nextAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  redeliveryOf: number | null;
  requestedBy: string | null;
  createdAt: Date;
  completedAt: Date | null;
}

export interface WebhookAttempt {
  id: number;
  attempt: number;
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  responseBody: string | null;
  worker: string;
}

const deliveryColumns = (sql: SqlOrTx) => sql`
  d.id::int, d.endpoint_id as "endpointId", e.url as "endpointUrl", d.event_id::int as "eventId",
  v.type as "eventType", v.occurred_at as "occurredAt", d.status, d.attempts,
  case when d.status = 'pending' then d.next_attempt_at end as "nextAttemptAt",
  d.last_attempt_at as "lastAttemptAt", d.last_status_code as "lastStatusCode", d.last_error as "lastError",
  d.redelivery_of::int as "redeliveryOf", d.requested_by as "requestedBy", d.created_at as "createdAt",
  d.completed_at as "completedAt"`;

/** Newest first; `beforeId` pages back. */
export async function listWebhookDeliveries(
  sql: Sql,
  params: {
    endpointId?: string;
    status?: WebhookDeliveryStatus;
    eventType?: EventType;
    beforeId?: number;
    limit: number;
  },
): Promise<WebhookDelivery[]> {
  return sql<WebhookDelivery[]>`
    select ${deliveryColumns(sql)}
    from webhook_deliveries d
    join webhook_endpoints e on e.id = d.endpoint_id
    join outbound_events v on v.id = d.event_id
    where true
      ${params.endpointId === undefined ? sql`` : sql`and d.endpoint_id = ${params.endpointId}::uuid`}
      ${params.status === undefined ? sql`` : sql`and d.status = ${params.status}`}
      ${params.eventType === undefined ? sql`` : sql`and v.type = ${params.eventType}`}
      ${params.beforeId === undefined ? sql`` : sql`and d.id < ${params.beforeId}`}
    order by d.id desc
    limit ${params.limit}`;
}

/** One delivery with the body it sends and every attempt, oldest first; null when there is none. */
export async function getWebhookDelivery(
  sql: Sql,
  params: { id: number },
): Promise<(WebhookDelivery & { payload: Record<string, unknown>; attemptLog: WebhookAttempt[] }) | null> {
  const [delivery] = await sql<(WebhookDelivery & { payload: Record<string, unknown> })[]>`
    select ${deliveryColumns(sql)}, d.payload
    from webhook_deliveries d
    join webhook_endpoints e on e.id = d.endpoint_id
    join outbound_events v on v.id = d.event_id
    where d.id = ${params.id}`;
  if (delivery === undefined) return null;
  const attemptLog = await sql<WebhookAttempt[]>`
    select id::int, attempt, started_at as "startedAt", duration_ms as "durationMs", status_code as "statusCode",
           error, response_body as "responseBody", worker
    from webhook_attempts where delivery_id = ${params.id} order by id`;
  return { ...delivery, attemptLog };
}

/**
 * Sends a delivery again: one still waiting for a retry is tried now; a finished one (succeeded or
 * failed) is queued anew as a delivery naming it, behind what the endpoint has queued already. Null when
 * there is no such delivery.
 */
export async function redeliverWebhook(
  sql: Sql,
  params: { id: number; requestedBy: string },
): Promise<{ deliveryId: number } | null> {
  const [pending] = await sql<{ id: number }[]>`
    update webhook_deliveries set next_attempt_at = now()
    where id = ${params.id} and status = 'pending'
    returning id::int`;
  const [copy] =
    pending === undefined
      ? await sql<{ id: number }[]>`
          insert into webhook_deliveries (endpoint_id, event_id, payload, redelivery_of, requested_by)
          select endpoint_id, event_id, payload, id, ${params.requestedBy}
          from webhook_deliveries where id = ${params.id} and status in ('succeeded', 'failed')
          returning id::int`
      : [];
  const deliveryId = pending?.id ?? copy?.id;
  if (deliveryId === undefined) {
    const [exists] = await sql`select 1 from webhook_deliveries where id = ${params.id}`;
    // Being sent at this moment: nothing to do, it will finish one way or the other.
    return exists === undefined ? null : { deliveryId: params.id };
  }
  await sql`select pg_notify(${webhookDeliveryChannel}, '')`;
  return { deliveryId };
}

/** Queues a `webhook.test` event to one endpoint; null when it does not exist or is disabled. */
export async function sendTestEvent(
  sql: Sql,
  params: { endpointId: string; requestedBy: string },
): Promise<{ eventId: number; deliveryId: number } | null> {
  return deliverToEndpoint(sql, params.endpointId, {
    type: 'webhook.test',
    data: {
      endpointId: params.endpointId,
      message: 'A test event from MeterOps: your endpoint is reachable and can verify the signature.',
      requestedBy: params.requestedBy,
    },
    requestedBy: params.requestedBy,
  });
}

// ---------------------------------------------------------------------------------------------------
// Dispatcher

export interface ClaimedDelivery {
  id: number;
  /** This attempt's number (1 for the first). */
  attempt: number;
  createdAt: Date;
  endpointId: string;
  url: string;
  /** The current secret first, then a rotated-out one still in its overlap. */
  secrets: string[];
  eventId: number;
  eventType: EventType;
  occurredAt: Date;
  payload: Record<string, unknown>;
}

/**
 * Claims up to `limit` deliveries that are due, at most one per endpoint and only the oldest open one
 * of each (so an endpoint receives its events one at a time, in sequence order), and marks them
 * 'delivering' until `leaseMs` from now. Rows locked by another dispatcher are skipped, so several
 * worker processes never send one delivery at once; a claim whose dispatcher died is taken over when
 * its lease runs out.
 */
export async function claimWebhookDeliveries(
  sql: Sql,
  params: { limit: number; leaseMs: number },
): Promise<ClaimedDelivery[]> {
  return sql<ClaimedDelivery[]>`
    with heads as (
      select distinct on (endpoint_id) id
      from webhook_deliveries
      where status in ('pending', 'delivering')
      order by endpoint_id, id
    ),
    due as (
      select d.id
      from webhook_deliveries d
      join webhook_endpoints e on e.id = d.endpoint_id and e.enabled
      where d.id in (select id from heads)
        and ((d.status = 'pending' and d.next_attempt_at <= now())
             or (d.status = 'delivering' and d.lease_until < now()))
      order by d.next_attempt_at, d.id
      limit ${params.limit}
      for update of d skip locked
    )
    update webhook_deliveries d set
      status = 'delivering', attempts = d.attempts + 1, last_attempt_at = now(),
      lease_until = now() + make_interval(secs => ${params.leaseMs / 1000})
    from due, webhook_endpoints e, outbound_events v
    where d.id = due.id and e.id = d.endpoint_id and v.id = d.event_id
    returning d.id::int, d.attempts as attempt, d.created_at as "createdAt", e.id as "endpointId", e.url,
              array_remove(array[e.secret, case when e.previous_secret_expires_at > now() then e.previous_secret end], null)
                as secrets,
              v.id::int as "eventId", v.type as "eventType", v.occurred_at as "occurredAt", d.payload`;
}

export interface AttemptOutcome {
  deliveryId: number;
  attempt: number;
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  responseBody: string | null;
  worker: string;
  /** 'succeeded', 'failed' (for good), or 'pending' with the time of the next attempt. */
  result: { status: 'succeeded' | 'failed' } | { status: 'pending'; nextAttemptAt: Date };
}

/**
 * Logs an attempt and moves its delivery on. A dispatcher whose lease ran out (another took the delivery
 * over) still logs what it saw but leaves the delivery to the newer claim.
 */
export async function recordWebhookAttempt(sql: Sql, outcome: AttemptOutcome): Promise<void> {
  const next = outcome.result.status === 'pending' ? outcome.result.nextAttemptAt : null;
  await sql.begin(async (tx) => {
    await tx`
      insert into webhook_attempts
        (delivery_id, attempt, started_at, duration_ms, status_code, error, response_body, worker)
      values (${outcome.deliveryId}, ${outcome.attempt}, ${outcome.startedAt}, ${Math.round(outcome.durationMs)},
              ${outcome.statusCode}, ${outcome.error}, ${outcome.responseBody?.slice(0, RESPONSE_BODY_LIMIT) ?? null},
              ${outcome.worker})`;
    await tx`
      update webhook_deliveries set
        status = ${outcome.result.status}, lease_until = null,
        next_attempt_at = ${next ?? tx`next_attempt_at`},
        last_status_code = ${outcome.statusCode}, last_error = ${outcome.error},
        completed_at = ${outcome.result.status === 'pending' ? null : tx`now()`}
      where id = ${outcome.deliveryId} and status = 'delivering' and attempts = ${outcome.attempt}`;
  });
}

/** When the next open delivery of an enabled endpoint falls due (null: none is queued). */
export async function nextWebhookDueAt(sql: Sql): Promise<Date | null> {
  const [row] = await sql<{ due: Date | null }[]>`
    select min(case when d.status = 'pending' then d.next_attempt_at else d.lease_until end) as due
    from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id and e.enabled
    where d.status in ('pending', 'delivering')`;
  return row?.due ?? null;
}
