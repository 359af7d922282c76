/**
 * The public status endpoint (issue 12, finding 6): anyone learns up or down, only staff learn where the
 * services are and what they run; one round of checks serves every caller for a few seconds, and Kafka is
 * asked through one shared admin connection.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type * as KafkaJs from 'kafkajs';
import type { UserRole } from '@meterops/db/queries/auth';
import { env } from '../src/env';
import { checkHealth, HEALTH_MAX_AGE_MS } from '../src/server/health';
import { createCaller } from '../src/server/root';
import { contextFor, createTestDb, TestData, type TestUser } from './support';

/** Counts admin connections opened through kafkajs, which stays the real client. */
const kafkaConnects = vi.hoisted(() => ({ count: 0 }));
vi.mock('kafkajs', async (importOriginal) => {
  const actual = await importOriginal<typeof KafkaJs>();
  class CountingKafka extends actual.Kafka {
    override admin(config?: Parameters<InstanceType<typeof actual.Kafka>['admin']>[0]) {
      const admin = super.admin(config);
      const connect = admin.connect.bind(admin);
      admin.connect = () => {
        kafkaConnects.count += 1;
        return connect();
      };
      return admin;
    }
  }
  return { ...actual, Kafka: CountingKafka };
});

const { db, close } = createTestDb();
const data = new TestData(db);
const users = new Map<UserRole, TestUser>();

beforeAll(async () => {
  for (const role of ['operator', 'agent', 'admin', 'customer'] as const)
    users.set(role, await data.user(role));
});

afterAll(async () => {
  await data.cleanup();
  await close();
});

async function healthAs(role: UserRole | null) {
  const ctx = await contextFor(db, role === null ? null : (users.get(role) ?? null));
  return createCaller(ctx).status.health();
}

describe('status.health', () => {
  it('tells a signed-out visitor and a customer only which services are up', async () => {
    const database = new URL(env.DATABASE_URL);
    for (const role of [null, 'customer'] as const) {
      const health = await healthAs(role);
      expect(health.detailed).toBe(false);
      expect(health.components.map(({ name, up }) => ({ name, up }))).toEqual([
        { name: 'Kafka', up: true },
        { name: 'Postgres', up: true },
        { name: 'InfluxDB', up: true },
      ]);
      expect(health.components.every((component) => component.details === null)).toBe(true);
      const answer = JSON.stringify(health);
      for (const secret of [
        database.pathname.slice(1),
        `:${database.port || '5432'}`,
        'PostgreSQL',
        'broker',
      ]) {
        expect(answer).not.toContain(secret);
      }
    }
  });

  it('gives staff the addresses, versions and latencies', async () => {
    for (const role of ['operator', 'agent', 'admin'] as const) {
      const health = await healthAs(role);
      expect(health.detailed).toBe(true);
      const postgres = health.components.find((component) => component.name === 'Postgres');
      expect(postgres?.details?.detail).toMatch(/^PostgreSQL \d+/);
      expect(postgres?.details?.address).toContain(new URL(env.DATABASE_URL).pathname);
      const kafka = health.components.find((component) => component.name === 'Kafka');
      expect(kafka?.details?.detail).toMatch(/^\d+ brokers?, controller/);
    }
  });

  it('answers every caller from one round of checks for a few seconds', async () => {
    const first = await healthAs(null);
    const answers = await Promise.all(Array.from({ length: 20 }, () => healthAs(null)));
    for (const answer of answers) expect(answer.checkedAt).toEqual(first.checkedAt);
    expect(Date.now() - first.checkedAt.getTime()).toBeLessThan(HEALTH_MAX_AGE_MS + 1_000);
  });

  it('asks Kafka through one shared admin connection, not one per check', async () => {
    await checkHealth(db, { maxAgeMs: 0 });
    const before = kafkaConnects.count;
    for (let round = 0; round < 5; round += 1) {
      const report = await checkHealth(db, { maxAgeMs: 0 });
      expect(report.components.find((component) => component.name === 'Kafka')?.up).toBe(true);
    }
    expect(kafkaConnects.count).toBe(before);
    expect(kafkaConnects.count).toBeLessThanOrEqual(1);
  });
});
