/**
 * Outbound webhooks end to end against the real Postgres and a real HTTP receiver in this process:
 * signatures checked with the `standardwebhooks` library receivers use, retries, ordering, redelivery,
 * the test event, disabled endpoints, refused addresses, and the events the batch layer, corrections and
 * the reprocess job publish. The dispatcher is driven directly (dispatchDue) rather than waited for.
 */
import { createBillingPeriod, markBillingPeriodInvoiced } from '@meterops/db/queries/billing';
import { finalizeDay } from '@meterops/db/queries/batch';
import { correctReading } from '@meterops/db/queries/corrections';
import { enqueueJob } from '@meterops/db/queries/jobs';
import {
  createWebhookEndpoint,
  getWebhookDelivery,
  listWebhookDeliveries,
  publishEvent,
  redeliverWebhook,
  sendTestEvent,
  setWebhookEndpointEnabled,
  type MeterFilter,
} from '@meterops/db/queries/webhooks';
import type { EventData, EventType } from '@meterops/domain/events';
import { generateWebhookSecret, type WebhookAddressPolicy } from '@meterops/domain/webhooks';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createJobContext } from '../src/jobs/context';
import { jobDefinitions } from '../src/jobs/definitions';
import { lifecycleSettings } from '../src/lifecycle';
import { env } from '../src/env';
import { guardedLookup, WebhookDispatcher } from '../src/webhooks/dispatcher';
import { createMeters, customerOf, dayOf, insertReadings, starts, type TestMeter } from './batch-support';
import { createTestDatabase, silentLog, type TestDatabase } from './harness';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver';

const london: TestMeter = { id: 'MTR-000001', region: 'london' };
const north: TestMeter = { id: 'MTR-000002', region: 'north', segment: 'commercial' };
const day = '2026-11-10';
const noFilter: MeterFilter = { regions: [], segments: [], meterIds: [] };
const openPolicy: WebhookAddressPolicy = { allowHttp: true, allowPrivateNetworks: true };

let database: TestDatabase;
let receiver: WebhookReceiver;

beforeAll(async () => {
  database = await createTestDatabase();
  receiver = await startWebhookReceiver();
  await createMeters(database.sql, [london, north]);
});

afterAll(async () => {
  await receiver?.close();
  await database?.drop();
});

// Each test makes its own endpoints; those of earlier tests stop receiving.
beforeEach(async () => {
  await database.sql`update webhook_endpoints set enabled = false`;
});

function dispatcher(
  options: { retryDelaysMs?: number[]; policy?: WebhookAddressPolicy; maxAgeMs?: number } = {},
) {
  return new WebhookDispatcher({
    sql: database.sql,
    log: silentLog,
    workerId: 'it-webhooks',
    policy: options.policy ?? openPolicy,
    timeoutMs: 5_000,
    concurrency: 4,
    pollIntervalMs: 60_000,
    retryDelaysMs: options.retryDelaysMs ?? [0, 0, 0],
    maxAgeMs: options.maxAgeMs,
    // The middle of the jitter range: each delay is exactly the schedule's.
    random: () => 0.5,
  });
}

async function endpoint(path: string, eventTypes: EventType[], filter: MeterFilter = noFilter) {
  return createWebhookEndpoint(database.sql, {
    url: `${receiver.origin}${path}`,
    description: `test ${path}`,
    eventTypes,
    filter,
    createdBy: 'it',
  });
}

const receivedAt = (path: string) => receiver.received.filter((hit) => hit.path === path);
const bodyOf = (hit: { body: string }) =>
  JSON.parse(hit.body) as { id: string; type: string; timestamp: string; data: Record<string, unknown> };

function reprocessData(jobRunId: string): EventData<'reprocess.finished'> {
  return {
    jobRunId,
    job: 'reprocess',
    from: '2026-11-01',
    to: '2026-11-02',
    days: 2,
    meterDays: 4,
    dailyRowsChanged: 1,
    billingAlerts: 0,
    requeued: 0,
  };
}

describe('webhook delivery', () => {
  it('signs each body so that the standardwebhooks library verifies it with the endpoint secret', async () => {
    const { secret } = await endpoint('/signed', ['reprocess.finished']);
    const { eventId, deliveries } = await publishEvent(database.sql, {
      type: 'reprocess.finished',
      data: reprocessData('00000000-0000-4000-8000-000000000001'),
      occurredAt: new Date('2026-11-11T03:00:00.000Z'),
    });
    expect(deliveries).toBe(1);
    expect(await dispatcher().dispatchDue()).toBe(1);

    const [hit] = receivedAt('/signed');
    if (hit === undefined) throw new Error('nothing received');
    const headers = {
      'webhook-id': String(hit.headers['webhook-id']),
      'webhook-timestamp': String(hit.headers['webhook-timestamp']),
      'webhook-signature': String(hit.headers['webhook-signature']),
    };
    expect(headers['webhook-id']).toBe(`evt_${eventId}`);
    expect(hit.headers['content-type']).toBe('application/json');
    expect(new Webhook(secret).verify(hit.body, headers)).toEqual({
      id: `evt_${eventId}`,
      type: 'reprocess.finished',
      timestamp: '2026-11-11T03:00:00.000Z',
      data: reprocessData('00000000-0000-4000-8000-000000000001'),
    });
    expect(() => new Webhook(generateWebhookSecret()).verify(hit.body, headers)).toThrow();
    expect(() => new Webhook(secret).verify(hit.body.replace('"days":2', '"days":3'), headers)).toThrow();
  });

  it('retries a receiver that answers 500 twice and logs every attempt until the 200', async () => {
    const { endpoint: target } = await endpoint('/flaky', ['reprocess.finished']);
    receiver.script('/flaky', [500, 500]);
    await publishEvent(database.sql, {
      type: 'reprocess.finished',
      data: reprocessData('00000000-0000-4000-8000-000000000002'),
    });
    expect(await dispatcher().dispatchDue()).toBe(3);

    expect(receivedAt('/flaky').map((hit) => hit.answered)).toEqual([500, 500, 200]);
    const ids = new Set(receivedAt('/flaky').map((hit) => hit.headers['webhook-id']));
    expect(ids.size).toBe(1);
    const [delivery] = await listWebhookDeliveries(database.sql, { endpointId: target.id, limit: 10 });
    expect(delivery).toMatchObject({
      status: 'succeeded',
      attempts: 3,
      lastStatusCode: 200,
      lastError: null,
    });
    const detail = await getWebhookDelivery(database.sql, { id: delivery?.id ?? 0 });
    expect(
      detail?.attemptLog.map((attempt) => [
        attempt.attempt,
        attempt.statusCode,
        attempt.error,
        attempt.responseBody,
      ]),
    ).toEqual([
      [1, 500, 'HTTP 500', 'failing on purpose with 500'],
      [2, 500, 'HTTP 500', 'failing on purpose with 500'],
      [3, 200, null, 'ok'],
    ]);
  });

  it('waits out the backoff schedule between attempts and fails the delivery when it is used up', async () => {
    const { endpoint: target } = await endpoint('/down', ['reprocess.finished']);
    receiver.script('/down', [503, 503, 503]);
    await publishEvent(database.sql, {
      type: 'reprocess.finished',
      data: reprocessData('00000000-0000-4000-8000-000000000003'),
    });
    const sender = dispatcher({ retryDelaysMs: [60_000, 120_000] });
    const scheduled = async () => {
      const [row] = await database.sql<{ status: string; delayS: number }[]>`
        select status::text, round(extract(epoch from next_attempt_at - last_attempt_at))::int as "delayS"
        from webhook_deliveries where endpoint_id = ${target.id}`;
      return row;
    };
    const makeDue = () =>
      database.sql`update webhook_deliveries set next_attempt_at = now() where endpoint_id = ${target.id}`;

    expect(await sender.dispatchDue()).toBe(1);
    expect(await scheduled()).toEqual({ status: 'pending', delayS: 60 });
    // Not due yet: nothing is sent.
    expect(await sender.dispatchDue()).toBe(0);
    await makeDue();
    expect(await sender.dispatchDue()).toBe(1);
    expect(await scheduled()).toEqual({ status: 'pending', delayS: 120 });
    await makeDue();
    expect(await sender.dispatchDue()).toBe(1);
    expect((await scheduled())?.status).toBe('failed');
    expect(receivedAt('/down').map((hit) => hit.answered)).toEqual([503, 503, 503]);
  });

  it('sends an endpoint its events one at a time in sequence order, even with two dispatchers', async () => {
    const { endpoint: target } = await endpoint('/ordered', ['reprocess.finished']);
    receiver.script('/ordered', [500]);
    const eventIds: number[] = [];
    for (let index = 0; index < 5; index++) {
      const published = await publishEvent(database.sql, {
        type: 'reprocess.finished',
        data: reprocessData(`00000000-0000-4000-8000-00000000010${index}`),
      });
      eventIds.push(published.eventId);
    }
    const first = dispatcher({ retryDelaysMs: [60_000] });
    const second = dispatcher({ retryDelaysMs: [60_000] });
    // The first event fails and waits for its retry; the later ones wait behind it.
    expect(await first.dispatchDue()).toBe(1);
    expect(receivedAt('/ordered').map((hit) => bodyOf(hit).id)).toEqual([`evt_${eventIds[0]}`]);

    await database.sql`update webhook_deliveries set next_attempt_at = now() where endpoint_id = ${target.id}`;
    const [a, b] = await Promise.all([first.dispatchDue(), second.dispatchDue()]);
    expect((a ?? 0) + (b ?? 0)).toBe(5);
    expect(receivedAt('/ordered').map((hit) => [bodyOf(hit).id, hit.answered])).toEqual([
      [`evt_${eventIds[0]}`, 500],
      ...eventIds.map((id) => [`evt_${id}`, 200]),
    ]);
  });

  it('redelivers a delivered event on request, with the same webhook-id', async () => {
    const { endpoint: target } = await endpoint('/again', ['reprocess.finished']);
    await publishEvent(database.sql, {
      type: 'reprocess.finished',
      data: reprocessData('00000000-0000-4000-8000-000000000004'),
    });
    await dispatcher().dispatchDue();
    const [delivered] = await listWebhookDeliveries(database.sql, { endpointId: target.id, limit: 10 });
    const again = await redeliverWebhook(database.sql, {
      id: delivered?.id ?? 0,
      requestedBy: 'admin@example.com',
    });
    expect(again?.deliveryId).toBeGreaterThan(delivered?.id ?? 0);
    expect(await dispatcher().dispatchDue()).toBe(1);

    const hits = receivedAt('/again');
    expect(hits).toHaveLength(2);
    expect(hits[1]?.headers['webhook-id']).toBe(hits[0]?.headers['webhook-id']);
    expect(hits[1]?.body).toBe(hits[0]?.body);
    const copy = await getWebhookDelivery(database.sql, { id: again?.deliveryId ?? 0 });
    expect(copy).toMatchObject({
      status: 'succeeded',
      redeliveryOf: delivered?.id,
      requestedBy: 'admin@example.com',
    });
  });

  it('sends a test event to one endpoint whatever it subscribes to', async () => {
    const { endpoint: target, secret } = await endpoint('/test-event', ['day.finalized']);
    const queued = await sendTestEvent(database.sql, {
      endpointId: target.id,
      requestedBy: 'admin@example.com',
    });
    expect(queued).not.toBeNull();
    expect(await dispatcher().dispatchDue()).toBe(1);
    const [hit] = receivedAt('/test-event');
    if (hit === undefined) throw new Error('nothing received');
    const body = new Webhook(secret).verify(hit.body, {
      'webhook-id': String(hit.headers['webhook-id']),
      'webhook-timestamp': String(hit.headers['webhook-timestamp']),
      'webhook-signature': String(hit.headers['webhook-signature']),
    }) as { type: string; data: Record<string, unknown> };
    expect(body.type).toBe('webhook.test');
    expect(body.data).toMatchObject({ endpointId: target.id, requestedBy: 'admin@example.com' });
  });

  it('queues and sends nothing to a disabled endpoint', async () => {
    const { endpoint: target } = await endpoint('/disabled', ['reprocess.finished']);
    await setWebhookEndpointEnabled(database.sql, { id: target.id, enabled: false });
    const published = await publishEvent(database.sql, {
      type: 'reprocess.finished',
      data: reprocessData('00000000-0000-4000-8000-000000000005'),
    });
    expect(published.deliveries).toBe(0);
    expect(await sendTestEvent(database.sql, { endpointId: target.id, requestedBy: 'it' })).toBeNull();
    expect(await dispatcher().dispatchDue()).toBe(0);
    expect(receivedAt('/disabled')).toEqual([]);
  });

  it('refuses link-local and metadata addresses, and private ones unless allowed, without connecting', async () => {
    const metadata = await createWebhookEndpoint(database.sql, {
      url: 'http://169.254.169.254/latest/meta-data/',
      description: 'stored before the policy refused it',
      eventTypes: ['reprocess.finished'],
      filter: noFilter,
      createdBy: 'it',
    });
    const { endpoint: loopback } = await endpoint('/private', ['reprocess.finished']);
    await publishEvent(database.sql, {
      type: 'reprocess.finished',
      data: reprocessData('00000000-0000-4000-8000-000000000006'),
    });
    const strict = dispatcher({
      policy: { allowHttp: true, allowPrivateNetworks: false },
      retryDelaysMs: [],
    });
    expect(await strict.dispatchDue()).toBe(2);

    const errors = await database.sql<
      { endpointId: string; status: string; error: string; code: number | null }[]
    >`
      select d.endpoint_id as "endpointId", d.status::text, a.error, a.status_code as code
      from webhook_deliveries d join webhook_attempts a on a.delivery_id = d.id
      where d.endpoint_id in (${metadata.endpoint.id}, ${loopback.id}) order by a.id`;
    expect(errors.map((row) => [row.status, row.code])).toEqual([
      ['failed', null],
      ['failed', null],
    ]);
    expect(errors.find((row) => row.endpointId === metadata.endpoint.id)?.error).toBe(
      'refused: the URL must not point at a link-local or metadata address (such as 169.254.169.254)',
    );
    expect(errors.find((row) => row.endpointId === loopback.id)?.error).toBe(
      'refused: the URL must not point at a loopback network address',
    );
    expect(receivedAt('/private')).toEqual([]);

    // A name is checked on the addresses it resolves to, which is what the connection uses.
    const refused = await new Promise<Error | null>((resolve) =>
      guardedLookup({ allowHttp: true, allowPrivateNetworks: false })('localhost', {}, (error) =>
        resolve(error),
      ),
    );
    expect(refused?.message).toMatch(
      /^refused: localhost resolves to (127\.0\.0\.1|::1), and the URL must not point at a loopback network address$/,
    );
  });
});

describe('published events', () => {
  it('day.finalized lists the meters of each subscription filter; billing alerts, corrections and reprocessing publish theirs', async () => {
    const { sql } = database;
    const all = await endpoint('/all', ['day.finalized', 'billing_alert.raised', 'reading.corrected']);
    const northOnly = await endpoint(
      '/north',
      ['day.finalized', 'billing_alert.raised', 'reading.corrected'],
      {
        regions: ['north'],
        segments: [],
        meterIds: [],
      },
    );
    const londonOnly = await endpoint('/london', ['reading.corrected'], {
      regions: [],
      segments: [],
      meterIds: [london.id],
    });
    await insertReadings(sql, [...dayOf(london, day, '0.1000'), ...dayOf(north, day, '0.2000')]);
    await finalizeDay(sql, { day, actor: 'job:test' });
    expect(await dispatcher().dispatchDue()).toBe(2);

    const finalizedAll = bodyOf(receivedAt('/all')[0] ?? { body: '{}' });
    expect(finalizedAll).toMatchObject({
      type: 'day.finalized',
      data: {
        day,
        meterCount: 2,
        kwhTotal: '28.8000',
        meters: [
          { meterId: london.id, kwh: '9.6000', finalVersion: 1 },
          { meterId: north.id, kwh: '19.2000', finalVersion: 1 },
        ],
        usagePath: `/api/v1/usage/daily?day=${day}&status=final`,
        jobRunId: null,
      },
    });
    expect(bodyOf(receivedAt('/north')[0] ?? { body: '{}' }).data).toMatchObject({
      meterCount: 1,
      kwhTotal: '19.2000',
      meters: [{ meterId: north.id, kwh: '19.2000', finalVersion: 1 }],
    });

    // Finalizing again changes nothing and publishes nothing.
    await finalizeDay(sql, { day, actor: 'job:test' });
    expect(await dispatcher().dispatchDue()).toBe(0);

    // An invoiced period of the north meter: a correction there raises a billing alert.
    const period = await createBillingPeriod(sql, {
      customerId: customerOf(north.id),
      periodStart: day,
      periodEnd: day,
    });
    await markBillingPeriodInvoiced(sql, { id: period.id });
    const intervalStart = new Date(starts(day)[4] as number);
    await correctReading(sql, {
      meterId: north.id,
      intervalStart,
      kwh: '0.5000',
      reason: 'meter exchange read the wrong register',
      actor: '8a4f3c1e-0000-4000-8000-000000000001',
    });
    expect(await dispatcher().dispatchDue()).toBe(6);

    const typesAt = (path: string) => receivedAt(path).map((hit) => bodyOf(hit).type);
    // Corrected (in the correction's transaction), then refinalized with its billing alert (reprocessing).
    expect(typesAt('/all')).toEqual([
      'day.finalized',
      'reading.corrected',
      'day.finalized',
      'billing_alert.raised',
    ]);
    expect(typesAt('/north')).toEqual([
      'day.finalized',
      'reading.corrected',
      'day.finalized',
      'billing_alert.raised',
    ]);
    expect(typesAt('/london')).toEqual([]);
    const northHits = receivedAt('/north').map(bodyOf);
    const { revisionId, ...corrected } = northHits[1]?.data ?? {};
    expect(typeof revisionId).toBe('number');
    expect(corrected).toEqual({
      meterId: north.id,
      intervalStart: intervalStart.toISOString(),
      day,
      kwhBefore: '0.2000',
      qualityBefore: 'actual',
      kwhAfter: '0.5000',
      version: 2,
      actor: '8a4f3c1e-0000-4000-8000-000000000001',
      reason: 'meter exchange read the wrong register',
    });
    expect(northHits[2]?.data).toMatchObject({
      meterCount: 1,
      kwhTotal: '19.5000',
      meters: [{ meterId: north.id, kwh: '19.5000', finalVersion: 2 }],
    });
    const { alertId, ...alert } = northHits[3]?.data ?? {};
    expect(typeof alertId).toBe('number');
    expect(alert).toEqual({
      meterId: north.id,
      customerId: customerOf(north.id),
      day,
      billingPeriod: { id: Number(period.id), start: day, end: day, invoicedKwh: '19.2000' },
      kwhBefore: '19.2000',
      kwhAfter: '19.5000',
      kwhDelta: '0.3000',
      cause: 'correction',
      raisedBy: '8a4f3c1e-0000-4000-8000-000000000001',
      jobRunId: null,
    });
    expect(all.endpoint.id).not.toBe(northOnly.endpoint.id);
    expect(londonOnly.endpoint.eventTypes).toEqual(['reading.corrected']);
  });

  it('a completed reprocess job publishes reprocess.finished with what it changed', async () => {
    const { sql } = database;
    await endpoint('/reprocess', ['reprocess.finished']);
    const run = await enqueueJob(sql, { name: 'reprocess', params: { from: day, to: day }, startedBy: 'it' });
    const ctx = createJobContext({ sql, runId: run.id, log: silentLog });
    await jobDefinitions.reprocess.run(
      ctx,
      { from: day, to: day },
      { sql, graceHours: 24, ingest: null, lifecycle: lifecycleSettings(env) },
    );
    expect(await dispatcher().dispatchDue()).toBe(1);
    expect(bodyOf(receivedAt('/reprocess')[0] ?? { body: '{}' })).toMatchObject({
      type: 'reprocess.finished',
      data: {
        jobRunId: run.id,
        job: 'reprocess',
        from: day,
        to: day,
        days: 1,
        meterDays: 2,
        dailyRowsChanged: 0,
        billingAlerts: 0,
        requeued: 0,
      },
    });
  });
});
