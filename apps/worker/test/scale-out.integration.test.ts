/**
 * Several worker processes in one consumer group, one killed mid-ingest; replay of a window; the
 * dead-letter copies owed after a crash; the health endpoints a supervisor reads.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readReplay } from '@meterops/db/queries/replay';
import { followReplay, requestReplay } from '../src/ingest/replay';
import {
  createTestDatabase,
  createTestTopics,
  expectStoredAsManifest,
  kafka,
  nth,
  simulate,
  startIngest,
  storedSummary,
  waitForCaughtUp,
  type TestDatabase,
  type TestTopics,
} from './harness';

const workerDir = fileURLToPath(new URL('..', import.meta.url));
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  /** The health port the worker logged. */
  healthPort: Promise<number>;
}

function startWorkerProcess(database: TestDatabase, topics: TestTopics, workerId: string): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: workerDir,
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      READINGS_TOPIC: topics.topic,
      DLQ_TOPIC: topics.dlqTopic,
      CONSUMER_GROUP: topics.groupId,
      WORKER_ID: workerId,
      WORKER_HEALTH_PORT: '0',
      JOBS_ENABLED: 'false',
      INGEST_CONCURRENCY: '2',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const healthPort = new Promise<number>((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const match = /"port":(\d+)[^\n]*health endpoints/.exec(buffered);
      if (match) resolve(Number(match[1]));
      if (buffered.length > 100_000) buffered = buffered.slice(-10_000);
    });
    child.once('exit', () => reject(new Error(`worker ${workerId} exited before serving health`)));
  });
  healthPort.catch(() => undefined);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  cleanups.push(async () => {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return { child, exited, healthPort };
}

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function health(port: number, path: '/healthz' | '/readyz') {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('scale-out and recovery', () => {
  it('three workers in one group, one SIGKILLed mid-ingest, store exactly the manifest', async () => {
    const database = await createTestDatabase(150);
    cleanups.push(() => database.drop());
    const topics = await createTestTopics(6);
    const workers = ['it-a', 'it-b', 'it-c'].map((id) => startWorkerProcess(database, topics, id));
    const ports = await Promise.all(workers.map((worker) => worker.healthPort));
    // Every worker reports ready once the group has settled.
    await waitFor(
      async () =>
        (await Promise.all(ports.map((port) => health(port, '/readyz')))).every((r) => r.status === 200),
      120_000,
      'all three workers ready',
    );
    const ready = await health(nth(ports, 0), '/readyz');
    expect(ready.body).toMatchObject({ worker: 'it-a', ready: true, state: 'consuming', pausedFor: null });
    // Produced while the workers consume, so the kill lands mid-ingest.
    const sent = simulate(topics, {
      meters: 150,
      days: 4,
      endDay: '2026-11-12',
      mode: 'interval',
      faults: ['duplicate', 'resend', 'negative'],
      faultRate: 0.08,
      seed: 33,
    });
    await waitFor(
      async () => {
        const [row] = await database.sql<{ count: number }[]>`select count(*)::int as count from readings`;
        return (row?.count ?? 0) > 1_000;
      },
      120_000,
      'some readings stored',
    );
    const victim = nth(workers, 1);
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toBeNull();
    const manifest = await sent;
    const [partial] = await database.sql<{ count: number }[]>`select count(*)::int as count from readings`;
    expect(partial?.count).toBeLessThan(manifest.expected.storedReadings);
    await waitForCaughtUp(topics, 240_000);

    await expectStoredAsManifest(database.sql, manifest);
    // The survivors took the dead worker's partitions: all six are owned by the two of them.
    // The survivors take the dead worker's partitions once its session expires: all six, between them.
    await waitFor(
      async () => {
        const beats = await database.sql<{ partitions: number[] }[]>`
          select partitions from worker_heartbeats
          where worker_id in ('it-a', 'it-c') and updated_at > now() - interval '20 seconds'`;
        return (
          beats
            .flatMap((beat) => beat.partitions)
            .sort()
            .join(',') === '0,1,2,3,4,5'
        );
      },
      90_000,
      'the two survivors to own all six partitions',
    );

    for (const worker of [nth(workers, 0), nth(workers, 2)]) {
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
    }
  }, 420_000);

  it('replays a window while the worker runs: unchanged readings count as duplicates, lost ones come back', async () => {
    const database = await createTestDatabase(20);
    cleanups.push(() => database.drop());
    const topics = await createTestTopics(2);
    const manifest = await simulate(topics, { meters: 20, days: 1, endDay: '2026-11-12', seed: 44 });
    const ingest = await startIngest(database, topics);
    cleanups.push(() => ingest.stop());
    await waitForCaughtUp(topics);
    const before = await storedSummary(database.sql);
    // Lose some readings, as a restore from an older backup would.
    const [lost] = await database.sql<{ count: number }[]>`
      with gone as (
        delete from readings where meter_id = 'MTR-000003' and interval_start < '2026-11-12T06:00:00Z'
          and interval_start >= '2026-11-11T00:00:00Z' returning 1)
      select count(*)::int as count from gone`;
    expect(lost?.count).toBeGreaterThan(0);

    const replay = await requestReplay(
      database.sql,
      { kafka, topic: topics.topic, groupId: topics.groupId },
      { from: '0', requestedBy: 'test' },
    );
    expect(replay.groupOffsetsMoved).toBe(false);
    const done = await followReplay(database.sql, replay.id, { onProgress: () => undefined, pollMs: 200 });
    expect(done.status).toBe('done');
    expect(done.records).toBe(manifest.sent.messages);
    expect(done.inserted).toBe(lost?.count);
    expect(done.revised).toBe(0);
    expect(done.inserted + done.duplicates).toBe(manifest.expected.storedReadings);
    const after = await storedSummary(database.sql);
    expect(after.readings).toBe(before.readings);
    expect(after.kwhByMeter).toEqual(before.kwhByMeter);
    const row = await readReplay(database.sql, replay.id);
    expect(
      row?.partitions.every((entry) => entry.nextOffset !== null && entry.nextOffset >= entry.toOffset),
    ).toBe(true);
  }, 240_000);

  it('sends the dead-letter copies a crash left owed', async () => {
    const database = await createTestDatabase(10);
    cleanups.push(() => database.drop());
    const topics = await createTestTopics(1);
    await simulate(topics, {
      meters: 10,
      days: 1,
      endDay: '2026-11-12',
      faults: ['negative'],
      faultRate: 0.2,
      seed: 7,
    });
    const first = await startIngest(database, topics);
    await waitForCaughtUp(topics);
    await first.stop();
    const rejected = await database.sql<{ id: string }[]>`select id::text from rejected_readings order by id`;
    expect(rejected.length).toBeGreaterThan(0);
    // As if the worker died between the Postgres commit and the send: nothing recorded as sent.
    await database.sql`update rejected_readings set dead_lettered_at = null`;

    const consumer = kafka.consumer({ groupId: `${topics.groupId}-dlq-reader` });
    await consumer.connect();
    await consumer.subscribe({ topic: topics.dlqTopic, fromBeginning: false });
    const seen = new Set<string>();
    await consumer.run({
      eachMessage: ({ message }) => {
        const id = message.headers?.['rejection-id']?.toString();
        if (id) seen.add(id);
        return Promise.resolve();
      },
    });
    cleanups.push(() => consumer.disconnect());
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const second = await startIngest(database, topics, {
      service: { deadLetterSweep: { intervalMs: 500, minAgeMs: 0 } },
    });
    cleanups.push(() => second.stop());
    await waitFor(
      () => rejected.every((row) => seen.has(row.id)),
      60_000,
      'every owed copy on the dead-letter topic',
    );
    await waitFor(
      async () => {
        const [row] = await database.sql<{ owed: number }[]>`
          select count(*)::int as owed from rejected_readings where dead_lettered_at is null`;
        return row?.owed === 0;
      },
      30_000,
      'the copies recorded as sent',
    );
  }, 180_000);
});
