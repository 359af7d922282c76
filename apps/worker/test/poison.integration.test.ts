/**
 * No message stops ingest. Hostile values (thousands of levels of nesting, NUL in ids and keys, invalid
 * UTF-8, numbers JSON cannot hold) are quarantined with their exact bytes while the partition moves on;
 * a property-based run feeds thousands of generated messages through decode, validate and store and
 * checks that each one ends stored or quarantined, with the worker still consuming afterwards.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import {
  createTestDatabase,
  createTestTopics,
  kafka,
  nth,
  startIngest,
  type RunningIngest,
  type TestDatabase,
  type TestTopics,
} from './harness';

let database: TestDatabase;
let producer: Producer;
const running: RunningIngest[] = [];
let meters: { id: string; intervalMinutes: number }[] = [];

beforeAll(async () => {
  database = await createTestDatabase(30);
  meters = await database.sql<{ id: string; intervalMinutes: number }[]>`
    select id, interval_minutes as "intervalMinutes" from meters where interval_minutes = 15 order by id`;
  producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
});

afterAll(async () => {
  for (const ingest of running) await ingest.stop();
  await producer.disconnect();
  await database.drop();
});

/** Sends raw records to partition 0 in order and returns their offsets. */
async function sendRaw(
  topics: TestTopics,
  records: { key: Buffer | string | null; value: Buffer | string | null }[],
): Promise<bigint[]> {
  const offsets: bigint[] = [];
  for (let start = 0; start < records.length; start += 500) {
    const chunk = records.slice(start, start + 500);
    const [meta] = await producer.send({
      topic: topics.topic,
      acks: -1,
      messages: chunk.map((record) => ({ ...record, partition: 0 })),
    });
    const base = BigInt(meta?.baseOffset ?? '0');
    chunk.forEach((_, index) => offsets.push(base + BigInt(index)));
  }
  return offsets;
}

async function waitForPosition(topics: TestTopics, nextOffset: bigint, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await database.sql<{ next: string }[]>`
      select next_offset::text as next from ingest_offsets
      where consumer_group = ${topics.groupId} and topic = ${topics.topic} and partition = 0`;
    if (row && BigInt(row.next) >= nextOffset) return;
    if (Date.now() > deadline)
      throw new Error(`partition 0 did not reach offset ${nextOffset} (at ${row?.next})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function nested(depth: number): string {
  return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
}

const validValue = (meterId: string, intervalStart: string, kwh: number) =>
  JSON.stringify({ meterId, readings: [{ intervalStart, kwh }] });

describe('poison messages', () => {
  it('quarantines each hostile message with its exact bytes and goes on with the partition', async () => {
    const topics = await createTestTopics(1);
    running.push(await startIngest(database, topics, { service: { maxBackoffMs: 200 } }));
    const meter = nth(meters, 0).id;
    const deep = Buffer.from(
      `{"meterId":"${meter}","readings":[{"intervalStart":"2026-11-10T00:00:00Z","kwh":${nested(5_000)}}]}`,
    );
    const invalidUtf8 = Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x22, 0x7d]);
    const records = [
      { key: meter, value: deep },
      { key: null, value: Buffer.from(validValue('MTR\u0000X', '2026-11-10T00:00:00Z', 0.1)) },
      { key: Buffer.from([0x00, 0xff]), value: Buffer.from(validValue(meter, '2026-11-10T00:15:00Z', 0.1)) },
      { key: meter, value: invalidUtf8 },
      {
        key: meter,
        value: Buffer.from(
          `{"meterId":"${meter}","readings":[{"intervalStart":"2026-11-10T00:30:00Z","kwh":1e400}]}`,
        ),
      },
      { key: meter, value: Buffer.from(nested(100_000)) },
      { key: meter, value: Buffer.from(validValue(meter, '2026-11-10T00:45:00Z', 0.25)) },
    ];
    const offsets = await sendRaw(topics, records);
    await waitForPosition(topics, nth(offsets, -1) + 1n);

    const rejects = await database.sql<
      { offset: string; itemIndex: number; rule: string; payload: string; payloadBytes: Buffer | null }[]
    >`
      select kafka_offset::text as offset, item_index as "itemIndex", rule, payload, payload_bytes as "payloadBytes"
      from rejected_readings where topic = ${topics.topic} order by kafka_offset, item_index`;
    const byOffset = new Map(rejects.map((row) => [BigInt(row.offset), row]));
    // The nested kwh fails its item rule; its text cannot be written out, so the message's bytes are kept.
    expect(byOffset.get(nth(offsets, 0))?.rule).toBe('not_a_number');
    expect(byOffset.get(nth(offsets, 0))?.payloadBytes?.equals(deep)).toBe(true);
    expect(byOffset.get(nth(offsets, 1))?.rule).toBe('schema');
    // JSON escapes the NUL, so the readable text holds `\u0000` and the bytes hold the message as sent.
    expect(byOffset.get(nth(offsets, 1))?.payload).toContain('MTR\\u0000X');
    expect(byOffset.get(nth(offsets, 1))?.payloadBytes?.equals(nth(records, 1).value)).toBe(true);
    expect(byOffset.get(nth(offsets, 2))?.rule).toBe('key_mismatch');
    expect(byOffset.get(nth(offsets, 3))?.rule).toBe('malformed_json');
    expect(byOffset.get(nth(offsets, 3))?.payloadBytes?.equals(invalidUtf8)).toBe(true);
    expect(byOffset.get(nth(offsets, 4))?.rule).toBeDefined();
    expect(byOffset.get(nth(offsets, 5))?.rule).toMatch(/^(schema|malformed_json|processing_error)$/);
    expect(byOffset.has(nth(offsets, 6))).toBe(false);
    const [stored] = await database.sql<{ kwh: string }[]>`
      select kwh::text from readings where meter_id = ${meter} and interval_start = '2026-11-10T00:45:00Z'`;
    expect(stored?.kwh).toBe('0.2500');
    // Nothing Postgres keeps as text holds a NUL.
    const [nul] = await database.sql<{ count: number }[]>`
      select count(*)::int as count from rejected_readings
      where strpos(payload, chr(65533)) > 0 and topic = ${topics.topic}`;
    expect(nul?.count).toBeGreaterThan(0);
  }, 180_000);

  it('ends every generated hostile message stored or quarantined, and keeps consuming', async () => {
    const topics = await createTestTopics(1);
    const ingest = await startIngest(database, topics, { service: { maxBackoffMs: 200 } });
    running.push(ingest);
    const meterIds = meters.map((meter) => meter.id);
    const instant = fc
      .integer({ min: 0, max: 95 })
      .map((slot) =>
        new Date(Date.UTC(2026, 10, 9) + slot * 15 * 60_000).toISOString().replace('.000Z', 'Z'),
      );
    const hostileString = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.constantFrom('\u0000', '\uD800', '\u202E', 'NaN', '-0', '1e999', '0x10', ' ', ''),
    );
    const hostileNumber = fc.oneof(
      fc.double(),
      fc.integer({ min: -1_000, max: 1_000 }).map((units) => units / 100),
      fc.constantFrom(0, -0, 1e308, Number.MAX_SAFE_INTEGER, 0.12345),
    );
    const kwh = fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 0, max: 2_000 }).map((units) => units / 10_000) },
      { weight: 1, arbitrary: hostileNumber },
      { weight: 1, arbitrary: hostileString },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
      { weight: 1, arbitrary: fc.integer({ min: 50, max: 3_000 }).map((depth) => ({ raw: nested(depth) })) },
    );
    const item = fc.record({
      intervalStart: fc.oneof({ weight: 4, arbitrary: instant }, { weight: 1, arbitrary: hostileString }),
      kwh,
    });
    const meterId = fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom(...meterIds) },
      { weight: 1, arbitrary: hostileString },
    );
    const envelope = fc.record({ meterId, readings: fc.array(item, { minLength: 1, maxLength: 6 }) });
    /** JSON with raw fragments (deep nesting written out, since JSON.stringify cannot). */
    const render = (value: unknown): string =>
      JSON.stringify(value, (_key, entry: unknown) =>
        typeof entry === 'object' && entry !== null && 'raw' in entry
          ? `@@RAW${(entry as { raw: string }).raw}@@`
          : entry,
      ).replace(/"@@RAW(.*?)@@"/g, '$1');
    const record = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.tuple(envelope, fc.constantFrom('meter', 'none', 'other')).map(([value, keyKind]) => ({
          key:
            keyKind === 'meter'
              ? typeof value.meterId === 'string'
                ? value.meterId
                : null
              : keyKind === 'none'
                ? null
                : 'MTR-other',
          value: Buffer.from(render(value)),
        })),
      },
      {
        weight: 1,
        arbitrary: fc
          .uint8Array({ maxLength: 300 })
          .map((bytes) => ({ key: null, value: Buffer.from(bytes) })),
      },
      {
        weight: 1,
        arbitrary: fc
          .jsonValue()
          .map((value) => ({ key: null, value: Buffer.from(JSON.stringify(value) ?? 'null') })),
      },
    );
    const records = fc.sample(record, { numRuns: 2_000, seed: 20261204 });
    const offsets = await sendRaw(topics, records);
    const sentinelAt = '2026-11-11T12:00:00Z';
    const sentinelOffsets = await sendRaw(topics, [
      { key: nth(meterIds, 1), value: validValue(nth(meterIds, 1), sentinelAt, 0.4321) },
    ]);
    await waitForPosition(topics, nth(sentinelOffsets, 0) + 1n, 240_000);

    const rejects = await database.sql<{ offset: string; itemIndex: number }[]>`
      select kafka_offset::text as offset, item_index as "itemIndex" from rejected_readings where topic = ${topics.topic}`;
    const rejected = new Set(rejects.map((row) => `${row.offset}/${row.itemIndex}`));
    const storedKeys = new Set(
      (
        await database.sql<{ key: string }[]>`
          select meter_id || '|' || extract(epoch from interval_start)::bigint as key from readings
          where meter_id = any(${meterIds}::text[]) and interval_start >= '2026-11-09Z' and interval_start < '2026-11-10Z'`
      ).map((row) => row.key),
    );
    const unaccounted: string[] = [];
    records.forEach((entry, index) => {
      const offset = nth(offsets, index).toString();
      if (rejected.has(`${offset}/-1`)) return;
      const parsed = JSON.parse(entry.value.toString('utf8')) as {
        meterId: string;
        readings: { intervalStart: string }[];
      };
      parsed.readings.forEach((reading, itemIndex) => {
        if (rejected.has(`${offset}/${itemIndex}`)) return;
        const key = `${parsed.meterId}|${Date.parse(reading.intervalStart) / 1000}`;
        if (!storedKeys.has(key)) unaccounted.push(`offset ${offset} item ${itemIndex}`);
      });
    });
    expect(unaccounted).toEqual([]);
    // Some of each outcome, so the run exercised both paths.
    expect(rejected.size).toBeGreaterThan(500);
    expect(storedKeys.size).toBeGreaterThan(100);
    const [sentinel] = await database.sql<{ kwh: string }[]>`
      select kwh::text from readings where meter_id = ${nth(meterIds, 1)} and interval_start = ${sentinelAt}`;
    expect(sentinel?.kwh).toBe('0.4321');
    expect(ingest.service.health.ready(Date.now())).toBe(true);
  }, 300_000);

  it('narrows a batch Postgres refuses down to the one message, quarantines it and stores the rest', async () => {
    const topics = await createTestTopics(1);
    // A refusal no rule foresees: Postgres raises a data error for one value, inside the batch's transaction.
    await database.sql.unsafe(`
      create or replace function refuse_poison() returns trigger language plpgsql as $$
      begin
        if new.kwh = 0.0666 then raise exception 'poison value' using errcode = '22023'; end if;
        return new;
      end $$;
      create trigger refuse_poison before insert on readings for each row execute function refuse_poison()`);
    try {
      const meter = nth(meters, 2).id;
      const values = [0.01, 0.02, 0.0666, 0.04, 0.05, 0.06, 0.07];
      const offsets = await sendRaw(
        topics,
        values.map((kwh, slot) => ({
          key: meter,
          value: validValue(meter, new Date(Date.UTC(2026, 10, 8) + slot * 15 * 60_000).toISOString(), kwh),
        })),
      );
      // Started after the send, so the seven messages arrive as one batch.
      const ingest = await startIngest(database, topics, { service: { maxBackoffMs: 200 } });
      running.push(ingest);
      await waitForPosition(topics, nth(offsets, -1) + 1n);
      const rejects = await database.sql<{ offset: string; rule: string; detail: string }[]>`
        select kafka_offset::text as offset, rule, detail from rejected_readings where topic = ${topics.topic}`;
      expect(rejects.map(({ offset, rule }) => ({ offset, rule }))).toEqual([
        { offset: nth(offsets, 2).toString(), rule: 'processing_error' },
      ]);
      expect(nth(rejects, 0).detail).toContain('poison value');
      const stored = await database.sql<{ kwh: string }[]>`
        select kwh::text from readings where meter_id = ${meter}
          and interval_start >= '2026-11-08Z' and interval_start < '2026-11-09Z' order by interval_start`;
      expect(stored.map((row) => row.kwh)).toEqual([
        '0.0100',
        '0.0200',
        '0.0400',
        '0.0500',
        '0.0600',
        '0.0700',
      ]);
    } finally {
      await database.sql.unsafe(`drop trigger refuse_poison on readings; drop function refuse_poison()`);
    }
  }, 120_000);
});
