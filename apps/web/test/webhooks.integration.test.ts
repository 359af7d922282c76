/**
 * Webhook administration through the tRPC procedures, on the web app's database role: a refused URL is a
 * field error on `url`, the secret is answered once and never listed, and every change is audited.
 */
import { TRPCError } from '@trpc/server';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staffAudit } from '@meterops/db/schema';
import { createCaller } from '../src/server/root';
import { contextFor, createTestDb, TestData, type TestUser } from './support';

const { db, sql, close } = createTestDb();
const data = new TestData(db);
let admin: TestUser;
const created: string[] = [];

beforeAll(async () => {
  admin = await data.user('admin');
});

afterAll(async () => {
  if (created.length > 0) await sql`delete from webhook_endpoints where id = any(${created}::uuid[])`;
  await data.cleanup();
  await close();
});

async function adminCaller() {
  return createCaller(await contextFor(db, admin));
}

async function fieldErrorsOf(call: Promise<unknown>): Promise<Record<string, string[]>> {
  const error = await call.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TRPCError);
  const cause = (error as TRPCError).cause as { issues?: { path: (string | number)[]; message: string }[] };
  const byField: Record<string, string[]> = {};
  for (const issue of cause.issues ?? []) (byField[String(issue.path[0])] ??= []).push(issue.message);
  return byField;
}

describe('webhooks procedures', () => {
  it('refuses the metadata address, loopback and plain http as errors on the url field', async () => {
    const caller = await adminCaller();
    const base = { description: '', eventTypes: ['day.finalized' as const] };
    expect(
      await fieldErrorsOf(caller.webhooks.create({ ...base, url: 'https://169.254.169.254/latest/' })),
    ).toEqual({
      url: ['The URL must not point at a link-local or metadata address (such as 169.254.169.254).'],
    });
    expect(
      await fieldErrorsOf(caller.webhooks.create({ ...base, url: 'https://127.0.0.1:8443/hook' })),
    ).toEqual({
      url: ['The URL must not point at a loopback network address.'],
    });
    expect(
      await fieldErrorsOf(caller.webhooks.create({ ...base, url: 'http://receiver.example.com/hook' })),
    ).toEqual({
      url: ['The URL must be an https:// URL.'],
    });
    expect(
      await fieldErrorsOf(
        caller.webhooks.create({ url: 'https://receiver.example.com/hook', description: '', eventTypes: [] }),
      ),
    ).toEqual({ eventTypes: ['choose at least one event type'] });
  });

  it('answers the secret once, lists only its first characters, and audits creation and rotation', async () => {
    const caller = await adminCaller();
    const { endpoint, secret } = await caller.webhooks.create({
      url: 'https://receiver.example.com/billing',
      description: 'billing system',
      eventTypes: ['billing_alert.raised', 'day.finalized'],
      regions: 'london, north',
      segments: ['residential'],
    });
    created.push(endpoint.id);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(endpoint).toMatchObject({
      url: 'https://receiver.example.com/billing',
      eventTypes: ['billing_alert.raised', 'day.finalized'],
      filter: { regions: ['london', 'north'], segments: ['residential'], meterIds: [] },
      enabled: true,
      secretHint: `${secret.slice(0, 10)}…`,
      createdBy: admin.email,
    });
    const listed = (await caller.webhooks.list({})).endpoints.find((entry) => entry.id === endpoint.id);
    expect(JSON.stringify(listed)).not.toContain(secret);

    const rotated = await caller.webhooks.rotateSecret({ id: endpoint.id });
    expect(rotated.secret).not.toBe(secret);
    const records = await db
      .select()
      .from(staffAudit)
      .where(and(eq(staffAudit.targetType, 'webhook_endpoint'), eq(staffAudit.targetId, endpoint.id)))
      .orderBy(staffAudit.id);
    expect(records.map((record) => [record.action, record.actor])).toEqual([
      ['webhook.created', admin.email],
      ['webhook.secret_rotated', admin.email],
    ]);
    expect(JSON.stringify(records)).not.toContain(rotated.secret);
  });
});
