/**
 * The quarantine re-drive end to end, with a real worker on a fresh database, topic and group: a reading
 * of a meter nobody registered is rejected as unknown_meter; once the meter is registered, re-driving the
 * reject (the query function the portal and the CLI use, publishing with the worker's producer) gets the
 * reading stored by the running worker, through the same validation as any message.
 */
import { redriveRejects } from '@meterops/db/queries/rejects';
import { REDRIVE_OF_HEADER, REDRIVEN_BY_HEADER } from '@meterops/domain/redrive';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProducer, type MessageProducer } from '../src/kafka';
import {
  createTestDatabase,
  createTestTopics,
  kafka,
  startIngest,
  waitForCaughtUp,
  type RunningIngest,
  type TestDatabase,
  type TestTopics,
} from './harness';

let database: TestDatabase;
let topics: TestTopics;
let ingest: RunningIngest;
let producer: MessageProducer;
const meterId = `NEW-${Date.now().toString(36)}`;
/** Two days ago at 10:00 UTC: on any grid, after the installation below, not in the future. */
const intervalStart = new Date(
  Math.floor(Date.now() / 86_400_000) * 86_400_000 - 2 * 86_400_000 + 36_000_000,
);

beforeAll(async () => {
  database = await createTestDatabase(4);
  topics = await createTestTopics();
  ingest = await startIngest(database, topics);
  producer = await createProducer(kafka);
});

afterAll(async () => {
  await producer?.stop();
  await ingest?.stop();
  await database?.drop();
});

async function rejectsOf(meter: string) {
  return database.sql<{ id: number; rule: string; resolution: string; resolvedBy: string | null }[]>`
    select id::int, rule, resolution, resolved_by as "resolvedBy" from rejected_readings
    where meter_id = ${meter} order by id`;
}

describe('re-driving an unknown meter’s reading once the meter is registered', () => {
  it('rejects the reading of an unregistered meter as unknown_meter', async () => {
    await producer.send(topics.topic, [
      {
        key: meterId,
        value: JSON.stringify({
          meterId,
          readings: [{ intervalStart: intervalStart.toISOString(), kwh: 0.4321 }],
        }),
      },
    ]);
    await waitForCaughtUp(topics);
    expect(await rejectsOf(meterId)).toEqual([
      { id: expect.any(Number) as number, rule: 'unknown_meter', resolution: 'open', resolvedBy: null },
    ]);
  });

  it('stores the re-driven reading through the running worker and marks the reject redriven', async () => {
    await database.sql`
      insert into meters (id, customer_id, region, segment, tariff_id, interval_minutes, time_zone, max_kwh_per_interval, installed_at)
      select ${meterId}, customer_id, region, segment, tariff_id, 15, 'UTC', 10, '2020-01-01T00:00:00Z'
      from meters order by id limit 1`;
    const [reject] = await rejectsOf(meterId);

    const sent: { key: string | null; headers: Record<string, string> }[] = [];
    const outcome = await redriveRejects(database.db, {
      rule: 'unknown_meter',
      meterId,
      actor: 'cli:it',
      publish: async (messages) => {
        sent.push(...messages.map(({ key, headers }) => ({ key, headers })));
        await producer.send(
          topics.topic,
          messages.map(({ key, value, headers }) => ({ key, value, headers })),
        );
      },
    });
    expect(outcome).toEqual({ redriven: 1, messages: 1, remaining: 0 });
    expect(sent).toEqual([
      { key: meterId, headers: { [REDRIVE_OF_HEADER]: String(reject?.id), [REDRIVEN_BY_HEADER]: 'cli:it' } },
    ]);

    await waitForCaughtUp(topics);
    const stored = await database.sql<{ kwh: string; quality: string }[]>`
      select kwh::text, quality::text from readings where meter_id = ${meterId} and interval_start = ${intervalStart}`;
    expect(stored).toEqual([{ kwh: '0.4321', quality: 'actual' }]);
    // Stored, not rejected a second time; the one reject is resolved with who did it.
    expect(await rejectsOf(meterId)).toEqual([
      { id: reject?.id, rule: 'unknown_meter', resolution: 'redriven', resolvedBy: 'cli:it' },
    ]);
  });

  it('publishes nothing when the same selection is re-driven again', async () => {
    let published = 0;
    const outcome = await redriveRejects(database.db, {
      rule: 'unknown_meter',
      meterId,
      actor: 'cli:it',
      publish: (messages) => {
        published += messages.length;
        return Promise.resolve();
      },
    });
    expect(outcome).toEqual({ redriven: 0, messages: 0, remaining: 0 });
    expect(published).toBe(0);
  });
});
