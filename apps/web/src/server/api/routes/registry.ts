/**
 * The registry over HTTP: meters, customers, tariffs and billing periods, listed, read, created, updated
 * and deactivated through the same query functions (and input schemas) as the portal's registry.
 */
import { createRoute } from '@hono/zod-openapi';
import { maxKwhPerInterval } from '@meterops/db/fleet';
import {
  cancelBillingPeriod,
  createCustomer,
  createMeter,
  createRegistryBillingPeriod,
  createTariff,
  deactivateCustomer,
  deactivateMeter,
  deactivateTariff,
  getBillingPeriod,
  getCustomer,
  getMeter,
  getTariff,
  listBillingPeriods,
  listCustomers,
  listMeters,
  listTariffs,
  updateCustomer,
  updateMeter,
  updateRegistryBillingPeriod,
  updateTariff,
  type PeriodRefusal,
  type RegistryBillingPeriod,
  type RegistryCustomer,
  type RegistryMeter,
  type RegistryTariff,
} from '@meterops/db/queries/registry';
import { decodeCursor, encodeCursor } from '../cursor';
import { ApiProblem, type ApiApp, type ApiContext } from '../app-types';
import { iso, isoOrNull, json, notModified, problems } from '../route-kit';
import {
  billingPeriodBody,
  billingPeriodSchema,
  customerCreateBody,
  customerIdParam,
  customerSchema,
  customerUpdateBody,
  meterCreateBody,
  meterDeactivateBody,
  meterIdParam,
  meterSchema,
  meterUpdateBody,
  page,
  periodIdParam,
  searchPageQuery,
  tariffCreateBody,
  tariffIdParam,
  tariffSchema,
  tariffUpdateBody,
} from '../schemas';

const meterOut = (meter: RegistryMeter) => ({
  ...meter,
  installedAt: iso(meter.installedAt),
  removedAt: isoOrNull(meter.removedAt),
});
const customerOut = (customer: RegistryCustomer) => ({
  ...customer,
  createdAt: iso(customer.createdAt),
  deactivatedAt: isoOrNull(customer.deactivatedAt),
});
const tariffOut = (tariff: RegistryTariff) => ({ ...tariff, deactivatedAt: isoOrNull(tariff.deactivatedAt) });
const periodOut = (period: RegistryBillingPeriod) => ({
  ...period,
  invoicedAt: isoOrNull(period.invoicedAt),
  cancelledAt: isoOrNull(period.cancelledAt),
});

function found<T>(row: T | null, what: string): T {
  if (row === null) throw ApiProblem.notFound(`There is no ${what}.`);
  return row;
}

function periodOutcome(outcome: RegistryBillingPeriod | PeriodRefusal, id: number): RegistryBillingPeriod {
  if (outcome === 'not_found') throw ApiProblem.notFound(`There is no billing period ${id}.`);
  if (outcome === 'invoiced')
    throw ApiProblem.conflict(`Billing period ${id} is invoiced; it stays as billed.`);
  if (outcome === 'cancelled') throw ApiProblem.conflict(`Billing period ${id} is cancelled.`);
  return outcome;
}

/** The registry's list functions take the last key of the previous page as their cursor. */
function listCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const after = decodeCursor(cursor);
  if (after === undefined) throw ApiProblem.invalidQuery('cursor', 'Not a cursor this API returned');
  return String(after);
}

const pageOut = <R, O>(result: { rows: R[]; nextCursor: string | null }, out: (row: R) => O) => ({
  data: result.rows.map(out),
  nextCursor: result.nextCursor === null ? null : encodeCursor(result.nextCursor),
});

const readErrors = problems(400, 401, 403, 429);
const writeErrors = problems(400, 401, 403, 404, 409, 422, 429);

export function registerRegistryRoutes(app: ApiApp, ctx: ApiContext): void {
  const { sql, requireScope } = ctx;
  const read = requireScope('registry:read');
  const write = requireScope('registry:write');

  // Meters -------------------------------------------------------------------------------------------
  app.openapi(
    createRoute({
      method: 'get',
      path: '/meters',
      tags: ['Registry'],
      summary: 'List meters',
      middleware: [read] as const,
      request: { query: searchPageQuery },
      responses: { 200: json(page(meterSchema), 'A page of meters'), ...notModified, ...readErrors },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const result = await listMeters(sql, {
        search: query.search,
        cursor: listCursor(query.cursor),
        limit: query.limit,
      });
      return c.json(pageOut(result, meterOut), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/meters/{meterId}',
      tags: ['Registry'],
      summary: 'Get a meter',
      middleware: [read] as const,
      request: { params: meterIdParam },
      responses: {
        200: json(meterSchema, 'The meter'),
        ...notModified,
        ...problems(400, 401, 403, 404, 429),
      },
    }),
    async (c) => {
      const { meterId } = c.req.valid('param');
      return c.json(meterOut(found(await getMeter(sql, { id: meterId }), `meter ${meterId}`)), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/meters',
      tags: ['Registry'],
      summary: 'Register a meter',
      description:
        'The worker looks up every meter id it does not know before rejecting a reading as unknown_meter, so readings sent from now on are accepted without a restart.',
      middleware: [write] as const,
      request: { body: { content: { 'application/json': { schema: meterCreateBody } }, required: true } },
      responses: { 201: json(meterSchema, 'The registered meter'), ...writeErrors },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const meter = await createMeter(sql, {
        ...body,
        installedAt: new Date(body.installedAt),
        maxKwhPerInterval: body.maxKwhPerInterval ?? maxKwhPerInterval(body.segment, body.intervalMinutes),
      });
      return c.json(meterOut(meter), 201);
    },
  );
  app.openapi(
    createRoute({
      method: 'put',
      path: '/meters/{meterId}',
      tags: ['Registry'],
      summary: 'Update a meter',
      middleware: [write] as const,
      request: {
        params: meterIdParam,
        body: { content: { 'application/json': { schema: meterUpdateBody } }, required: true },
      },
      responses: { 200: json(meterSchema, 'The updated meter'), ...writeErrors },
    }),
    async (c) => {
      const { meterId } = c.req.valid('param');
      const body = c.req.valid('json');
      const meter = await updateMeter(sql, {
        ...body,
        id: meterId,
        installedAt: new Date(body.installedAt),
        maxKwhPerInterval: body.maxKwhPerInterval ?? maxKwhPerInterval(body.segment, body.intervalMinutes),
      });
      return c.json(meterOut(found(meter, `meter ${meterId}`)), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/meters/{meterId}/deactivate',
      tags: ['Registry'],
      summary: 'Make a meter inactive, or removed at an instant',
      middleware: [write] as const,
      request: {
        params: meterIdParam,
        body: { content: { 'application/json': { schema: meterDeactivateBody } }, required: true },
      },
      responses: { 200: json(meterSchema, 'The meter'), ...writeErrors },
    }),
    async (c) => {
      const { meterId } = c.req.valid('param');
      const body = c.req.valid('json');
      const meter = await deactivateMeter(sql, {
        id: meterId,
        status: body.status,
        removedAt: body.removedAt ? new Date(body.removedAt) : null,
      });
      return c.json(meterOut(found(meter, `meter ${meterId}`)), 200);
    },
  );

  // Customers ----------------------------------------------------------------------------------------
  app.openapi(
    createRoute({
      method: 'get',
      path: '/customers',
      tags: ['Registry'],
      summary: 'List customers',
      middleware: [read] as const,
      request: { query: searchPageQuery },
      responses: { 200: json(page(customerSchema), 'A page of customers'), ...notModified, ...readErrors },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const result = await listCustomers(sql, {
        search: query.search,
        cursor: listCursor(query.cursor),
        limit: query.limit,
      });
      return c.json(pageOut(result, customerOut), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/customers/{customerId}',
      tags: ['Registry'],
      summary: 'Get a customer',
      middleware: [read] as const,
      request: { params: customerIdParam },
      responses: {
        200: json(customerSchema, 'The customer'),
        ...notModified,
        ...problems(400, 401, 403, 404, 429),
      },
    }),
    async (c) => {
      const { customerId } = c.req.valid('param');
      const customer = found(await getCustomer(sql, { id: customerId }), `customer ${customerId}`);
      return c.json(customerOut(customer), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/customers',
      tags: ['Registry'],
      summary: 'Create a customer',
      middleware: [write] as const,
      request: { body: { content: { 'application/json': { schema: customerCreateBody } }, required: true } },
      responses: { 201: json(customerSchema, 'The customer'), ...writeErrors },
    }),
    async (c) => {
      const body = c.req.valid('json');
      return c.json(customerOut(await createCustomer(sql, { ...body, email: body.email || null })), 201);
    },
  );
  app.openapi(
    createRoute({
      method: 'put',
      path: '/customers/{customerId}',
      tags: ['Registry'],
      summary: 'Update a customer',
      middleware: [write] as const,
      request: {
        params: customerIdParam,
        body: { content: { 'application/json': { schema: customerUpdateBody } }, required: true },
      },
      responses: { 200: json(customerSchema, 'The customer'), ...writeErrors },
    }),
    async (c) => {
      const { customerId } = c.req.valid('param');
      const body = c.req.valid('json');
      const customer = await updateCustomer(sql, { ...body, id: customerId, email: body.email || null });
      return c.json(customerOut(found(customer, `customer ${customerId}`)), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/customers/{customerId}/deactivate',
      tags: ['Registry'],
      summary: 'Deactivate a customer (refused while it has active meters)',
      middleware: [write] as const,
      request: { params: customerIdParam },
      responses: { 200: json(customerSchema, 'The customer'), ...writeErrors },
    }),
    async (c) => {
      const { customerId } = c.req.valid('param');
      const customer = await deactivateCustomer(sql, { id: customerId });
      return c.json(customerOut(found(customer, `customer ${customerId}`)), 200);
    },
  );

  // Tariffs ------------------------------------------------------------------------------------------
  app.openapi(
    createRoute({
      method: 'get',
      path: '/tariffs',
      tags: ['Registry'],
      summary: 'List tariffs',
      middleware: [read] as const,
      request: { query: searchPageQuery },
      responses: { 200: json(page(tariffSchema), 'A page of tariffs'), ...notModified, ...readErrors },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const result = await listTariffs(sql, {
        search: query.search,
        cursor: listCursor(query.cursor),
        limit: query.limit,
      });
      return c.json(pageOut(result, tariffOut), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/tariffs/{tariffId}',
      tags: ['Registry'],
      summary: 'Get a tariff',
      middleware: [read] as const,
      request: { params: tariffIdParam },
      responses: {
        200: json(tariffSchema, 'The tariff'),
        ...notModified,
        ...problems(400, 401, 403, 404, 429),
      },
    }),
    async (c) => {
      const { tariffId } = c.req.valid('param');
      return c.json(tariffOut(found(await getTariff(sql, { id: tariffId }), `tariff ${tariffId}`)), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/tariffs',
      tags: ['Registry'],
      summary: 'Create a tariff',
      middleware: [write] as const,
      request: { body: { content: { 'application/json': { schema: tariffCreateBody } }, required: true } },
      responses: { 201: json(tariffSchema, 'The tariff'), ...writeErrors },
    }),
    async (c) => c.json(tariffOut(await createTariff(sql, c.req.valid('json'))), 201),
  );
  app.openapi(
    createRoute({
      method: 'put',
      path: '/tariffs/{tariffId}',
      tags: ['Registry'],
      summary: 'Update a tariff',
      middleware: [write] as const,
      request: {
        params: tariffIdParam,
        body: { content: { 'application/json': { schema: tariffUpdateBody } }, required: true },
      },
      responses: { 200: json(tariffSchema, 'The tariff'), ...writeErrors },
    }),
    async (c) => {
      const { tariffId } = c.req.valid('param');
      const tariff = await updateTariff(sql, { ...c.req.valid('json'), id: tariffId });
      return c.json(tariffOut(found(tariff, `tariff ${tariffId}`)), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/tariffs/{tariffId}/deactivate',
      tags: ['Registry'],
      summary: 'Deactivate a tariff (refused while active meters are on it)',
      middleware: [write] as const,
      request: { params: tariffIdParam },
      responses: { 200: json(tariffSchema, 'The tariff'), ...writeErrors },
    }),
    async (c) => {
      const { tariffId } = c.req.valid('param');
      return c.json(
        tariffOut(found(await deactivateTariff(sql, { id: tariffId }), `tariff ${tariffId}`)),
        200,
      );
    },
  );

  // Billing periods ----------------------------------------------------------------------------------
  app.openapi(
    createRoute({
      method: 'get',
      path: '/billing-periods',
      tags: ['Registry'],
      summary: 'List billing periods',
      middleware: [read] as const,
      request: { query: searchPageQuery },
      responses: {
        200: json(page(billingPeriodSchema), 'A page of billing periods'),
        ...notModified,
        ...readErrors,
      },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const result = await listBillingPeriods(sql, {
        search: query.search,
        cursor: listCursor(query.cursor),
        limit: query.limit,
      });
      return c.json(pageOut(result, periodOut), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/billing-periods/{periodId}',
      tags: ['Registry'],
      summary: 'Get a billing period',
      middleware: [read] as const,
      request: { params: periodIdParam },
      responses: {
        200: json(billingPeriodSchema, 'The billing period'),
        ...notModified,
        ...problems(400, 401, 403, 404, 429),
      },
    }),
    async (c) => {
      const { periodId } = c.req.valid('param');
      const period = found(await getBillingPeriod(sql, { id: periodId }), `billing period ${periodId}`);
      return c.json(periodOut(period), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/billing-periods',
      tags: ['Registry'],
      summary: 'Create a billing period',
      middleware: [write] as const,
      request: { body: { content: { 'application/json': { schema: billingPeriodBody } }, required: true } },
      responses: { 201: json(billingPeriodSchema, 'The billing period'), ...writeErrors },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const period = await createRegistryBillingPeriod(sql, { ...body, meterId: body.meterId || null });
      return c.json(periodOut(period), 201);
    },
  );
  app.openapi(
    createRoute({
      method: 'put',
      path: '/billing-periods/{periodId}',
      tags: ['Registry'],
      summary: 'Update an open billing period',
      middleware: [write] as const,
      request: {
        params: periodIdParam,
        body: { content: { 'application/json': { schema: billingPeriodBody } }, required: true },
      },
      responses: { 200: json(billingPeriodSchema, 'The billing period'), ...writeErrors },
    }),
    async (c) => {
      const { periodId } = c.req.valid('param');
      const body = c.req.valid('json');
      const outcome = await updateRegistryBillingPeriod(sql, {
        ...body,
        id: periodId,
        meterId: body.meterId || null,
      });
      return c.json(periodOut(periodOutcome(outcome, periodId)), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/billing-periods/{periodId}/deactivate',
      tags: ['Registry'],
      summary: 'Cancel an open billing period (an invoiced one stays)',
      middleware: [write] as const,
      request: { params: periodIdParam },
      responses: { 200: json(billingPeriodSchema, 'The billing period'), ...writeErrors },
    }),
    async (c) => {
      const { periodId } = c.req.valid('param');
      return c.json(
        periodOut(periodOutcome(await cancelBillingPeriod(sql, { id: periodId }), periodId)),
        200,
      );
    },
  );
}
