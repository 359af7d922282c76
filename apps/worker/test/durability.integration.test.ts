import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createMetricsWriter } from '@meterops/metrics/writer';
import { ownInfluxd } from '@meterops/metrics/testing/influxd';
import { kwhToUnits, unitsToKwh } from '@meterops/domain/kwh';
import { afterAll, describe, expect, it } from 'vitest';
import {
  aggregateMismatches,
  createTestDatabase,
  createTestTopics,
  expectStoredAsManifest,
  kafka,
  simulate,
  startIngest,
  storedSummary,
  waitForCaughtUp,
  type TestDatabase,
} from './harness';

const workerDir = fileURLToPath(new URL('..', import.meta.url));
const databases: TestDatabase[] = [];
afterAll(async () => {
  for (const database of databases) await database.drop();
});

function startWorkerProcess(
  database: TestDatabase,
  topics: { topic: string; dlqTopic: string; groupId: string },
): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: workerDir,
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      READINGS_TOPIC: topics.topic,
      DLQ_TOPIC: topics.dlqTopic,
      CONSUMER_GROUP: topics.groupId,
      WORKER_ID: 'it-crash',
      WORKER_HEALTH_PORT: '0',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('durability', () => {
  it('loses nothing and counts nothing twice when the worker is SIGKILLed mid-ingest and restarted', async () => {
    const database = await createTestDatabase(120);
    databases.push(database);
    const topics = await createTestTopics(6);
    // Single intervals: many small messages, so the kill lands between and inside many transactions.
    const manifest = await simulate(topics, {
      meters: 120,
      days: 3,
      endDay: '2026-11-12',
      mode: 'interval',
      faults: ['duplicate', 'resend', 'negative'],
      faultRate: 0.1,
      seed: 11,
    });
    expect(manifest.sent.messages).toBeGreaterThan(20_000);

    const first = startWorkerProcess(database, topics);
    const exited = new Promise((resolve) => first.once('exit', resolve));
    await waitFor(
      async () => {
        const [row] = await database.sql<{ count: number }[]>`select count(*)::int as count from readings`;
        return (row?.count ?? 0) > 2_000;
      },
      90_000,
      'the first worker to store some readings',
    );
    first.kill('SIGKILL');
    await exited;
    const [partial] = await database.sql<{ count: number }[]>`select count(*)::int as count from readings`;
    expect(partial?.count).toBeLessThan(manifest.expected.storedReadings);

    const second = startWorkerProcess(database, topics);
    try {
      await waitForCaughtUp(topics, 180_000);
    } finally {
      second.kill('SIGTERM');
      await new Promise((resolve) => second.once('exit', resolve));
    }
    await expectStoredAsManifest(database.sql, manifest);
  }, 300_000);

  it('counts a redelivered batch once', async () => {
    const database = await createTestDatabase(20);
    databases.push(database);
    const topics = await createTestTopics(3);
    const manifest = await simulate(topics, {
      meters: 20,
      days: 1,
      endDay: '2026-11-12',
      faults: ['negative'],
      faultRate: 0.3,
      seed: 5,
    });
    const firstRun = await startIngest(database, topics);
    await waitForCaughtUp(topics);
    await firstRun.stop();
    const before = await storedSummary(database.sql);
    const aggregatesBefore =
      await database.sql`select * from dimension_usage_daily order by day, dimension, key`;

    // Rewind the group: every batch is delivered a second time, as after a crash before the commit.
    const admin = kafka.admin();
    await admin.connect();
    await admin.resetOffsets({ groupId: topics.groupId, topic: topics.topic, earliest: true });
    await admin.disconnect();

    const secondRun = await startIngest(database, topics);
    await waitForCaughtUp(topics);
    await secondRun.stop();
    const after = await storedSummary(database.sql);
    // Every message is recognised by its Kafka position as already applied, and skipped whole.
    expect(secondRun.totals()).toEqual({
      inserted: 0,
      revised: 0,
      duplicates: 0,
      rejected: 0,
      records: manifest.sent.messages,
      redelivered: manifest.sent.messages,
    });
    expect(after).toEqual(before);
    const aggregatesAfter =
      await database.sql`select * from dimension_usage_daily order by day, dimension, key`;
    expect(aggregatesAfter.map(({ computedAt: _, computed_at: __, ...row }) => row)).toEqual(
      aggregatesBefore.map(({ computedAt: _, computed_at: __, ...row }) => row),
    );
  }, 120_000);

  it('ingests everything exactly when InfluxDB is stopped mid-ingest, and counts the dropped metrics', async () => {
    const database = await createTestDatabase(40);
    databases.push(database);
    const topics = await createTestTopics(3);
    const influxd = await ownInfluxd();
    await influxd.start();
    try {
      await fetch(`${influxd.url}/query`, {
        method: 'POST',
        body: new URLSearchParams({ q: 'CREATE DATABASE "meterops"' }),
      });
      const metrics = createMetricsWriter({
        url: influxd.url,
        database: 'meterops',
        onError: () => {},
        closeTimeoutMs: 2_000,
      });
      const run = await startIngest(database, topics, { metrics });
      const before = await simulate(topics, { meters: 40, days: 1, endDay: '2026-11-10', seed: 9 });
      await waitForCaughtUp(topics);
      await metrics.flush();
      const writtenWhileUp = metrics.stats().written;
      // InfluxDB goes away; the second half of the data arrives while it is down.
      await influxd.kill('SIGKILL');
      const after = await simulate(topics, { meters: 40, days: 1, endDay: '2026-11-11', seed: 10 });
      await waitForCaughtUp(topics);
      await run.stop();
      await metrics.close();

      const stored = await storedSummary(database.sql);
      expect(stored.readings).toBe(before.expected.storedReadings + after.expected.storedReadings);
      expect(stored.totalKwh).toBe(
        unitsToKwh(kwhToUnits(before.expected.totalKwh) + kwhToUnits(after.expected.totalKwh)),
      );
      expect(await aggregateMismatches(database.sql)).toEqual([]);
      const stats = metrics.stats();
      expect(writtenWhileUp).toBeGreaterThan(0);
      expect(stats.written).toBe(writtenWhileUp);
      expect(stats.dropped).toBeGreaterThan(0);
      expect(stats.written + stats.dropped).toBe(stats.received);
    } finally {
      await influxd.dispose();
    }
  }, 120_000);
});
