/**
 * Every procedure of the app router, called under every role and signed out. The table below is the
 * access policy; a procedure added to the router without an entry here fails the first test, so nothing
 * ships without a decision about who may call it. The procedures run on the web app's least-privileged
 * database role (meterops_web), so an allowed call also proves the role has the grants it needs.
 */
import { randomUUID } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRole } from '@meterops/db/queries/auth';
import { createApiKey } from '@meterops/db/queries/api-keys';
import { userRole } from '@meterops/db/schema';
import { SESSION_COOKIE } from '../src/server/auth/cookie';
import { appRouter, createCaller } from '../src/server/root';
import { authedProcedure, createCallerFactory, router, withRole } from '../src/server/trpc';
import {
  contextFor,
  contextWithCookie,
  createTestDb,
  ensureTestInfluxDatabase,
  TEST_PASSWORD,
  TestData,
  type TestUser,
  webRoleUrl,
} from './support';
import { FIXTURE_DAY, PortalFixture } from './portal-fixtures';
import { RegistryFixture } from './registry-fixtures';

type Access = 'public' | 'authed' | readonly UserRole[];

interface Expectation {
  access: Access;
  /** Input for a call that should succeed when access is allowed. */
  input?: (fixture: {
    probe: TestUser;
    resetTarget: TestUser;
    portal: PortalFixture;
    registry: RegistryFixture;
  }) => unknown;
}

/** The operations pages: operators and admins only. */
const ops = ['operator', 'admin'] as const;
const service = ['agent', 'admin'] as const;
const admin = ['admin'] as const;
const customer = ['customer'] as const;
/** Meters of the registry: everyone on the staff side reads them. */
const staff = ['operator', 'agent', 'admin'] as const;
/** A day no other test writes, so the ops queries answer quickly with nothing. */
const quietDay = '2091-01-01';

const expectations: Record<string, Expectation> = {
  'auth.signIn': {
    access: 'public',
    input: ({ probe }) => ({ email: probe.email, password: TEST_PASSWORD }),
  },
  'auth.signOut': { access: 'public' },
  'auth.me': { access: 'authed' },
  // Each actor changes its own password (the actor's account is used only through fresh sessions after).
  'auth.changePassword': {
    access: 'authed',
    input: () => ({
      currentPassword: TEST_PASSWORD,
      newPassword: 'a fresh matrix passphrase',
      confirmPassword: 'a fresh matrix passphrase',
    }),
  },
  'status.health': { access: 'public' },
  'status.ingest': { access: 'public' },
  'pipeline.throughput': { access: ops, input: () => ({ range: '1h' }) },
  'pipeline.latency': { access: ops, input: () => ({ range: '15m' }) },
  'pipeline.rules': { access: ops, input: () => ({ range: '24h' }) },
  'pipeline.consumers': { access: ops, input: () => ({ range: '1h' }) },
  'pipeline.workers': { access: ops, input: () => ({ range: '1h' }) },
  'completeness.overview': { access: ops, input: () => ({ from: quietDay, to: quietDay }) },
  'completeness.meterGaps': { access: ops, input: () => ({ day: quietDay, region: 'security-test' }) },
  'completeness.timeliness': { access: ops, input: () => ({ day: quietDay, region: 'security-test' }) },
  'consumption.filters': { access: ops },
  'consumption.byDimension': {
    access: ops,
    input: () => ({ dimension: 'tariff', granularity: 'day', from: quietDay, to: quietDay }),
  },
  'consumption.settlement': { access: ops, input: () => ({ day: quietDay }) },
  'consumption.forecast': { access: ops, input: () => ({ day: quietDay }) },
  'rejects.list': { access: ops, input: () => ({ meterId: 'SECURITY-TEST', page: 1 }) },
  'rejects.byRule': { access: ops, input: () => ({ meterId: 'SECURITY-TEST' }) },
  // The actions select nothing open, so an allowed call changes nothing and publishes nothing.
  'rejects.openCount': { access: ops, input: () => ({ meterId: 'SECURITY-TEST' }) },
  'rejects.redrive': { access: ops, input: () => ({ meterId: 'SECURITY-TEST', rule: 'security_test' }) },
  'rejects.dismiss': {
    access: ops,
    input: () => ({ meterId: 'SECURITY-TEST', rule: 'security_test', reason: 'security test' }),
  },
  'rejects.redriveMeterCount': { access: ops, input: () => ({ meterId: 'SECURITY-TEST' }) },
  'rejects.redriveMeter': { access: ops, input: ({ portal }) => ({ meterId: portal.meterId }) },
  // Customer service: agents and admins. The portal fixture's meter belongs to the customer actor.
  'service.search': { access: service, input: ({ portal }) => ({ query: portal.meterId }) },
  'service.meter': { access: service, input: ({ portal }) => ({ meterId: portal.meterId }) },
  'service.days': {
    access: service,
    input: ({ portal }) => ({ meterId: portal.meterId, from: FIXTURE_DAY, to: FIXTURE_DAY }),
  },
  'service.day': { access: service, input: ({ portal }) => ({ meterId: portal.meterId, day: FIXTURE_DAY }) },
  'service.revisions': {
    access: service,
    input: ({ portal }) => ({ meterId: portal.meterId, day: FIXTURE_DAY }),
  },
  'service.reviewQueue': { access: service, input: () => ({ from: FIXTURE_DAY, to: FIXTURE_DAY }) },
  'readings.correct': {
    access: service,
    input: ({ portal }) => ({
      meterId: portal.meterId,
      intervalStart: portal.nextFreeInterval(),
      kwh: '0.3125',
      reason: 'security test: fill a missing interval',
      expectedVersion: null,
    }),
  },
  'readings.accept': {
    access: service,
    input: ({ portal }) => ({
      meterId: portal.meterId,
      intervalStart: portal.nextFlaggedForAccept(),
      reason: 'security test: the spike is real',
      expectedVersion: 1,
    }),
  },
  'readings.estimate': {
    access: service,
    input: ({ portal }) => ({
      meterId: portal.meterId,
      intervalStart: portal.nextFlaggedForEstimate(),
      reason: 'security test: replace the spike',
      expectedVersion: 1,
    }),
  },
  // Alerting: operators work the alerts; admins edit rules and channels.
  'alerts.list': { access: ops, input: () => ({ view: 'all' }) },
  'alerts.count': { access: ops },
  'alerts.acknowledge': { access: ops, input: () => ({ id: 2_000_000_000, note: 'security test' }) },
  'alerts.silences': { access: ops },
  'alerts.silence': {
    access: ops,
    input: () => ({ ruleId: 'freshness', subject: null, minutes: 5, reason: 'security test' }),
  },
  'alerts.endSilence': { access: ops, input: () => ({ id: 2_000_000_000 }) },
  'alerts.config': { access: admin },
  'alerts.updateRule': {
    access: admin,
    input: () => ({
      id: 'billing-alert',
      enabled: true,
      severity: 'warning',
      forSeconds: 0,
      clearSeconds: 0,
      params: {},
    }),
  },
  'alerts.saveChannel': {
    access: admin,
    input: () => ({
      name: `security test ${randomUUID()}`,
      kind: 'email',
      enabled: false,
      emailTo: ['ops@example.test'],
      webhookEndpointId: null,
      ruleIds: [],
      minSeverity: 'critical',
      sendResolved: false,
    }),
  },
  'alerts.deleteChannel': { access: admin, input: () => ({ id: 2_000_000_000 }) },
  // Administration: admins only.
  'jobs.list': { access: admin, input: () => ({}) },
  'jobs.get': { access: admin, input: ({ portal }) => ({ id: portal.runId }) },
  'jobs.start': {
    access: admin,
    input: ({ portal }) => ({
      name: 'reprocess',
      from: FIXTURE_DAY,
      to: FIXTURE_DAY,
      meterIds: [portal.meterId],
    }),
  },
  'jobs.cancel': { access: admin, input: ({ portal }) => ({ id: portal.runId }) },
  'billing.alerts': { access: admin, input: ({ portal }) => ({ open: false, meterId: portal.meterId }) },
  'billing.acknowledge': { access: admin, input: ({ portal }) => ({ id: portal.alertId }) },
  'apiKeys.list': { access: admin },
  'apiKeys.create': {
    access: admin,
    input: () => ({ name: 'security test key', scopes: ['usage:read'] }),
  },
  // The first allowed call revokes the key; later ones answer it as it is (revoked once, audited once).
  'apiKeys.revoke': { access: admin, input: () => ({ id: revocableKeyId }) },
  'users.list': { access: admin },
  'users.create': {
    access: admin,
    input: ({ portal }) => ({
      email: portal.newEmail(),
      name: 'Security test',
      password: 'a long enough password',
      role: 'agent',
    }),
  },
  'users.setRole': { access: admin, input: ({ probe }) => ({ id: probe.id, role: 'operator' }) },
  'users.setDisabled': { access: admin, input: ({ probe }) => ({ id: probe.id, disabled: false }) },
  'users.resetPassword': { access: admin, input: ({ resetTarget }) => ({ id: resetTarget.id }) },
  'audit.list': { access: admin, input: () => ({ action: 'user.role_changed' }) },
  'webhooks.list': { access: admin, input: () => ({}) },
  'webhooks.create': {
    access: admin,
    input: () => ({
      url: 'https://receiver.example.com/security-test',
      description: 'security test',
      eventTypes: ['billing_alert.raised'],
    }),
  },
  'webhooks.update': {
    access: admin,
    input: ({ portal }) => ({
      id: portal.webhookEndpointId,
      url: 'https://receiver.example.com/meterops',
      description: 'web test, changed',
      eventTypes: ['day.finalized', 'billing_alert.raised'],
      regions: [portal.region],
    }),
  },
  'webhooks.setEnabled': {
    access: admin,
    input: ({ portal }) => ({ id: portal.webhookEndpointId, enabled: true }),
  },
  'webhooks.rotateSecret': { access: admin, input: ({ portal }) => ({ id: portal.webhookEndpointId }) },
  'webhooks.deliveries': { access: admin, input: ({ portal }) => ({ endpointId: portal.webhookEndpointId }) },
  'webhooks.delivery': { access: admin, input: ({ portal }) => ({ id: portal.webhookDeliveryId }) },
  'webhooks.redeliver': { access: admin, input: ({ portal }) => ({ id: portal.webhookDeliveryId }) },
  'webhooks.sendTest': { access: admin, input: ({ portal }) => ({ id: portal.webhookEndpointId }) },
  // The registry: admins write; agents read all of it, operators read meters. Writes that succeed touch
  // the registry fixture's own rows only (deactivations its spare rows, which nothing refers to).
  'registry.meters.list': { access: staff, input: ({ registry }) => ({ search: registry.prefix }) },
  'registry.meters.get': { access: staff, input: ({ registry }) => ({ id: registry.meterId }) },
  'registry.meters.create': {
    access: admin,
    input: ({ registry }) => registry.meterInput(registry.newId('M')),
  },
  'registry.meters.update': { access: admin, input: ({ registry }) => registry.meterInput(registry.meterId) },
  'registry.meters.deactivate': {
    access: admin,
    input: ({ registry }) => ({ id: registry.spareMeterId, status: 'inactive' }),
  },
  'registry.meters.reactivate': { access: admin, input: ({ registry }) => ({ id: registry.meterId }) },
  'registry.meters.suppliers': { access: staff, input: ({ registry }) => ({ id: registry.meterId }) },
  'registry.meters.switchSupplier': {
    access: admin,
    input: ({ registry }) => ({
      meterId: registry.meterId,
      supplierId: registry.otherSupplierId,
      from: '2030-01-01',
    }),
  },
  'registry.suppliers.list': { access: staff, input: ({ registry }) => ({ search: registry.prefix }) },
  'registry.suppliers.get': { access: staff, input: ({ registry }) => ({ id: registry.supplierId }) },
  'registry.suppliers.create': {
    access: admin,
    input: ({ registry }) => registry.supplierInput(registry.newId('S')),
  },
  'registry.suppliers.update': {
    access: admin,
    input: ({ registry }) => registry.supplierInput(registry.supplierId),
  },
  'registry.suppliers.deactivate': {
    access: admin,
    input: ({ registry }) => ({ id: registry.spareSupplierId }),
  },
  // Settlement: operators and admins read; admins set the timetable and request runs.
  'settlement.timetable': { access: ops },
  'settlement.updateTimetable': { access: admin, input: () => ({ initial: 1, r1: 5, r2: 14, rf: 28 }) },
  'settlement.regions': { access: ops },
  'settlement.runs': { access: ops, input: () => ({ region: 'registry-test' }) },
  'settlement.run': { access: ops, input: ({ registry }) => ({ id: registry.settlementRunId }) },
  'settlement.reproduce': { access: ops, input: ({ registry }) => ({ id: registry.settlementRunId }) },
  'settlement.request': {
    access: admin,
    input: () => ({ day: quietDay, region: 'registry-test', runType: 'initial' }),
  },
  'registry.customers.list': { access: service, input: ({ registry }) => ({ search: registry.prefix }) },
  'registry.customers.get': { access: service, input: ({ registry }) => ({ id: registry.customerId }) },
  'registry.customers.create': {
    access: admin,
    input: ({ registry }) => registry.customerInput(registry.newId('C')),
  },
  'registry.customers.update': {
    access: admin,
    input: ({ registry }) => registry.customerInput(registry.customerId),
  },
  'registry.customers.deactivate': {
    access: admin,
    input: ({ registry }) => ({ id: registry.spareCustomerId }),
  },
  'registry.tariffs.list': { access: service, input: ({ registry }) => ({ search: registry.prefix }) },
  'registry.tariffs.get': { access: service, input: ({ registry }) => ({ id: registry.tariffId }) },
  'registry.tariffs.create': {
    access: admin,
    input: ({ registry }) => registry.tariffInput(registry.newId('T')),
  },
  'registry.tariffs.update': {
    access: admin,
    input: ({ registry }) => registry.tariffInput(registry.tariffId),
  },
  'registry.tariffs.deactivate': { access: admin, input: ({ registry }) => ({ id: registry.spareTariffId }) },
  'registry.billingPeriods.list': {
    access: service,
    input: ({ registry }) => ({ search: registry.customerId }),
  },
  'registry.billingPeriods.get': { access: service, input: ({ registry }) => ({ id: registry.periodId }) },
  'registry.billingPeriods.create': {
    access: admin,
    // Each call (one per actor) a month of its own, so an allowed call never overlaps an earlier one.
    input: ({ registry }) => {
      const month = String(registry.nextMonth()).padStart(2, '0');
      return {
        customerId: registry.customerId,
        periodStart: `2031-${month}-01`,
        periodEnd: `2031-${month}-28`,
      };
    },
  },
  'registry.billingPeriods.update': {
    access: admin,
    input: ({ registry }) => ({
      id: registry.periodId,
      customerId: registry.customerId,
      periodStart: '2030-01-01',
      periodEnd: '2030-01-30',
    }),
  },
  'registry.billingPeriods.deactivate': {
    access: admin,
    input: ({ registry }) => ({ id: registry.sparePeriodId }),
  },
  // The end customer's own usage; the customer id always comes from the session.
  'usage.meters': { access: customer },
  'usage.report': {
    access: customer,
    input: ({ portal }) => ({ meterId: portal.meterId, view: 'week', day: FIXTURE_DAY }),
  },
  'usage.comparison': {
    access: customer,
    input: ({ portal }) => ({ meterId: portal.meterId, view: 'month', day: FIXTURE_DAY }),
  },
  'usage.monthOutlook': {
    access: customer,
    input: ({ portal }) => ({ meterId: portal.meterId, month: FIXTURE_DAY.slice(0, 7) }),
  },
};

type Actor = UserRole | 'signed-out';
const actors: Actor[] = ['signed-out', ...userRole.enumValues];

function expectedOutcome(access: Access, actor: Actor): 'allowed' | 'UNAUTHORIZED' | 'FORBIDDEN' {
  if (access === 'public') return 'allowed';
  if (actor === 'signed-out') return 'UNAUTHORIZED';
  if (access === 'authed') return 'allowed';
  return access.includes(actor) ? 'allowed' : 'FORBIDDEN';
}

type ProcedureCall = (input?: unknown) => Promise<unknown>;

/** `caller.auth.signIn` for the path `auth.signIn`. */
function procedureAt(caller: unknown, path: string): ProcedureCall {
  const target = path
    .split('.')
    .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], caller);
  if (typeof target !== 'function') throw new Error(`no procedure at ${path}`);
  return target as ProcedureCall;
}

async function outcomeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'allowed';
  } catch (error) {
    if (error instanceof TRPCError) return error.code;
    throw error;
  }
}

const { db, sql, close } = createTestDb();
/** A key for the revoke procedure to act on. */
let revocableKeyId = '';
const asWebRole = createTestDb({ url: webRoleUrl() });
const data = new TestData(db);
const actorUsers = new Map<Actor, TestUser | null>();
let probe: TestUser;
/** Its password is reset by the admin case, so it is no one else's fixture. */
let resetTarget: TestUser;
let portal: PortalFixture;
let registry: RegistryFixture;

beforeAll(async () => {
  await ensureTestInfluxDatabase();
  actorUsers.set('signed-out', null);
  for (const role of userRole.enumValues) actorUsers.set(role, await data.user(role));
  probe = await data.user('operator');
  resetTarget = await data.user('agent');
  const customerActor = actorUsers.get('customer');
  if (!customerActor?.customerId) throw new Error('the customer actor has no customer');
  portal = await PortalFixture.create(sql, customerActor.customerId);
  registry = await RegistryFixture.create(sql);
  revocableKeyId = (
    await createApiKey(db, {
      name: 'security test: to revoke',
      scopes: ['usage:read'],
      customerId: null,
      expiresAt: null,
      rateLimitPerMinute: 60,
      actor: { userId: null, label: 'cli:security-test', clientAddress: null },
    })
  ).key.id;
});

afterAll(async () => {
  // The fixture's meter refers to the customer actor's customer, so it goes first.
  await portal.cleanup();
  await registry.cleanup();
  await data.cleanup();
  await close();
  await asWebRole.close();
});

describe('app router access policy', () => {
  const procedurePaths = Object.keys(appRouter._def.procedures).sort();

  it('calls the procedures on a database role that is neither superuser nor owner', async () => {
    const [role] = await asWebRole.sql<{ superuser: boolean; ownsRevisions: boolean }[]>`
      select rolsuper as superuser,
        pg_has_role(current_user, (select relowner from pg_class where oid = 'reading_revisions'::regclass), 'USAGE')
          as "ownsRevisions"
      from pg_roles where rolname = current_user`;
    expect(role).toEqual({ superuser: false, ownsRevisions: false });
  });

  it('has an expectation for every procedure, and none for procedures that no longer exist', () => {
    expect(procedurePaths).toEqual(Object.keys(expectations).sort());
  });

  const cases = procedurePaths.flatMap((path) => actors.map((actor) => ({ path, actor })));

  it.each(cases)('$path as $actor', async ({ path, actor }) => {
    const expectation = expectations[path];
    if (!expectation) throw new Error(`no expectation for ${path}`);
    const ctx = await contextFor(asWebRole.db, actorUsers.get(actor) ?? null);
    const call = procedureAt(createCaller(ctx), path);
    const outcome = await outcomeOf(call(expectation.input?.({ probe, resetTarget, portal, registry })));
    expect(outcome).toBe(expectedOutcome(expectation.access, actor));
  });
});

describe('authorization middleware', () => {
  // A router of its own, so that the middleware's answers are pinned down before any role-bound
  // procedure exists in the app router.
  const probeRouter = router({
    anyone: authedProcedure.query(({ ctx }) => ctx.user.role),
    adminOnly: withRole('admin').query(({ ctx }) => ctx.user.role),
    staff: withRole('operator', 'agent', 'admin').query(({ ctx }) => ctx.user.role),
  });
  const createProbeCaller = createCallerFactory(probeRouter);

  it('answers UNAUTHORIZED without a session and FORBIDDEN for the wrong role', async () => {
    const signedOut = createProbeCaller(await contextFor(db, null));
    await expect(signedOut.anyone()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(signedOut.adminOnly()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });

    const customer = createProbeCaller(await contextFor(db, actorUsers.get('customer') ?? null));
    await expect(customer.anyone()).resolves.toBe('customer');
    await expect(customer.staff()).rejects.toMatchObject({ code: 'FORBIDDEN' });

    const agent = createProbeCaller(await contextFor(db, actorUsers.get('agent') ?? null));
    await expect(agent.staff()).resolves.toBe('agent');
    await expect(agent.adminOnly()).rejects.toMatchObject({ code: 'FORBIDDEN' });

    const admin = createProbeCaller(await contextFor(db, actorUsers.get('admin') ?? null));
    await expect(admin.adminOnly()).resolves.toBe('admin');
  });

  it('treats a forged or unknown session cookie as signed out', async () => {
    const forged = createProbeCaller(
      await contextWithCookie(db, `${SESSION_COOKIE}=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa`),
    );
    await expect(forged.anyone()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const malformed = createProbeCaller(await contextWithCookie(db, `${SESSION_COOKIE}=../../etc/passwd`));
    await expect(malformed.anyone()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });
});
