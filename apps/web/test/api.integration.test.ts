/**
 * The REST API as an outside client uses it: the web app's API served over real HTTP, called with an
 * openapi-fetch client typed from the committed OpenAPI document (test/api/schema.d.ts), on the web app's
 * database role. Every endpoint answers, every scope is demanded, and every refusal is checked: 401, 403,
 * 404 for another customer's meter, 413, 400/422 with field paths, 429 with Retry-After, 304 with an
 * ETag. Readings delivered over HTTP go through a real Kafka topic and a real ingest worker.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import createClient from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '@meterops/db/client';
import { createApiKey, revokeApiKey } from '@meterops/db/queries/api-keys';
import { listStaffAudit } from '@meterops/db/queries/audit';
import { createCustomer, createMeter, createTariff } from '@meterops/db/queries/registry';
import { runSettlement } from '@meterops/db/queries/settlement';
import { createSupplier, switchSupplier } from '@meterops/db/queries/suppliers';
import { apiScopes, type ApiScope } from '@meterops/domain/api-keys';
import { dayUsagePath } from '@meterops/domain/events';
import { createApiApp } from '../src/server/api/app';
import { RateLimiter } from '../src/server/api/rate-limit';
import { archivedMonths, archivedReadings, archivedRevisions } from '../src/server/archive';
import type { paths } from './api/schema';
import { createTestDb, webRoleUrl } from './support';
import {
  createTestTopics,
  kafka as workerKafka,
  startIngest,
  type RunningIngest,
  type TestTopics,
} from '../../worker/test/harness';
import { createKafka } from '../../worker/src/kafka';
import { env } from '../src/env';

const owner = createTestDb();
const web = createDb({ url: webRoleUrl(), max: 4, applicationName: 'meterops-api-tests' });
const run = randomUUID().slice(0, 8);
const customerA = `api-${run}-a`;
const customerB = `api-${run}-b`;
const tariffId = `API-${run}`;
const meterA = `API-${run}-A`;
const meterB = `API-${run}-B`;
/** March 2024: a month of final days for meterA; 2024-03-10 carries readings and a revision. */
const DAY = '2024-03-10';
const actor = { userId: null, label: `cli:api-test-${run}`, clientAddress: null };

let server: ServerType;
let baseUrl: string;
let topics: TestTopics;
let ingest: RunningIngest;
const keys: Partial<Record<ApiScope | 'all' | 'customerA' | 'limited' | 'expired' | 'revoked', string>> = {};
const keyIds: string[] = [];

function clientWith(key: string | undefined) {
  return createClient<paths>({
    baseUrl: `${baseUrl}/api/v1`,
    headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
  });
}
const as = (name: keyof typeof keys) => {
  const key = keys[name];
  if (key === undefined) throw new Error(`no key ${name}`);
  return clientWith(key);
};

async function newKey(params: {
  scopes: ApiScope[];
  customerId?: string;
  expiresAt?: Date;
  rateLimitPerMinute?: number;
}) {
  const { key, secret } = await createApiKey(owner.db, {
    name: `api test ${run}`,
    scopes: params.scopes,
    customerId: params.customerId ?? null,
    expiresAt: params.expiresAt ?? null,
    rateLimitPerMinute: params.rateLimitPerMinute ?? 10_000,
    actor,
  });
  keyIds.push(key.id);
  return { key, secret };
}

beforeAll(async () => {
  const { sql } = owner;
  await createTariff(sql, {
    id: tariffId,
    name: 'API test',
    kind: 'flat',
    basePricePerKwh: 0.25,
    windows: [],
  });
  for (const id of [customerA, customerB])
    await createCustomer(sql, {
      id,
      name: `API ${id}`,
      email: null,
      region: 'api-test',
      segment: 'residential',
    });
  const meter = {
    region: 'api-test',
    segment: 'residential' as const,
    tariffId,
    intervalMinutes: 30 as const,
    timeZone: 'Europe/London',
    multiplier: 1,
    maxKwhPerInterval: 11.5,
    installedAt: new Date('2024-01-01T00:00:00Z'),
  };
  await createMeter(sql, { ...meter, id: meterA, customerId: customerA });
  await createMeter(sql, { ...meter, id: meterB, customerId: customerB });
  await sql`select ensure_readings_partition(${`${DAY}T00:00:00Z`}::timestamptz)`;
  await sql`
    insert into readings (meter_id, interval_start, kwh, quality, source, version, received_at, first_received_at)
    select ${meterA}, ${`${DAY}T00:00:00Z`}::timestamptz + make_interval(mins => 30 * i), 0.5, 'actual', 'meter', 1,
           '2024-03-11T01:00:00Z', '2024-03-11T01:00:00Z'
    from generate_series(0, 47) as i`;
  // 01:00 was corrected on 20 March: 0.5 (v1) became 0.75 (v2).
  await sql`
    update readings set kwh = 0.75, quality = 'edited', source = 'agent', version = 2, revised_at = '2024-03-20T09:00:00Z'
    where meter_id = ${meterA} and interval_start = ${`${DAY}T01:00:00Z`}`;
  await sql`
    insert into reading_revisions (meter_id, interval_start, old_kwh, new_kwh, old_quality, new_quality, old_version,
                                   new_version, source, reason, actor, created_at)
    values (${meterA}, ${`${DAY}T01:00:00Z`}, 0.5, 0.75, 'actual', 'edited', 1, 2, 'agent', 'api test correction',
            'api-test', '2024-03-20T09:00:00Z')`;
  await sql`
    insert into meter_usage_daily (meter_id, day, kwh, expected_intervals, actual_intervals, status, computed_at,
                                   finalized_at, final_version)
    select ${meterA}, d::date, 24.25, 48, 48, 'final', '2024-04-02T03:00:00Z', '2024-04-02T03:00:00Z', 1
    from generate_series('2024-03-01'::date, '2024-03-31'::date, interval '1 day') as d`;
  await sql`
    insert into meter_usage_daily (meter_id, day, kwh, expected_intervals, actual_intervals, status, computed_at)
    values (${meterB}, '2024-03-10', 10, 48, 20, 'provisional', '2024-03-10T12:00:00Z')`;

  for (const scope of apiScopes) keys[scope] = (await newKey({ scopes: [scope] })).secret;
  keys.all = (await newKey({ scopes: [...apiScopes] })).secret;
  keys.customerA = (await newKey({ scopes: ['usage:read', 'readings:read'], customerId: customerA })).secret;
  keys.limited = (await newKey({ scopes: ['usage:read'], rateLimitPerMinute: 2 })).secret;
  keys.expired = (await newKey({ scopes: ['usage:read'], expiresAt: new Date(Date.now() + 300) })).secret;
  const revoked = await newKey({ scopes: ['usage:read'] });
  await revokeApiKey(owner.db, { id: revoked.key.id, actor });
  keys.revoked = revoked.secret;

  topics = await createTestTopics(1);
  ingest = await startIngest(
    { url: env.DATABASE_URL, db: owner.db, sql: owner.sql, drop: async () => {} },
    topics,
  );
  const producer = createKafka({ brokers: env.KAFKA_BROKERS, clientId: 'meterops-api-it' }).producer();
  await producer.connect();
  const app = createApiApp(
    {
      db: web.db,
      sql: web.sql,
      now: () => new Date(),
      publishReadings: async (message) => {
        const [metadata] = await producer.send({ topic: topics.topic, acks: -1, messages: [message] });
        if (metadata === undefined) throw new Error('no position');
        return { topic: topics.topic, partition: metadata.partition, offset: Number(metadata.baseOffset) };
      },
      archive: { readings: archivedReadings, revisions: archivedRevisions, months: archivedMonths },
    },
    { limiter: new RateLimiter() },
  );
  server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  afterAll(async () => {
    await producer.disconnect();
  });
});

afterAll(async () => {
  server?.close();
  await ingest?.stop();
  await workerKafka
    .admin()
    .connect()
    .catch(() => {});
  await web.close();
  await owner.close();
});

describe('authentication and scopes', () => {
  it('answers 401 problem details without a key, with a wrong, an expired or a revoked key', async () => {
    await new Promise((resolve) => setTimeout(resolve, 400)); // the expired key was made to expire 300 ms in
    for (const client of [
      clientWith(undefined),
      clientWith('mo_000000000000_' + 'x'.repeat(43)),
      as('expired'),
      as('revoked'),
    ]) {
      const { response, error } = await client.GET('/usage/monthly', {
        params: { query: { month: '2024-03' } },
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(error).toMatchObject({ status: 401, title: 'A valid API key is required' });
    }
    const expired = await as('expired').GET('/usage/monthly', { params: { query: { month: '2024-03' } } });
    expect(expired.error?.detail).toBe('The API key has expired.');
    const revoked = await as('revoked').GET('/usage/monthly', { params: { query: { month: '2024-03' } } });
    expect(revoked.error?.detail).toBe('The API key was revoked.');
  });

  /** One call per scope; every key of another single scope is refused with 403. */
  const calls: Record<ApiScope, (key: string) => Promise<{ response: Response }>> = {
    'usage:read': (key) => clientWith(key).GET('/usage/monthly', { params: { query: { month: '2024-03' } } }),
    'readings:read': (key) =>
      clientWith(key).GET('/meters/{meterId}/readings', {
        params: { path: { meterId: meterA }, query: { from: `${DAY}T00:00:00Z`, to: `${DAY}T01:00:00Z` } },
      }),
    'readings:write': (key) =>
      clientWith(key).GET('/readings/submissions/{submissionId}', {
        params: { path: { submissionId: randomUUID() } },
      }),
    'registry:read': (key) => clientWith(key).GET('/tariffs/{tariffId}', { params: { path: { tariffId } } }),
    'registry:write': (key) =>
      clientWith(key).POST('/customers/{customerId}/deactivate', {
        params: { path: { customerId: `api-${run}-none` } },
      }),
    'metrics:read': (key) =>
      clientWith(key).GET('/settlement-periods', { params: { query: { day: '2091-01-01' } } }),
    'webhooks:read': (key) =>
      clientWith(key).GET('/webhooks/{webhookId}', { params: { path: { webhookId: randomUUID() } } }),
    'webhooks:write': (key) =>
      clientWith(key).POST('/webhooks/{webhookId}/disable', {
        params: { path: { webhookId: randomUUID() } },
      }),
    'settlement:read': (key) =>
      clientWith(key).GET('/settlement/runs', { params: { query: { region: `none-${run}`, day: DAY } } }),
  };
  const allowedStatus: Record<ApiScope, number> = {
    'usage:read': 200,
    'readings:read': 200,
    'readings:write': 404,
    'registry:read': 200,
    'registry:write': 404,
    'metrics:read': 200,
    'webhooks:read': 404,
    'webhooks:write': 404,
    'settlement:read': 200,
  };

  for (const scope of apiScopes) {
    it(`demands ${scope}`, async () => {
      for (const other of apiScopes) {
        const { response } = await calls[scope](keys[other] ?? '');
        expect(response.status, `${other} calling a ${scope} endpoint`).toBe(
          other === scope ? allowedStatus[scope] : 403,
        );
      }
    });
  }

  it('answers 429 with Retry-After past the key’s rate limit', async () => {
    const call = () => as('limited').GET('/usage/monthly', { params: { query: { month: '2024-03' } } });
    expect((await call()).response.status).toBe(200);
    expect((await call()).response.status).toBe(200);
    const { response, error } = await call();
    expect(response.status).toBe(429);
    const wait = Number(response.headers.get('retry-after'));
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(60);
    expect(error).toMatchObject({ status: 429, title: 'Too many requests' });
  });

  it('records key actions in the staff audit and the last use of a key', async () => {
    const audit = await listStaffAudit(owner.db, { actor: actor.label, limit: 100 });
    const actions = audit.map((row) => row.action);
    expect(actions.filter((action) => action === 'api_key.created')).toHaveLength(keyIds.length);
    expect(actions.filter((action) => action === 'api_key.revoked')).toHaveLength(1);
    const [used] = await owner.sql<{ lastUsedAt: Date | null }[]>`
      select last_used_at as "lastUsedAt" from api_keys where id = ${keyIds[apiScopes.indexOf('usage:read')] ?? ''}`;
    expect(used?.lastUsedAt).toBeInstanceOf(Date);
  });
});

describe('usage for billing', () => {
  it('lists last month’s final usage per meter, paged, and 304 for an unchanged page', async () => {
    const client = as('usage:read');
    const first = await client.GET('/usage/monthly', {
      params: { query: { month: '2024-03', status: 'final', limit: 1000 } },
    });
    expect(first.response.status).toBe(200);
    const mine = first.data?.data.filter((row) => row.meterId.startsWith(`API-${run}`));
    expect(mine).toEqual([
      expect.objectContaining({
        meterId: meterA,
        customerId: customerA,
        month: '2024-03',
        kwh: '751.7500',
        status: 'final',
        days: 31,
        finalDays: 31,
        daysInMonth: 31,
        expected: 1488,
        actual: 1488,
        computedAt: '2024-04-02T03:00:00.000Z',
        finalizedAt: '2024-04-02T03:00:00.000Z',
        archived: false,
      }),
    ]);
    const etag = first.response.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await client.GET('/usage/monthly', {
      params: { query: { month: '2024-03', status: 'final', limit: 1000 } },
      headers: { 'if-none-match': etag ?? '' },
    });
    expect(again.response.status).toBe(304);
  });

  it('pages with an opaque cursor', async () => {
    const client = as('usage:read');
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pageNumber = 0; pageNumber < 100; pageNumber++) {
      const { data } = await client.GET('/usage/monthly', {
        params: { query: { month: '2024-03', limit: 1, cursor } },
      });
      seen.push(...(data?.data ?? []).map((row) => row.meterId));
      if (!data?.nextCursor) break;
      cursor = data.nextCursor;
    }
    expect(seen).toEqual(expect.arrayContaining([meterA, meterB]));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('gives a meter’s days and months with status and as-of times', async () => {
    const client = as('usage:read');
    const days = await client.GET('/meters/{meterId}/usage/daily', {
      params: { path: { meterId: meterB }, query: { from: '2024-03-09', to: '2024-03-11' } },
    });
    expect(days.data?.data).toEqual([
      {
        day: '2024-03-10',
        kwh: '10.0000',
        status: 'provisional',
        expected: 48,
        actual: 20,
        estimated: 0,
        edited: 0,
        computedAt: '2024-03-10T12:00:00.000Z',
        finalizedAt: null,
        finalVersion: 0,
        archived: false,
      },
    ]);
    const months = await client.GET('/meters/{meterId}/usage/monthly', {
      params: { path: { meterId: meterB }, query: { from: '2024-01', to: '2024-04' } },
    });
    expect(months.data?.data).toEqual([
      expect.objectContaining({
        month: '2024-03',
        kwh: '10.0000',
        status: 'provisional',
        days: 1,
        finalDays: 0,
      }),
    ]);
  });

  it('shows a customer-bound key only its customer’s meters: 404 for another customer’s', async () => {
    const client = as('customerA');
    const own = await client.GET('/meters/{meterId}/usage/daily', {
      params: { path: { meterId: meterA }, query: { from: DAY, to: DAY } },
    });
    expect(own.response.status).toBe(200);
    for (const meterId of [meterB, `API-${run}-NONE`]) {
      const other = await client.GET('/meters/{meterId}/usage/daily', {
        params: { path: { meterId }, query: { from: DAY, to: DAY } },
      });
      expect(other.response.status).toBe(404);
      expect(other.error).toMatchObject({ status: 404, detail: `There is no meter ${meterId}.` });
      const readings = await client.GET('/meters/{meterId}/readings', {
        params: { path: { meterId }, query: { from: `${DAY}T00:00:00Z`, to: `${DAY}T01:00:00Z` } },
      });
      expect(readings.response.status).toBe(404);
    }
    const fleet = await client.GET('/usage/monthly', { params: { query: { month: '2024-03' } } });
    expect(fleet.data?.data.map((row) => row.meterId)).toEqual([meterA]);
  });

  it('answers 400 with the path of each invalid query parameter', async () => {
    const { response, error } = await as('usage:read').GET('/meters/{meterId}/usage/daily', {
      params: { path: { meterId: meterA }, query: { from: '2024-13-01', to: 'yesterday' } },
    });
    expect(response.status).toBe(400);
    expect(error?.errors?.map((problem) => `${problem.in}:${problem.path}`).sort()).toEqual([
      'query:from',
      'query:to',
    ]);
  });
});

describe('readings', () => {
  it('lists a meter’s readings with quality, version and flags, paged', async () => {
    const client = as('readings:read');
    const first = await client.GET('/meters/{meterId}/readings', {
      params: {
        path: { meterId: meterA },
        query: { from: `${DAY}T00:00:00Z`, to: `${DAY}T02:00:00Z`, limit: 3 },
      },
    });
    expect(
      first.data?.data.map((reading) => [
        reading.intervalStart,
        reading.kwh,
        reading.quality,
        reading.version,
      ]),
    ).toEqual([
      ['2024-03-10T00:00:00.000Z', '0.5000', 'actual', 1],
      ['2024-03-10T00:30:00.000Z', '0.5000', 'actual', 1],
      ['2024-03-10T01:00:00.000Z', '0.7500', 'edited', 2],
    ]);
    expect(first.data?.data[0]).toMatchObject({
      flags: [],
      estimationMethod: null,
      archived: false,
      source: 'meter',
    });
    const second = await client.GET('/meters/{meterId}/readings', {
      params: {
        path: { meterId: meterA },
        query: {
          from: `${DAY}T00:00:00Z`,
          to: `${DAY}T02:00:00Z`,
          limit: 3,
          cursor: first.data?.nextCursor ?? '',
        },
      },
    });
    expect(second.data?.data.map((reading) => reading.intervalStart)).toEqual(['2024-03-10T01:30:00.000Z']);
    expect(second.data?.nextCursor).toBeNull();
  });

  it('gives the readings as they stood at a past instant', async () => {
    const query = { from: `${DAY}T01:00:00Z`, to: `${DAY}T01:30:00Z` };
    const client = as('readings:read');
    const before = await client.GET('/meters/{meterId}/readings', {
      params: { path: { meterId: meterA }, query: { ...query, asOf: '2024-03-15T00:00:00Z' } },
    });
    expect(before.data?.data).toEqual([
      expect.objectContaining({ kwh: '0.5000', quality: 'actual', version: 1, flags: null }),
    ]);
    const beforeArrival = await client.GET('/meters/{meterId}/readings', {
      params: { path: { meterId: meterA }, query: { ...query, asOf: '2024-03-10T23:00:00Z' } },
    });
    expect(beforeArrival.data?.data).toEqual([]);
  });

  it('gives the revision history of an interval', async () => {
    const { data } = await as('readings:read').GET('/meters/{meterId}/readings/{intervalStart}/revisions', {
      params: { path: { meterId: meterA, intervalStart: `${DAY}T01:00:00Z` } },
    });
    expect(data?.data).toEqual([
      expect.objectContaining({
        oldKwh: '0.5000',
        newKwh: '0.7500',
        oldVersion: 1,
        newVersion: 2,
        source: 'agent',
        reason: 'api test correction',
        createdAt: '2024-03-20T09:00:00.000Z',
        archived: false,
      }),
    ]);
  });

  it('refuses a range that ends before it starts, naming the parameter', async () => {
    const { response, error } = await as('readings:read').GET('/meters/{meterId}/readings', {
      params: { path: { meterId: meterA }, query: { from: `${DAY}T02:00:00Z`, to: `${DAY}T01:00:00Z` } },
    });
    expect(response.status).toBe(400);
    expect(error?.errors).toEqual([{ in: 'query', path: 'to', message: 'Must be after from' }]);
  });
});

describe('readings over HTTP', () => {
  it('publishes a message, answers 202, and the outcome shows stored and rejected items', async () => {
    const client = as('readings:write');
    const { response, data } = await client.POST('/readings', {
      body: {
        meterId: meterA,
        readings: [
          { intervalStart: '2024-03-10T10:00:00Z', kwh: 0.5 },
          { intervalStart: '2024-03-10T10:10:00Z', kwh: 0.5 },
          { intervalStart: '2024-03-10T10:30:00Z', kwh: 0.12345 },
        ],
      },
    });
    expect(response.status).toBe(202);
    expect(data).toMatchObject({ status: 'pending', items: 3 });
    expect(response.headers.get('location')).toBe(`/api/v1/readings/submissions/${data?.id}`);
    const deadline = Date.now() + 30_000;
    let outcome;
    do {
      outcome = await client.GET('/readings/submissions/{submissionId}', {
        params: { path: { submissionId: data?.id ?? '' } },
      });
      if (outcome.data?.status === 'processed') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    } while (Date.now() < deadline);
    expect(outcome.data?.items.map((item) => [item.index, item.outcome, item.rule ?? null])).toEqual([
      [0, 'stored', null],
      [1, 'rejected', 'misaligned_interval'],
      [2, 'rejected', 'precision'],
    ]);
    const stored = await as('readings:read').GET('/meters/{meterId}/readings', {
      params: {
        path: { meterId: meterA },
        query: { from: '2024-03-10T10:00:00Z', to: '2024-03-10T10:30:00Z' },
      },
    });
    expect(stored.data?.data.map((reading) => reading.kwh)).toEqual(['0.5000']);
    // Another key does not see the submission.
    const other = await as('all').GET('/readings/submissions/{submissionId}', {
      params: { path: { submissionId: data?.id ?? '' } },
    });
    expect(other.response.status).toBe(404);
  });

  it('answers 413 for more readings than a message may carry, and for a body over the byte limit', async () => {
    const readings = Array.from({ length: 2001 }, (_, index) => ({
      intervalStart: new Date(Date.parse('2024-03-01T00:00:00Z') + index * 1_800_000).toISOString(),
      kwh: 0.1,
    }));
    const tooMany = await as('readings:write').POST('/readings', { body: { meterId: meterA, readings } });
    expect(tooMany.response.status).toBe(413);
    expect(tooMany.error).toMatchObject({ status: 413, title: 'The request body is too large' });
    const tooBig = await as('readings:write').POST('/readings', {
      body: {
        meterId: meterA,
        readings: [{ intervalStart: '2024-03-01T00:00:00Z', kwh: 0.1 }],
        source: 'x'.repeat(600_000),
      },
    });
    expect(tooBig.response.status).toBe(413);
  });

  it('answers 422 with a JSON Pointer for each invalid field of the message', async () => {
    const { response, error } = await as('readings:write').POST('/readings', {
      body: {
        meterId: '',
        readings: [{ intervalStart: '2024-03-01T00:00:00', kwh: '0.1' as unknown as number }],
      },
    });
    expect(response.status).toBe(422);
    expect([...new Set(error?.errors?.map((problem) => problem.path))].sort()).toEqual([
      '/meterId',
      '/readings/0/intervalStart',
      '/readings/0/kwh',
    ]);
  });
});

describe('registry', () => {
  it('creates, reads, updates, lists and deactivates a customer', async () => {
    const client = as('all');
    const id = `api-${run}-new`;
    const created = await client.POST('/customers', {
      body: {
        id,
        name: 'New customer',
        email: 'billing@example.test',
        region: 'api-test',
        segment: 'commercial',
      },
    });
    expect(created.response.status).toBe(201);
    expect(created.data).toMatchObject({ id, name: 'New customer', activeMeters: 0, deactivatedAt: null });
    const updated = await client.PUT('/customers/{customerId}', {
      params: { path: { customerId: id } },
      body: { name: 'Renamed', email: '', region: 'api-test', segment: 'commercial' },
    });
    expect(updated.data).toMatchObject({ name: 'Renamed', email: null });
    const listed = await client.GET('/customers', { params: { query: { search: `api-${run}` } } });
    expect(listed.data?.data.map((row) => row.id)).toEqual([customerA, customerB, id]);
    const deactivated = await client.POST('/customers/{customerId}/deactivate', {
      params: { path: { customerId: id } },
    });
    expect(deactivated.data?.deactivatedAt).toEqual(expect.any(String));
    const duplicate = await client.POST('/customers', {
      body: { id, name: 'Again', region: 'api-test', segment: 'commercial' },
    });
    expect(duplicate.response.status).toBe(422);
    expect(duplicate.error?.errors).toEqual([
      { in: 'body', path: '/id', message: `A customer with id ${id} exists` },
    ]);
  });

  it('registers and updates a meter, with field paths for refusals', async () => {
    const client = as('all');
    const id = `API-${run}-C`;
    const body = {
      customerId: customerB,
      region: 'api-test',
      segment: 'residential' as const,
      tariffId,
      intervalMinutes: 15 as const,
      timeZone: 'Europe/Amsterdam',
      multiplier: 1,
      installedAt: '2024-02-01T00:00:00+01:00',
    };
    const created = await client.POST('/meters', { body: { ...body, id } });
    expect(created.response.status).toBe(201);
    expect(created.data).toMatchObject({ id, status: 'active', installedAt: '2024-01-31T23:00:00.000Z' });
    const got = await as('registry:read').GET('/meters/{meterId}', { params: { path: { meterId: id } } });
    expect(got.data?.timeZone).toBe('Europe/Amsterdam');
    const refused = await client.PUT('/meters/{meterId}', {
      params: { path: { meterId: id } },
      body: { ...body, tariffId: `API-${run}-NONE`, timeZone: 'Mars/Olympus' },
    });
    expect(refused.response.status).toBe(422);
    expect(refused.error?.errors).toEqual([
      { in: 'body', path: '/timeZone', message: 'Not an IANA time zone, e.g. Europe/London' },
    ]);
    const deactivated = await client.POST('/meters/{meterId}/deactivate', {
      params: { path: { meterId: id } },
      body: { status: 'inactive' },
    });
    expect(deactivated.data?.status).toBe('inactive');
    const missing = await client.GET('/meters/{meterId}', {
      params: { path: { meterId: `API-${run}-NONE` } },
    });
    expect(missing.response.status).toBe(404);
  });

  it('creates, updates and cancels a billing period, and lists tariffs', async () => {
    const client = as('all');
    const created = await client.POST('/billing-periods', {
      body: { customerId: customerA, meterId: meterA, periodStart: '2024-03-01', periodEnd: '2024-03-31' },
    });
    expect(created.response.status).toBe(201);
    const periodId = created.data?.id ?? 0;
    const updated = await client.PUT('/billing-periods/{periodId}', {
      params: { path: { periodId } },
      body: { customerId: customerA, meterId: meterA, periodStart: '2024-03-01', periodEnd: '2024-03-30' },
    });
    expect(updated.data?.periodEnd).toBe('2024-03-30');
    const backwards = await client.PUT('/billing-periods/{periodId}', {
      params: { path: { periodId } },
      body: { customerId: customerA, meterId: meterA, periodStart: '2024-03-10', periodEnd: '2024-03-01' },
    });
    expect(backwards.error?.errors).toEqual([
      { in: 'body', path: '/periodEnd', message: 'The last day must be on or after the first day' },
    ]);
    const got = await client.GET('/billing-periods/{periodId}', { params: { path: { periodId } } });
    expect(got.data?.customerId).toBe(customerA);
    const list = await client.GET('/billing-periods', { params: { query: { search: meterA } } });
    expect(list.data?.data.map((row) => row.id)).toContain(periodId);
    const cancelled = await client.POST('/billing-periods/{periodId}/deactivate', {
      params: { path: { periodId } },
    });
    expect(cancelled.data?.cancelledAt).toEqual(expect.any(String));
    const again = await client.POST('/billing-periods/{periodId}/deactivate', {
      params: { path: { periodId } },
    });
    expect(again.response.status).toBe(409);
    const tariffs = await as('registry:read').GET('/tariffs', { params: { query: { search: tariffId } } });
    expect(tariffs.data?.data).toEqual([
      expect.objectContaining({ id: tariffId, kind: 'flat', basePricePerKwh: 0.25 }),
    ]);
    const meters = await as('registry:read').GET('/meters', { params: { query: { search: `API-${run}` } } });
    expect(meters.data?.data.map((row) => row.id)).toEqual(expect.arrayContaining([meterA, meterB]));
  });
});

describe('fleet figures and the document', () => {
  it('answers completeness, consumption and settlement periods', async () => {
    const client = as('metrics:read');
    const completeness = await client.GET('/completeness', {
      params: { query: { from: '2091-01-01', to: '2091-01-02' } },
    });
    expect(completeness.data).toEqual({ data: [] });
    const consumption = await client.GET('/consumption', {
      params: { query: { dimension: 'tariff', granularity: 'day', from: '2091-01-01', to: '2091-01-01' } },
    });
    expect(consumption.data).toEqual({ data: [] });
    const bad = await client.GET('/consumption', {
      params: {
        query: { dimension: 'colour' as 'tariff', granularity: 'day', from: '2091-01-01', to: '2091-01-01' },
      },
    });
    expect(bad.error?.errors?.map((problem) => problem.path)).toEqual(['dimension']);
  });

  it('serves the OpenAPI document and the reference page without a key', async () => {
    const document = await fetch(`${baseUrl}/api/v1/openapi.json`);
    expect(document.status).toBe(200);
    expect(((await document.json()) as { openapi: string }).openapi).toBe('3.1.0');
    const page = await fetch(`${baseUrl}/api/v1/docs`);
    expect(await page.text()).toContain('/api/v1/docs/scalar.js');
    const unknown = await fetch(`${baseUrl}/api/v1/nothing-here`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toBe('application/problem+json');
  });
});

describe('webhook subscriptions', () => {
  const input = {
    url: `https://hooks.example.com/meterops/${run}`,
    description: 'billing alerts',
    eventTypes: ['billing_alert.raised' as const],
    regions: ['api-test'],
    segments: [],
    meterIds: [],
  };

  it('creates an endpoint and answers its secret once, then lists, reads, changes and disables it', async () => {
    const writer = as('webhooks:write');
    const reader = as('webhooks:read');
    const created = await writer.POST('/webhooks', { body: input });
    expect(created.response.status).toBe(201);
    const webhook = created.data?.webhook;
    const secret = created.data?.secret ?? '';
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(webhook).toMatchObject({
      url: input.url,
      description: 'billing alerts',
      eventTypes: ['billing_alert.raised'],
      filter: { regions: ['api-test'], segments: [], meterIds: [] },
      enabled: true,
      secretHint: `${secret.slice(0, 10)}…`,
      previousSecretExpiresAt: null,
      pendingDeliveries: 0,
      failedLastDay: 0,
    });
    const id = webhook?.id ?? '';
    expect(created.response.headers.get('location')).toBe(`/api/v1/webhooks/${id}`);

    const read = await reader.GET('/webhooks/{webhookId}', { params: { path: { webhookId: id } } });
    expect(read.data).toEqual(webhook);
    expect(JSON.stringify(read.data)).not.toContain(secret);
    expect(read.response.headers.get('etag')).toMatch(/^"[\w-]+"$/);

    const listed: string[] = [];
    let cursor: string | undefined;
    for (let pageNumber = 0; pageNumber < 1000; pageNumber++) {
      const { data } = await reader.GET('/webhooks', { params: { query: { limit: 1, cursor } } });
      listed.push(...(data?.data ?? []).map((row) => row.id));
      if (!data?.nextCursor) break;
      cursor = data.nextCursor;
    }
    expect(listed).toContain(id);
    expect(new Set(listed).size).toBe(listed.length);

    const changed = await writer.PUT('/webhooks/{webhookId}', {
      params: { path: { webhookId: id } },
      body: { ...input, url: `${input.url}/v2`, eventTypes: ['billing_alert.raised', 'day.finalized'] },
    });
    expect(changed.response.status).toBe(200);
    expect(changed.data).toMatchObject({
      id,
      url: `${input.url}/v2`,
      eventTypes: ['billing_alert.raised', 'day.finalized'],
      enabled: true,
    });

    const disabled = await writer.POST('/webhooks/{webhookId}/disable', {
      params: { path: { webhookId: id } },
    });
    expect(disabled.response.status).toBe(200);
    expect(disabled.data).toMatchObject({ id, enabled: false });

    const audit = await listStaffAudit(owner.db, { limit: 200 });
    expect(
      audit
        .filter((row) => row.targetId === id)
        .map((row) => row.action)
        .sort(),
    ).toEqual(['webhook.created', 'webhook.disabled', 'webhook.updated']);
  });

  it('shows an endpoint’s delivery log, newest first, paged', async () => {
    const created = await as('webhooks:write').POST('/webhooks', { body: input });
    const id = created.data?.webhook.id ?? '';
    // Two test events queued for the endpoint (no worker sends them here: they stay pending).
    const eventIds: number[] = [];
    for (const note of ['first', 'second']) {
      const [event] = await owner.sql<{ id: number }[]>`
        insert into outbound_events (type, data) values ('webhook.test', ${owner.sql.json({ note })})
        returning id::int`;
      eventIds.push(event?.id ?? 0);
      await owner.sql`
        insert into webhook_deliveries (endpoint_id, event_id, payload)
        values (${id}::uuid, ${event?.id ?? 0}, ${owner.sql.json({ note })})`;
    }
    const reader = as('webhooks:read');
    const first = await reader.GET('/webhooks/{webhookId}/deliveries', {
      params: { path: { webhookId: id }, query: { limit: 1 } },
    });
    expect(first.data?.data).toEqual([
      expect.objectContaining({
        eventId: eventIds[1],
        eventType: 'webhook.test',
        status: 'pending',
        attempts: 0,
        lastStatusCode: null,
        redeliveryOf: null,
      }),
    ]);
    const second = await reader.GET('/webhooks/{webhookId}/deliveries', {
      params: { path: { webhookId: id }, query: { limit: 1, cursor: first.data?.nextCursor ?? '' } },
    });
    expect(second.data?.data.map((row) => row.eventId)).toEqual([eventIds[0]]);
    expect(second.data?.nextCursor).toBeNull();
    const failed = await reader.GET('/webhooks/{webhookId}/deliveries', {
      params: { path: { webhookId: id }, query: { status: 'failed' } },
    });
    expect(failed.data).toEqual({ data: [], nextCursor: null });
  });

  it('refuses a URL the address policy forbids with 422 at /url, and invalid fields with their paths', async () => {
    const writer = as('webhooks:write');
    for (const url of ['http://hooks.example.com/x', 'https://127.0.0.1/hook', 'https://10.1.2.3/hook']) {
      const { response, error } = await writer.POST('/webhooks', { body: { ...input, url } });
      expect(response.status, url).toBe(422);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(error?.errors?.map((field) => [field.in, field.path])).toEqual([['body', '/url']]);
    }
    const { response, error } = await writer.POST('/webhooks', {
      body: { ...input, url: 'https://hooks.example.com/x', eventTypes: [] },
    });
    expect(response.status).toBe(422);
    expect(error?.errors).toEqual([
      { in: 'body', path: '/eventTypes', message: 'choose at least one event type' },
    ]);
  });

  it('answers 404 for an endpoint that does not exist', async () => {
    const webhookId = randomUUID();
    const read = await as('webhooks:read').GET('/webhooks/{webhookId}', { params: { path: { webhookId } } });
    expect(read.response.status).toBe(404);
    expect(read.error).toMatchObject({ status: 404, detail: `There is no webhook ${webhookId}.` });
    const log = await as('webhooks:read').GET('/webhooks/{webhookId}/deliveries', {
      params: { path: { webhookId } },
    });
    expect(log.response.status).toBe(404);
    const changed = await as('webhooks:write').PUT('/webhooks/{webhookId}', {
      params: { path: { webhookId } },
      body: input,
    });
    expect(changed.response.status).toBe(404);
  });
});

describe('settlement', () => {
  const region = `apis-${run}`;
  const supplierId = `SUP-${run}`;
  const meterId = `APIS-${run}`;
  /** A day of GMT (no clock change): 48 half-hour periods. */
  const SETTLE_DAY = '2024-03-12';
  const runIds: number[] = [];

  beforeAll(async () => {
    const { sql } = owner;
    await createMeter(sql, {
      id: meterId,
      customerId: customerA,
      region,
      segment: 'residential',
      tariffId,
      intervalMinutes: 30,
      timeZone: 'Europe/London',
      multiplier: 1,
      maxKwhPerInterval: 11.5,
      installedAt: new Date('2024-01-01T00:00:00Z'),
    });
    await createSupplier(sql, { id: supplierId, name: `Supplier ${run}` });
    await switchSupplier(sql, { meterId, supplierId, from: '2024-01-01', actor: actor.label });
    await sql`select ensure_readings_partition(${`${SETTLE_DAY}T00:00:00Z`}::timestamptz)`;
    await sql`
      insert into readings (meter_id, interval_start, kwh, quality, source, version, received_at, first_received_at)
      select ${meterId}, ${`${SETTLE_DAY}T00:00:00Z`}::timestamptz + make_interval(mins => 30 * i), 0.5, 'actual',
             'meter', 1, '2024-03-13T01:00:00Z', '2024-03-13T01:00:00Z'
      from generate_series(0, 47) as i`;
    const initial = await runSettlement(sql, {
      day: SETTLE_DAY,
      region,
      runType: 'initial',
      actor: actor.label,
      settleMarginMs: 0,
    });
    runIds.push(initial.run.id);
    // Period 3 (01:00–01:30) corrected from 0.5 to 0.75 after the initial run.
    await sql`
      update readings set kwh = 0.75, quality = 'edited', source = 'agent', version = 2, revised_at = now()
      where meter_id = ${meterId} and interval_start = ${`${SETTLE_DAY}T01:00:00Z`}`;
    await sql`
      insert into reading_revisions (meter_id, interval_start, old_kwh, new_kwh, old_quality, new_quality,
                                     old_version, new_version, source, reason, actor, created_at)
      values (${meterId}, ${`${SETTLE_DAY}T01:00:00Z`}, 0.5, 0.75, 'actual', 'edited', 1, 2, 'agent',
              'api settlement test', 'api-test', now())`;
    const r1 = await runSettlement(sql, {
      day: SETTLE_DAY,
      region,
      runType: 'r1',
      actor: actor.label,
      settleMarginMs: 0,
    });
    runIds.push(r1.run.id);
  });

  it('lists the runs of a region and day, newest first', async () => {
    const { data, response } = await as('settlement:read').GET('/settlement/runs', {
      params: { query: { region, day: SETTLE_DAY } },
    });
    expect(response.status).toBe(200);
    expect(data?.nextCursor).toBeNull();
    expect(data?.data.map((row) => [row.id, row.runType, row.version, row.previousRunId])).toEqual([
      [runIds[1], 'r1', 1, runIds[0]],
      [runIds[0], 'initial', 1, null],
    ]);
    expect(data?.data[0]).toMatchObject({
      day: SETTLE_DAY,
      region,
      timeZone: 'Europe/London',
      dayStart: `${SETTLE_DAY}T00:00:00.000Z`,
      dayEnd: '2024-03-13T00:00:00.000Z',
      periods: 48,
      meters: 1,
      suppliers: 1,
      readings: 48,
      estimatedReadings: 0,
    });
    expect(data?.data.map((row) => [row.kwh, row.regionKwh])).toEqual([
      ['24.2500', '24.2500'],
      ['24.0000', '24.0000'],
    ]);
  });

  it('gives a run with its totals per supplier', async () => {
    const { data } = await as('settlement:read').GET('/settlement/runs/{runId}', {
      params: { path: { runId: runIds[1] ?? 0 } },
    });
    expect(data?.run).toMatchObject({ id: runIds[1], runType: 'r1', kwh: '24.2500' });
    expect(data?.suppliers).toEqual([
      {
        supplierId,
        supplierName: `Supplier ${run}`,
        kwh: '24.2500',
        estimatedKwh: '0.0000',
        readings: 48,
        estimatedReadings: 0,
      },
    ]);
  });

  it('gives the differences against the previous run and the readings that caused them', async () => {
    const client = as('settlement:read');
    const r1 = await client.GET('/settlement/runs/{runId}/differences', {
      params: { path: { runId: runIds[1] ?? 0 } },
    });
    expect(r1.data).toEqual({
      previousRunId: runIds[0],
      data: [{ supplierId, period: 3, kwhBefore: '0.5000', kwhAfter: '0.7500', kwhDelta: '0.2500' }],
      causes: [
        expect.objectContaining({
          meterId,
          intervalStart: `${SETTLE_DAY}T01:00:00.000Z`,
          period: 3,
          supplierBefore: supplierId,
          supplierAfter: supplierId,
          kwhBefore: '0.5000',
          kwhAfter: '0.7500',
        }),
      ],
      moreCauses: 0,
    });
    const initial = await client.GET('/settlement/runs/{runId}/differences', {
      params: { path: { runId: runIds[0] ?? 0 } },
    });
    expect(initial.data).toEqual({ previousRunId: null, data: [], causes: [], moreCauses: 0 });
  });

  it('serves the settlement file of a run and supplier as CSV, one row per period', async () => {
    const response = await fetch(
      `${baseUrl}/api/v1/settlement/runs/${runIds[1]}/suppliers/${supplierId}/file`,
      { headers: { authorization: `Bearer ${keys['settlement:read']}` } },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="settlement-${region}-${SETTLE_DAY}-r1-v1-${supplierId}.csv"`,
    );
    const lines = (await response.text()).trimEnd().split('\r\n');
    expect(lines).toHaveLength(49);
    expect(lines[0]).toBe(
      'settlement_day,region,supplier_id,run_id,run_type,run_version,as_of_utc,period,period_start_utc,period_start_local,period_end_utc,kwh,estimated_kwh,readings,estimated_readings',
    );
    expect(lines[3]?.split(',').slice(7)).toEqual([
      '3',
      `${SETTLE_DAY}T01:00:00.000Z`,
      expect.stringMatching(/^2024-03-12T01:00:00/),
      `${SETTLE_DAY}T01:30:00.000Z`,
      '0.7500',
      '0.0000',
      '1',
      '0',
    ]);
    expect(lines[1]?.split(',').slice(11)).toEqual(['0.5000', '0.0000', '1', '0']);
  });

  it('answers 404 for a run that does not exist and 403 without the scope', async () => {
    const missing = await as('settlement:read').GET('/settlement/runs/{runId}', {
      params: { path: { runId: 2_000_000_000 } },
    });
    expect(missing.response.status).toBe(404);
    expect(missing.error).toMatchObject({ status: 404, detail: 'There is no settlement run 2000000000.' });
    const file = await fetch(`${baseUrl}/api/v1/settlement/runs/2000000000/suppliers/${supplierId}/file`, {
      headers: { authorization: `Bearer ${keys['settlement:read']}` },
    });
    expect(file.status).toBe(404);
    expect(file.headers.get('content-type')).toBe('application/problem+json');
    for (const path of [
      `/settlement/runs/${runIds[0]}`,
      `/settlement/runs/${runIds[0]}/differences`,
      `/settlement/runs/${runIds[0]}/suppliers/${supplierId}/file`,
    ]) {
      const refused = await fetch(`${baseUrl}/api/v1${path}`, {
        headers: { authorization: `Bearer ${keys['metrics:read']}` },
      });
      expect(refused.status, path).toBe(403);
    }
  });
});

describe('usage of a day (the usagePath of day.finalized)', () => {
  it('serves dayUsagePath: every meter’s final usage of the day, paged', async () => {
    const path = dayUsagePath(DAY);
    expect(path).toBe(`/api/v1/usage/daily?day=${DAY}&status=final`);
    const response = await fetch(`${baseUrl}${path}&limit=1000`, {
      headers: { authorization: `Bearer ${keys['usage:read']}` },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: { meterId: string }[]; nextCursor: string | null };
    expect(body.data.filter((row) => row.meterId.startsWith(`API-${run}`))).toEqual([
      {
        meterId: meterA,
        customerId: customerA,
        day: DAY,
        kwh: '24.2500',
        status: 'final',
        expected: 48,
        actual: 48,
        estimated: 0,
        edited: 0,
        computedAt: '2024-04-02T03:00:00.000Z',
        finalizedAt: '2024-04-02T03:00:00.000Z',
        finalVersion: 1,
        archived: false,
      },
    ]);
    const all = await as('customerA').GET('/usage/daily', { params: { query: { day: DAY } } });
    expect(all.data?.data.map((row) => [row.meterId, row.status])).toEqual([[meterA, 'final']]);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pageNumber = 0; pageNumber < 1000; pageNumber++) {
      const { data } = await as('usage:read').GET('/usage/daily', {
        params: { query: { day: DAY, limit: 1, cursor } },
      });
      seen.push(...(data?.data ?? []).map((row) => row.meterId));
      if (!data?.nextCursor) break;
      cursor = data.nextCursor;
    }
    expect(seen).toEqual(expect.arrayContaining([meterA, meterB]));
    expect(new Set(seen).size).toBe(seen.length);
  });
});
