import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  aggregateMismatches,
  createTestDatabase,
  createTestTopics,
  kafka,
  simulate,
  startIngest,
  storedSummary,
  testMetrics,
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
    const stored = await storedSummary(database.sql);
    expect(stored.readings).toBe(manifest.expected.storedReadings);
    expect(stored.totalKwh).toBe(manifest.expected.totalKwh);
    expect(stored.kwhByMeter).toEqual(manifest.expected.kwhByMeter);
    expect(stored.rejectedByRule).toEqual(manifest.expected.rejectedByRule);
    expect(stored.revisions).toBe(manifest.expected.revisions);
    expect(await aggregateMismatches(database.sql)).toEqual([]);
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

  it('ingests at full speed with InfluxDB unreachable and counts the dropped metrics', async () => {
    const database = await createTestDatabase(20);
    databases.push(database);
    const topics = await createTestTopics(3);
    const manifest = await simulate(topics, { meters: 20, days: 2, endDay: '2026-11-12', seed: 9 });
    // Nothing listens on the discard port: every write fails fast, as with InfluxDB stopped.
    const metrics = testMetrics('http://127.0.0.1:9');
    const run = await startIngest(database, topics, { metrics });
    await waitForCaughtUp(topics);
    await run.stop();
    await metrics.close();
    const stored = await storedSummary(database.sql);
    expect(stored.readings).toBe(manifest.expected.storedReadings);
    expect(stored.totalKwh).toBe(manifest.expected.totalKwh);
    const stats = metrics.stats();
    expect(stats.written).toBe(0);
    expect(stats.received).toBeGreaterThan(0);
    expect(stats.dropped).toBe(stats.received);
  }, 120_000);
});
