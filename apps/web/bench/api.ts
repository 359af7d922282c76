/**
 * The REST API's read endpoints for `npm run bench:web` (./web.ts): each call is a real Request through
 * the whole API app (key check, rate limit, validation, query, ETag), in-process, with a key of every
 * scope made in the bench database; meters are picked in turn over the fleet, as real traffic would.
 */
import type { Db, Sql } from '@meterops/db/client';
import { createApiKey } from '@meterops/db/queries/api-keys';
import { apiScopes } from '@meterops/domain/api-keys';
import { createApiApp } from '../src/server/api/app';
import { archivedMonths, archivedReadings, archivedRevisions } from '../src/server/archive';

export async function apiEndpoints(deps: {
  db: Db;
  sql: Sql;
  /** Newest day with data. */
  last: string;
}): Promise<{ name: string; call: () => Promise<unknown> }[]> {
  const { db, sql, last } = deps;
  const { secret } = await createApiKey(db, {
    name: 'bench:web',
    scopes: [...apiScopes],
    customerId: null,
    expiresAt: new Date(Date.now() + 86_400_000),
    rateLimitPerMinute: 100_000,
    actor: { userId: null, label: 'cli:bench-web', clientAddress: null },
  });
  const app = createApiApp({
    db,
    sql,
    now: () => new Date(),
    publishReadings: () => Promise.reject(new Error('the bench only reads')),
    archive: { readings: archivedReadings, revisions: archivedRevisions, months: archivedMonths },
  });
  const meters = (
    await sql<{ id: string }[]>`select id from meters where status = 'active' order by id limit 50`
  ).map((row) => row.id);
  let turn = 0;
  const nextMeter = () => meters[turn++ % meters.length] ?? 'MTR-000001';
  const get = async (path: string) => {
    const response = await app.fetch(
      new Request(`http://bench/api/v1${path}`, { headers: { authorization: `Bearer ${secret}` } }),
    );
    if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return response.arrayBuffer();
  };
  const month = last.slice(0, 7);
  const previousMonth = new Date(Date.parse(`${month}-01T00:00:00Z`) - 86_400_000).toISOString().slice(0, 7);
  const day = last;
  const dayStart = `${day}T00:00:00Z`;
  const weekStart = new Date(Date.parse(dayStart) - 6 * 86_400_000).toISOString();
  const dayEnd = new Date(Date.parse(dayStart) + 86_400_000).toISOString();
  return [
    { name: 'api GET /meters (page of 50)', call: () => get('/meters?limit=50') },
    { name: 'api GET /meters/{id}', call: () => get(`/meters/${nextMeter()}`) },
    { name: 'api GET /customers (page of 50)', call: () => get('/customers?limit=50') },
    { name: 'api GET /tariffs', call: () => get('/tariffs') },
    { name: 'api GET /billing-periods (page of 50)', call: () => get('/billing-periods?limit=50') },
    {
      name: 'api GET /meters/{id}/readings (1 day)',
      call: () => get(`/meters/${nextMeter()}/readings?from=${dayStart}&to=${dayEnd}`),
    },
    {
      name: 'api GET /meters/{id}/readings (7 days)',
      call: () => get(`/meters/${nextMeter()}/readings?from=${weekStart}&to=${dayEnd}`),
    },
    {
      name: 'api GET /meters/{id}/readings (1 day, asOf)',
      call: () => get(`/meters/${nextMeter()}/readings?from=${dayStart}&to=${dayEnd}&asOf=${dayEnd}`),
    },
    {
      name: 'api GET /meters/{id}/readings/{t}/revisions',
      call: () => get(`/meters/${nextMeter()}/readings/${dayStart}/revisions`),
    },
    {
      name: 'api GET /meters/{id}/usage/daily (90 days)',
      call: () =>
        get(
          `/meters/${nextMeter()}/usage/daily?from=${new Date(Date.parse(dayStart) - 89 * 86_400_000).toISOString().slice(0, 10)}&to=${day}`,
        ),
    },
    {
      name: 'api GET /meters/{id}/usage/monthly (12 months)',
      call: () =>
        get(
          `/meters/${nextMeter()}/usage/monthly?from=${Number(month.slice(0, 4)) - 1}-${month.slice(5)}&to=${month}`,
        ),
    },
    {
      name: 'api GET /usage/monthly (page of 500)',
      call: () => get(`/usage/monthly?month=${previousMonth}&limit=500`),
    },
    {
      name: 'api GET /usage/monthly (final, page of 500)',
      call: () => get(`/usage/monthly?month=${previousMonth}&status=final&limit=500`),
    },
    {
      name: 'api GET /completeness (14 days)',
      call: () =>
        get(
          `/completeness?from=${new Date(Date.parse(dayStart) - 13 * 86_400_000).toISOString().slice(0, 10)}&to=${day}`,
        ),
    },
    {
      name: 'api GET /consumption (tariff, day, 90 days)',
      call: () =>
        get(
          `/consumption?dimension=tariff&granularity=day&from=${new Date(Date.parse(dayStart) - 89 * 86_400_000).toISOString().slice(0, 10)}&to=${day}`,
        ),
    },
    { name: 'api GET /settlement-periods', call: () => get(`/settlement-periods?day=${day}`) },
  ];
}
