/**
 * The validated-readings topic (issue 13 item 5) on the real Kafka and Postgres: readings ingest
 * accepted are published keyed by meter with quality and version, new versions again, unchanged
 * duplicates not; and a batch delivered again after its transaction committed (offsets not yet
 * committed to Kafka) publishes its readings again as stored, so none is lost (at least once).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaBatch } from '../src/kafka';
import { IngestPipeline } from '../src/ingest/pipeline';
import type { ValidatedReadingsMessage } from '../src/ingest/validated';
import { createMeters, starts, type TestMeter } from './batch-support';
import {
  createTestDatabase,
  createTestTopics,
  kafka,
  startIngest,
  waitForCaughtUp,
  type TestDatabase,
} from './harness';

const a: TestMeter = { id: 'MTR-000001', region: 'london' };
const b: TestMeter = { id: 'MTR-000002', region: 'north' };
const day = '2026-11-20';
const at = (index: number) => new Date(starts(day)[index] as number).toISOString();
const message = (meterId: string, readings: { intervalStart: string; kwh: number }[]) => ({
  key: meterId,
  value: JSON.stringify({ meterId, readings }),
});

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await createMeters(database.sql, [a, b]);
});

afterAll(async () => {
  await database?.drop();
});

async function readTopic(
  topic: string,
  count: number,
): Promise<{ key: string; value: ValidatedReadingsMessage }[]> {
  const consumer = kafka.consumer({ groupId: `it-validated-${randomUUID().slice(0, 8)}` });
  const received: { key: string; value: ValidatedReadingsMessage }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`only ${received.length} of ${count} messages arrived`)),
      30_000,
    );
    void consumer.run({
      eachMessage: ({ message: record }) => {
        received.push({
          key: record.key?.toString() ?? '',
          value: JSON.parse(record.value?.toString() ?? '{}') as ValidatedReadingsMessage,
        });
        if (received.length >= count) {
          clearTimeout(timer);
          resolve();
        }
        return Promise.resolve();
      },
    });
  });
  await consumer.disconnect();
  return received;
}

describe('validated-readings topic', () => {
  it('publishes accepted readings and new versions keyed by meter, with quality and version', async () => {
    const topics = await createTestTopics(1);
    const validatedTopic = `${topics.topic}.validated`;
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: topics.topic,
      messages: [
        message(a.id, [
          { intervalStart: at(0), kwh: 0.1 },
          { intervalStart: at(1), kwh: 0.2 },
        ]),
        message(b.id, [{ intervalStart: at(0), kwh: 1.25 }]),
      ],
    });
    const ingest = await startIngest(database, topics, { validatedTopic });
    await waitForCaughtUp(topics);
    // A resend with a new value (version 2) and one with the same value (no change, not published).
    await producer.send({
      topic: topics.topic,
      messages: [
        message(a.id, [{ intervalStart: at(0), kwh: 0.15 }]),
        message(b.id, [{ intervalStart: at(0), kwh: 1.25 }]),
      ],
    });
    await producer.disconnect();
    await waitForCaughtUp(topics);
    await ingest.stop();

    const received = await readTopic(validatedTopic, 3);
    expect(received.map((entry) => entry.key)).toEqual([a.id, b.id, a.id]);
    expect(received.map((entry) => entry.value)).toEqual([
      {
        meterId: a.id,
        readings: [
          { intervalStart: at(0), kwh: 0.1, quality: 'actual', version: 1, flags: [] },
          { intervalStart: at(1), kwh: 0.2, quality: 'actual', version: 1, flags: [] },
        ],
      },
      {
        meterId: b.id,
        readings: [{ intervalStart: at(0), kwh: 1.25, quality: 'actual', version: 1, flags: [] }],
      },
      {
        meterId: a.id,
        readings: [{ intervalStart: at(0), kwh: 0.15, quality: 'actual', version: 2, flags: [] }],
      },
    ]);
  });

  it('sends a redelivered batch’s readings again as stored, since their copies may not have gone out', async () => {
    const pipeline = new IngestPipeline(database.db, database.sql, {
      actor: 'ingest:it',
      consumerGroup: `it-redelivered-${randomUUID().slice(0, 8)}`,
      collectValidated: true,
    });
    await pipeline.start();
    const batch: KafkaBatch = {
      topic: 'it.redelivered',
      partition: 0,
      highWatermark: '2',
      messages: [
        message(b.id, [{ intervalStart: at(10), kwh: 0.5 }]),
        message(b.id, [{ intervalStart: at(11), kwh: 0.6 }]),
      ].map((entry, index) => ({
        offset: String(index),
        key: Buffer.from(entry.key),
        value: Buffer.from(entry.value),
        timestamp: String(Date.now()),
      })),
    };
    const first = await pipeline.process(batch);
    expect(
      first.validated.map((reading) => [reading.intervalStart.toISOString(), reading.kwh, reading.version]),
    ).toEqual([
      [at(10), '0.5000', 1],
      [at(11), '0.6000', 1],
    ]);
    const again = await pipeline.process(batch);
    expect(again.redelivered).toBe(2);
    expect(again.inserted + again.revised).toBe(0);
    expect(
      again.validated.map((reading) => [
        reading.meterId,
        reading.intervalStart.toISOString(),
        reading.kwh,
        reading.quality,
        reading.version,
      ]),
    ).toEqual([
      [b.id, at(10), '0.5000', 'actual', 1],
      [b.id, at(11), '0.6000', 'actual', 1],
    ]);
  });
});
