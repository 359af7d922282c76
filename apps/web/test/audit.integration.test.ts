/**
 * The staff audit trail (issue 12, finding 10): the actions staff take are recorded with who, what, the
 * target, details, when and the client address, and the records cannot be changed or removed.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordStaffAction } from '@meterops/db/queries/audit';
import { staffAudit } from '@meterops/db/schema';
import { createCaller } from '../src/server/root';
import { FIXTURE_DAY, PortalFixture } from './portal-fixtures';
import { contextFor, createTestDb, TestData, type TestUser } from './support';

const { db, sql, close } = createTestDb();
const data = new TestData(db);
let admin: TestUser;
let portal: PortalFixture;

beforeAll(async () => {
  admin = await data.user('admin');
  const customer = await data.user('customer');
  if (customer.customerId === null) throw new Error('the customer has no customer id');
  portal = await PortalFixture.create(sql, customer.customerId);
});

afterAll(async () => {
  await portal.cleanup();
  await data.cleanup();
  await close();
});

async function recordsFor(targetId: string) {
  return db.select().from(staffAudit).where(eq(staffAudit.targetId, targetId)).orderBy(staffAudit.id);
}

async function adminCaller() {
  const ctx = await contextFor(db, admin);
  return { caller: createCaller(ctx), clientAddress: ctx.clientAddress };
}

describe('staff audit trail', () => {
  it('records a role change with the old and new role, the admin and their address', async () => {
    const user = await data.user('agent');
    const { caller, clientAddress } = await adminCaller();
    await caller.users.setRole({ id: user.id, role: 'operator' });

    const [record] = await recordsFor(user.id);
    expect(record).toMatchObject({
      actorId: admin.id,
      actor: admin.email,
      action: 'user.role_changed',
      targetType: 'user',
      targetId: user.id,
      clientAddress,
      details: {
        email: user.email,
        from: { role: 'agent', customerId: null },
        to: { role: 'operator', customerId: null },
      },
    });
    expect(Date.now() - (record?.at.getTime() ?? 0)).toBeLessThan(60_000);
  });

  it('records disabling and enabling, and nothing for a change that changes nothing', async () => {
    const user = await data.user('operator');
    const { caller } = await adminCaller();
    await caller.users.setDisabled({ id: user.id, disabled: true });
    await caller.users.setDisabled({ id: user.id, disabled: true });
    await caller.users.setDisabled({ id: user.id, disabled: false });
    await caller.users.setRole({ id: user.id, role: 'operator' });
    expect((await recordsFor(user.id)).map((record) => record.action)).toEqual([
      'user.disabled',
      'user.enabled',
    ]);
  });

  it('records a user created by an administrator, without the password', async () => {
    const { caller } = await adminCaller();
    const email = `audit-created-${Date.now()}@web-tests.meterops.test`;
    const password = 'a long enough password';
    const { id } = await caller.users.create({ email, name: 'Audit test', password, role: 'agent' });
    data.adopt(id);
    const [record] = await recordsFor(id);
    expect(record).toMatchObject({ action: 'user.created', details: { email, role: 'agent' } });
    expect(JSON.stringify(record?.details)).not.toContain(password);
  });

  it('records a billing alert acknowledgement once', async () => {
    const { caller } = await adminCaller();
    await caller.billing.acknowledge({ id: portal.alertId });
    await caller.billing.acknowledge({ id: portal.alertId });
    const records = await db
      .select()
      .from(staffAudit)
      .where(
        and(eq(staffAudit.targetType, 'billing_alert'), eq(staffAudit.targetId, String(portal.alertId))),
      );
    expect(records.map((record) => [record.action, record.actorId])).toEqual([
      ['billing_alert.acknowledged', admin.id],
    ]);
  });

  it('records a reprocessing start with its arguments, and a cancellation', async () => {
    const { caller } = await adminCaller();
    const { id } = await caller.jobs.start({
      name: 'reprocess',
      from: FIXTURE_DAY,
      to: FIXTURE_DAY,
      meterIds: [portal.meterId],
    });
    await caller.jobs.cancel({ id });
    const records = await recordsFor(id);
    expect(records.map((record) => record.action)).toEqual(['job.started', 'job.cancel_requested']);
    expect(records[0]).toMatchObject({
      targetType: 'job_run',
      details: {
        job: 'reprocess',
        params: { from: FIXTURE_DAY, to: FIXTURE_DAY, meterIds: [portal.meterId] },
      },
    });
  });

  it('shows administrators the records, filtered by action, actor, target and days', async () => {
    const user = await data.user('agent');
    const { caller } = await adminCaller();
    await caller.users.setRole({ id: user.id, role: 'operator' });
    await caller.users.setDisabled({ id: user.id, disabled: true });

    const byTarget = await caller.audit.list({ targetType: 'user', targetId: user.id });
    expect(byTarget.records.map((record) => record.action)).toEqual(['user.disabled', 'user.role_changed']);
    const byAction = await caller.audit.list({ action: 'user.disabled', targetId: user.id });
    expect(byAction.records.map((record) => record.action)).toEqual(['user.disabled']);
    const byActor = await caller.audit.list({
      actor: admin.email.toUpperCase().slice(0, 20),
      targetId: user.id,
    });
    expect(byActor.records).toHaveLength(2);
    const today = new Date().toISOString().slice(0, 10);
    expect((await caller.audit.list({ targetId: user.id, from: today, to: today })).records).toHaveLength(2);
    expect((await caller.audit.list({ targetId: user.id, to: '2020-01-01' })).records).toHaveLength(0);
    await expect(caller.audit.list({ from: '2026-02-02', to: '2026-02-01' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
  });

  it('refuses UPDATE, DELETE and TRUNCATE of its records, even to the table owner', async () => {
    const id = await recordStaffAction(db, {
      actor: { userId: null, label: 'cli:audit-test', clientAddress: null },
      action: 'user.password_reset',
      targetType: 'user',
      targetId: `audit-test-${Date.now()}`,
    });
    await expect(sql`update staff_audit set actor = 'someone else' where id = ${id}`).rejects.toThrow(
      /staff_audit is append-only: UPDATE is not allowed/,
    );
    await expect(sql`delete from staff_audit where id = ${id}`).rejects.toThrow(
      /staff_audit is append-only: DELETE is not allowed/,
    );
    await expect(sql`truncate staff_audit`).rejects.toThrow(
      /staff_audit is append-only: TRUNCATE is not allowed/,
    );
    const [kept] = await db.select().from(staffAudit).where(eq(staffAudit.id, id));
    expect(kept?.actor).toBe('cli:audit-test');
  });
});
