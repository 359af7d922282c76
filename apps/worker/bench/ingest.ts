/**
 * npm run bench:ingest -- [--readings 2000000] [--meters 20000] [--partitions 12] [--concurrency 3] [--workers 1]
 *                          [--influx-url URL]  (e.g. http://127.0.0.1:9 to measure ingest with InfluxDB down)
 *
 * Sustained end-to-end ingest throughput on this machine: from the first message produced to the last
 * offset committed by a real worker process (Kafka → validate → Postgres transaction → commit), then
 * a plain COPY of the same rows into an unindexed table as the machine's ceiling.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createDb } from '@meterops/db/client';
import { runMigrations } from '@meterops/db/migrate';
import { seedFleet } from '@meterops/db/seed';
import postgres from 'postgres';
import { env } from '../src/env';
import { createKafka, createLagProbe, ensureTopics } from '../src/kafka';
import { planSimulation } from '../src/simulator/plan';
import { produceMessages } from '../src/simulator/produce';

const { values } = parseArgs({
  options: {
    readings: { type: 'string', default: '2000000' },
    meters: { type: 'string', default: '20000' },
    partitions: { type: 'string', default: '12' },
    concurrency: { type: 'string', default: '3' },
    /** Worker processes in the group, to measure scale-out. */
    workers: { type: 'string', default: '1' },
    'end-day': { type: 'string', default: '2026-11-01' },
    'influx-url': { type: 'string' },
  },
});
const targetReadings = Number(values.readings);
const meterCount = Number(values.meters);
const partitions = Number(values.partitions);

const say = (line: string) => console.log(`[bench:ingest] ${line}`);
const serverUrl = new URL(env.DATABASE_URL);
const databaseName = 'meterops_bench_ingest';
const benchUrl = new URL(serverUrl.toString());
benchUrl.pathname = `/${databaseName}`;

// A fresh database each run: the figure must not depend on what an earlier run left behind.
const admin = postgres({ ...connection(serverUrl, 'postgres'), max: 1, onnotice: () => {} });
await admin.unsafe(`drop database if exists ${databaseName} with (force)`);
await admin.unsafe(`create database ${databaseName}`);
await admin.end();
await runMigrations(benchUrl.toString());
const { db, sql, close } = createDb({ url: benchUrl.toString(), max: 2 });
await seedFleet(db, {
  meters: meterCount,
  onProgress: (done, total) => process.stdout.write(`\r[bench:ingest] fleet ${done}/${total}`),
});
process.stdout.write('\n');

// Plan whole daily profiles until the target is reached.
const perDay = planSimulation({ meters: meterCount, days: 1, endDay: values['end-day'] }).manifest.sent
  .readings;
const days = Math.max(1, Math.ceil(targetReadings / perDay));
const planned = planSimulation({ meters: meterCount, days, endDay: values['end-day'] });
const { manifest } = planned;
say(
  `${meterCount} meters × ${days} days = ${manifest.sent.readings} readings in ${manifest.sent.messages} messages`,
);

const kafka = createKafka({ brokers: env.KAFKA_BROKERS, clientId: 'meterops-bench' });
const runId = randomUUID().slice(0, 8);
const topic = `bench.${runId}.readings`;
const groupId = `bench-${runId}`;
await ensureTopics(kafka, [
  { topic, numPartitions: partitions },
  { topic: `${topic}.dlq`, numPartitions: 1 },
]);

const workerCount = Number(values.workers);
const workers = Array.from({ length: workerCount }, (_, index) =>
  spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: {
      ...process.env,
      DATABASE_URL: benchUrl.toString(),
      READINGS_TOPIC: topic,
      DLQ_TOPIC: `${topic}.dlq`,
      // The worker publishes accepted readings as a deployed one does (created at its start).
      VALIDATED_TOPIC: `${topic}.validated`,
      CONSUMER_GROUP: groupId,
      INGEST_CONCURRENCY: values.concurrency,
      WORKER_ID: `bench-${index + 1}`,
      WORKER_HEALTH_PORT: '0',
      // The first process runs the batch jobs too, as a deployed worker does; the others only ingest.
      JOBS_ENABLED: index === 0 ? 'true' : 'false',
      ...(values['influx-url'] ? { INFLUX_URL: values['influx-url'] } : {}),
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  }),
);
await Promise.all(
  workers.map(
    (worker) =>
      new Promise<void>((resolve, reject) => {
        worker.once('exit', (code) => reject(new Error(`worker exited with ${code} before joining`)));
        worker.stdout?.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('partitions assigned')) resolve();
        });
      }),
  ),
);
say(`${workerCount} worker process${workerCount > 1 ? 'es' : ''} joined; producing`);

const started = performance.now();
const probe = createLagProbe(kafka, groupId, topic);
let produced = false;
const producing = produceMessages(kafka, {
  topic,
  messages: planned.messages(),
  chunkSize: 1000,
  onProgress: (progress) =>
    process.stdout.write(`\r[bench:ingest] produced ${progress.readings}/${manifest.sent.readings} readings`),
}).then((result) => {
  produced = true;
  process.stdout.write('\n');
  say(
    `produced in ${(result.elapsedMs / 1000).toFixed(1)} s (${Math.round(result.readings / (result.elapsedMs / 1000))} readings/s offered)`,
  );
});
let lastPrint = 0;
for (;;) {
  const lags = await probe.read();
  const committed = lags.reduce((sum, entry) => sum + entry.committedOffset, 0n);
  const end = lags.reduce((sum, entry) => sum + entry.highWatermark, 0n);
  if (produced && committed >= BigInt(manifest.sent.messages) && end === committed) break;
  const elapsed = performance.now() - started;
  if (elapsed - lastPrint > 5_000) {
    lastPrint = elapsed;
    say(`committed ${committed}/${manifest.sent.messages} messages after ${(elapsed / 1000).toFixed(0)} s`);
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
}
const ingestSeconds = (performance.now() - started) / 1000;
await producing;
await probe.stop();
await Promise.all(
  workers.map((worker) => {
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.kill('SIGTERM');
    return exited;
  }),
);

const [stored] = await sql<
  { count: number; kwh: string }[]
>`select count(*)::int as count, sum(kwh)::text as kwh from readings`;
if (stored?.count !== manifest.expected.storedReadings) {
  throw new Error(`stored ${stored?.count} readings, expected ${manifest.expected.storedReadings}`);
}
const ingestRate = manifest.sent.readings / ingestSeconds;
say(
  `ingest: ${manifest.sent.readings} readings in ${ingestSeconds.toFixed(1)} s; stored ${stored.count}, kWh ${stored.kwh} (manifest ${manifest.expected.totalKwh})`,
);

// The ceiling: the same rows COPYed into a table with no keys, no indexes and no aggregates.
await sql`create table copy_ceiling (meter_id text, interval_start timestamptz, kwh numeric(14,4))`;
const copyStarted = performance.now();
const copyStream = await sql`copy copy_ceiling (meter_id, interval_start, kwh) from stdin`.writable();
function* rows() {
  for (const message of planned.messages()) {
    const body = JSON.parse(message.value) as {
      meterId: string;
      readings: { intervalStart: string; kwh: number }[];
    };
    let text = '';
    for (const reading of body.readings)
      text += `${body.meterId}\t${reading.intervalStart}\t${reading.kwh}\n`;
    yield text;
  }
}
await pipeline(rows(), copyStream);
const copySeconds = (performance.now() - copyStarted) / 1000;
const [copied] = await sql<{ count: number }[]>`select count(*)::int as count from copy_ceiling`;
const copyRate = (copied?.count ?? 0) / copySeconds;
say(`copy: ${copied?.count} rows in ${copySeconds.toFixed(1)} s`);
await close();

function connection(url: URL, database: string) {
  return {
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username || 'postgres'),
    password: url.password ? decodeURIComponent(url.password) : undefined,
    database,
  };
}

console.log(
  `ingest: ${Math.round(ingestRate)} readings/s, copy ceiling: ${Math.round(copyRate)} rows/s, ratio: ${(ingestRate / copyRate).toFixed(2)}`,
);
process.exit(0);
