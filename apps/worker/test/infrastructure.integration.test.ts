/**
 * The worker survives its infrastructure: a Postgres restart and a broker crash mid-ingest pause it,
 * it says so, and it resumes by itself with every reading of the manifest stored exactly once. Each
 * test restarts a private service of its own (private-services.ts), so nothing else is disturbed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createKafka } from '../src/kafka';
import {
  createTestDatabase,
  createTestTopics,
  expectStoredAsManifest,
  simulate,
  startIngest,
  waitForCaughtUp,
} from './harness';
import { startPrivateKafka, type PrivateKafka } from './private-kafka';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const simulation = { meters: 40, days: 2, endDay: '2026-11-12', mode: 'interval' as const, seed: 21 };

describe('infrastructure failures', () => {
  it('pauses while Postgres is down, resumes by itself, and stores the manifest exactly once', async () => {
    const cluster: PrivatePostgres = await startPrivatePostgres();
    cleanups.push(() => cluster.destroy());
    const database = await createTestDatabase(simulation.meters, { serverUrl: cluster.url('postgres') });
    cleanups.push(() => database.drop());
    const topics = await createTestTopics(4);
    const manifest = await simulate(topics, {
      ...simulation,
      faults: ['duplicate', 'resend', 'negative'],
      faultRate: 0.05,
    });
    const ingest = await startIngest(database, topics, { service: { maxBackoffMs: 500 } });
    cleanups.push(() => ingest.stop());
    const states = new Set<string>();
    const watcher = setInterval(() => {
      const snapshot = ingest.service.health.snapshot(Date.now());
      states.add(snapshot.paused ? `paused: ${snapshot.paused.reason.split(':')[0]}` : snapshot.state);
    }, 20);
    try {
      await waitFor(() => ingest.totals().inserted > 500, 60_000, 'some readings stored');
      await cluster.stop('fast');
      await waitFor(() => states.has('paused: postgres'), 30_000, 'ingest to report itself paused');
      expect(ingest.service.health.snapshot(Date.now()).paused?.reason).toMatch(/^postgres: /);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await cluster.start();
      await waitForCaughtUp(topics, 120_000);
    } finally {
      clearInterval(watcher);
    }
    expect(ingest.service.health.snapshot(Date.now()).paused).toBeNull();
    expect(ingest.service.health.ready(Date.now())).toBe(true);
    await expectStoredAsManifest(database.sql, manifest);
  }, 300_000);

  it('rides out a broker crash: the consumer comes back by itself and nothing is lost or counted twice', async () => {
    const broker: PrivateKafka = await startPrivateKafka();
    cleanups.push(() => broker.stop());
    const client = createKafka({ brokers: [broker.plaintext], clientId: 'meterops-it-broker-crash' });
    const database = await createTestDatabase(simulation.meters);
    cleanups.push(() => database.drop());
    const topics = await createTestTopics(4, client);
    const manifest = await simulate(
      topics,
      { ...simulation, faults: ['duplicate'], faultRate: 0.05 },
      client,
    );
    const ingest = await startIngest(database, topics, { kafka: client, service: { maxBackoffMs: 500 } });
    cleanups.push(() => ingest.stop());
    await waitFor(() => ingest.totals().inserted > 500, 60_000, 'some readings stored');
    const storedBefore = ingest.totals().inserted;
    await broker.kill();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await broker.restart();
    await waitForCaughtUp(topics, 180_000, client);
    expect(ingest.totals().inserted).toBeGreaterThan(storedBefore);
    await waitFor(() => ingest.service.health.ready(Date.now()), 60_000, 'the worker to be ready again');
    await expectStoredAsManifest(database.sql, manifest);
  }, 360_000);
});
