/**
 * Re-driving and dismissing quarantined rejects through the rejects procedures, against real Postgres and
 * a real Kafka topic of this file's own: what is published is read back with a consumer and compared
 * message by message (key, value bytes, headers).
 */
import { randomUUID } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { sql } from 'drizzle-orm';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ZodError } from 'zod';
import { z } from 'zod';
import { REDRIVE_OF_HEADER, REDRIVEN_BY_HEADER } from '@meterops/domain/redrive';
import { env } from '../src/env';
import { readingsPublisher, type ReadingsPublisher } from '../src/server/kafka';
import { createCaller } from '../src/server/root';
import { contextFor, createTestDb, TestData, type TestUser } from './support';

const { db, close } = createTestDb();
const data = new TestData(db);
const run = randomUUID().slice(0, 8);
/** Where the rejects came from (rejected_readings.topic) and where re-drives go. */
const sourceTopic = `it.${run}.rejects-source`;
const redriveTopic = `it.${run}.redrive`;
const meterId = `RDRV-${run}-A`;
const otherMeter = `RDRV-${run}-B`;
const crowdMeter = `RDRV-${run}-C`;
const customerId = `rdrv-${run}`;
const tariffId = `RDRV-${run}`;

const kafka = new Kafka({
  clientId: 'meterops-web-it',
  brokers: env.KAFKA_BROKERS,
  logLevel: logLevel.NOTHING,
});
const admin = kafka.admin();
let consumer: Consumer;

interface Published {
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}
const published: Published[] = [];

let operator: TestUser;
let publisher: ReadingsPublisher;

async function callerAs(user: TestUser, readings: ReadingsPublisher = publisher) {
  return createCaller({ ...(await contextFor(db, user)), readings });
}

/** Waits until the consumer has seen `count` messages in all, and returns them. */
async function publishedUpTo(count: number): Promise<Published[]> {
  const deadline = Date.now() + 30_000;
  while (published.length < count) {
    if (Date.now() > deadline) throw new Error(`saw ${published.length} of ${count} messages`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return published.slice(0, count);
}

/** Messages on the topic according to the broker, whatever the consumer has read yet. */
async function messagesOnTopic(): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(redriveTopic);
  return offsets.reduce((sum, entry) => sum + Number(entry.high) - Number(entry.low), 0);
}

async function fieldErrorsOf(call: Promise<unknown>): Promise<Record<string, string[] | undefined>> {
  try {
    await call;
  } catch (error) {
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe('BAD_REQUEST');
    return z.flattenError((error as TRPCError).cause as ZodError).fieldErrors;
  }
  throw new Error('the call succeeded');
}

let nextOffset = 0;
/** A reading-level reject as the worker stores it, and its id. */
async function readingReject(
  meter: string,
  rule: string,
  item: unknown,
  resolution = 'open',
): Promise<number> {
  const offset = nextOffset++;
  const rows = await db.execute<{ id: string }>(sql`
    insert into rejected_readings
      (topic, partition, kafka_offset, item_index, message_key, meter_id, rule, detail, payload, resolution,
       resolved_by, resolved_at, resolution_note)
    values (${sourceTopic}, 0, ${offset}, 0, ${meter}, ${meter}, ${rule}, 'test', ${JSON.stringify({ meterId: meter, reading: item })},
            ${resolution}, ${resolution === 'open' ? null : 'earlier-operator'},
            ${resolution === 'open' ? null : '2026-11-01T00:00:00Z'}, ${resolution === 'open' ? null : 'earlier'})
    returning id::text`);
  return Number(rows[0]?.id);
}

async function resolutionsOf(ids: readonly number[]) {
  const rows = await db.execute<{
    id: string;
    resolution: string;
    resolved_by: string | null;
    resolved_ms: number | null;
    resolution_note: string | null;
  }>(sql`
    select id::text, resolution, resolved_by, (extract(epoch from resolved_at) * 1000)::float8 as resolved_ms,
           resolution_note
    from rejected_readings
    where id = any(${`{${ids.join(',')}}`}::bigint[]) order by id`);
  return rows.map((row) => ({ ...row, id: Number(row.id) }));
}

const items = [
  { intervalStart: '2026-11-22T00:00:00Z', kwh: 0.25 },
  { intervalStart: '2026-11-22T00:30:00Z', kwh: 0.5, note: 'extra fields travel as sent' },
  { intervalStart: '2026-11-22T01:00:00Z', kwh: 0.75 },
];
const unknownIds: number[] = [];
let alreadyDismissed: number;
let negativeId: number;
let wholeMessageId: number;
const wholeMessageBytes = Buffer.from([0x7b, 0x22, 0xff, 0x00, 0x22, 0x3a, 0x31, 0x7d]);

beforeAll(async () => {
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: redriveTopic, numPartitions: 3 }], waitForLeaders: true });
  consumer = kafka.consumer({ groupId: `it-${run}-reader`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: redriveTopic, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      published.push({
        key: message.key?.toString('utf8') ?? null,
        value: message.value ?? Buffer.alloc(0),
        headers: Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
        ),
      });
      return Promise.resolve();
    },
  });

  operator = await data.user('operator');
  publisher = readingsPublisher(redriveTopic);
  for (const item of items) unknownIds.push(await readingReject(meterId, 'unknown_meter', item));
  alreadyDismissed = await readingReject(meterId, 'unknown_meter', items[0], 'dismissed');
  negativeId = await readingReject(meterId, 'negative_value', {
    intervalStart: '2026-11-22T02:00:00Z',
    kwh: -1,
  });
  const whole = await db.execute<{ id: string }>(sql`
    insert into rejected_readings
      (topic, partition, kafka_offset, item_index, message_key, meter_id, rule, detail, payload, payload_bytes)
    values (${sourceTopic}, 1, 0, -1, ${`key-of-${otherMeter}`}, ${otherMeter}, 'malformed_json', 'test',
            '{"\uFFFD\uFFFD":1}', ${wholeMessageBytes})
    returning id::text`);
  wholeMessageId = Number(whole[0]?.id);
});

afterAll(async () => {
  await consumer?.disconnect();
  await admin.deleteTopics({ topics: [redriveTopic] }).catch(() => undefined);
  await admin.disconnect();
  await db.execute(sql`delete from rejected_readings where topic = ${sourceTopic}`);
  await db.execute(sql`delete from meters where customer_id = ${customerId}`);
  await db.execute(sql`delete from customers where id = ${customerId}`);
  await db.execute(sql`delete from tariffs where id = ${tariffId}`);
  await data.cleanup();
  await close();
});

describe('re-driving unknown_meter rejects once the meter is registered', () => {
  it('counts exactly the open rejects of a selection', async () => {
    const caller = await callerAs(operator);
    expect(await caller.rejects.openCount({ rule: 'unknown_meter', meterId })).toEqual({
      open: 3,
      perAction: 10_000,
    });
    expect((await caller.rejects.openCount({ meterId })).open).toBe(4);
    expect((await caller.rejects.openCount({ meterId, to: new Date('2000-01-01T00:00:00Z') })).open).toBe(0);
  });

  it('refuses to re-drive a meter that is still unknown, with a field error, and publishes nothing', async () => {
    const caller = await callerAs(operator);
    expect(await caller.rejects.redriveMeterCount({ meterId })).toEqual({
      open: 3,
      perAction: 10_000,
      registered: false,
    });
    const errors = await fieldErrorsOf(caller.rejects.redriveMeter({ meterId }));
    expect(errors.meterId?.[0]).toContain('is not registered');
    expect(await messagesOnTopic()).toBe(0);
  });

  it('publishes the meter’s open readings as one contract message and records who and when', async () => {
    await db.execute(
      sql`insert into tariffs (id, name, kind, base_price_per_kwh) values (${tariffId}, 'Redrive test', 'flat', 0.2)`,
    );
    await db.execute(
      sql`insert into customers (id, name, region, segment) values (${customerId}, 'Redrive test', 'test', 'residential')`,
    );
    await db.execute(sql`
      insert into meters (id, customer_id, region, segment, tariff_id, interval_minutes, time_zone, max_kwh_per_interval, installed_at)
      values (${meterId}, ${customerId}, 'test', 'residential', ${tariffId}, 30, 'UTC', 10, '2026-01-01T00:00:00Z')`);
    const caller = await callerAs(operator);
    expect((await caller.rejects.redriveMeterCount({ meterId })).registered).toBe(true);

    const before = new Date();
    expect(await caller.rejects.redriveMeter({ meterId })).toEqual({
      redriven: 3,
      messages: 1,
      remaining: 0,
    });
    const after = new Date();

    expect(await publishedUpTo(1)).toEqual([
      {
        key: meterId,
        value: Buffer.from(JSON.stringify({ meterId, readings: items })),
        headers: { [REDRIVE_OF_HEADER]: unknownIds.join(','), [REDRIVEN_BY_HEADER]: operator.id },
      },
    ]);
    const rows = await resolutionsOf([...unknownIds, alreadyDismissed]);
    const redriven = rows.filter((row) => unknownIds.includes(row.id));
    expect(redriven).toHaveLength(3);
    for (const row of redriven) {
      expect(row).toMatchObject({
        resolution: 'redriven',
        resolved_by: operator.id,
        resolution_note: 'meter registered',
      });
      expect(row.resolved_ms).toBeGreaterThanOrEqual(before.getTime() - 1_000);
      expect(row.resolved_ms).toBeLessThanOrEqual(after.getTime() + 1_000);
    }
    // The reject dismissed earlier keeps its resolution and who made it.
    expect(rows.find((row) => row.id === alreadyDismissed)).toMatchObject({
      resolution: 'dismissed',
      resolved_by: 'earlier-operator',
    });

    const listed = await caller.rejects.list({ meterId, rule: 'unknown_meter', resolution: 'redriven' });
    expect(listed.rows.map((row) => [row.id, row.resolution, row.resolvedBy, row.resolvedByName])).toEqual(
      [...unknownIds].reverse().map((id) => [id, 'redriven', operator.id, 'Test operator']),
    );
  });

  it('publishes nothing on a second re-drive of the same selection', async () => {
    const caller = await callerAs(operator);
    expect(await caller.rejects.redriveMeter({ meterId })).toEqual({
      redriven: 0,
      messages: 0,
      remaining: 0,
    });
    expect(await caller.rejects.redrive({ rule: 'unknown_meter', meterId })).toEqual({
      redriven: 0,
      messages: 0,
      remaining: 0,
    });
    expect(await messagesOnTopic()).toBe(1);
  });
});

describe('re-driving by filter', () => {
  it('sends a whole-message reject byte for byte under its original key', async () => {
    const caller = await callerAs(operator);
    expect(await caller.rejects.openCount({ rule: 'malformed_json', meterId: otherMeter })).toMatchObject({
      open: 1,
    });
    expect(
      await caller.rejects.redrive({ rule: 'malformed_json', meterId: otherMeter, note: ' head-end fixed ' }),
    ).toEqual({
      redriven: 1,
      messages: 1,
      remaining: 0,
    });
    const [, whole] = await publishedUpTo(2);
    expect(whole).toEqual({
      key: `key-of-${otherMeter}`,
      value: wholeMessageBytes,
      headers: { [REDRIVE_OF_HEADER]: String(wholeMessageId), [REDRIVEN_BY_HEADER]: operator.id },
    });
    expect(await resolutionsOf([wholeMessageId])).toMatchObject([
      { resolution: 'redriven', resolved_by: operator.id, resolution_note: 'head-end fixed' },
    ]);
  });

  it('leaves the rejects open when publishing fails', async () => {
    const id = await readingReject(otherMeter, 'future_interval', {
      intervalStart: '2099-01-01T00:00:00Z',
      kwh: 1,
    });
    const failing: ReadingsPublisher = {
      topic: redriveTopic,
      publish: () => Promise.reject(new Error('the broker refused the batch')),
    };
    const caller = await callerAs(operator, failing);
    await expect(caller.rejects.redrive({ rule: 'future_interval', meterId: otherMeter })).rejects.toThrow(
      'the broker refused the batch',
    );
    expect(await resolutionsOf([id])).toMatchObject([
      { resolution: 'open', resolved_by: null, resolved_ms: null },
    ]);
    expect(await messagesOnTopic()).toBe(2);
  });

  it('publishes each reject once when two operators re-drive the same selection at once', async () => {
    const ids: number[] = [];
    for (let index = 0; index < 40; index += 1) {
      const start = new Date(Date.UTC(2026, 10, 22) + index * 1_800_000).toISOString().replace('.000', '');
      ids.push(await readingReject(crowdMeter, 'unknown_meter', { intervalStart: start, kwh: index / 100 }));
    }
    const [first, second] = [await callerAs(operator), await callerAs(await data.user('admin'))];
    const outcomes = await Promise.all([
      first.rejects.redrive({ meterId: crowdMeter }),
      second.rejects.redrive({ meterId: crowdMeter }),
    ]);
    expect(outcomes[0].redriven + outcomes[1].redriven).toBe(40);

    const messages = outcomes[0].messages + outcomes[1].messages;
    const crowd = (await publishedUpTo(2 + messages)).slice(2);
    const sentIds = crowd.flatMap((message) =>
      (message.headers[REDRIVE_OF_HEADER] ?? '').split(',').map(Number),
    );
    expect(sentIds.sort((a, b) => a - b)).toEqual(ids);
    const sentItems = crowd.flatMap(
      (message) => (JSON.parse(message.value.toString('utf8')) as { readings: unknown[] }).readings,
    );
    expect(sentItems).toHaveLength(40);
    expect(await messagesOnTopic()).toBe(2 + messages);
    expect((await resolutionsOf(ids)).every((row) => row.resolution === 'redriven')).toBe(true);
  });
});

describe('dismissing', () => {
  it('needs a reason, given as a field error', async () => {
    const caller = await callerAs(operator);
    const errors = await fieldErrorsOf(caller.rejects.dismiss({ meterId, reason: '  ' }));
    expect(errors.reason?.[0]).toContain('Give a reason');
    expect(await resolutionsOf([negativeId])).toMatchObject([{ resolution: 'open' }]);
  });

  it('dismisses the open rejects of the selection with the reason, who and when', async () => {
    const caller = await callerAs(operator);
    expect(await caller.rejects.dismiss({ meterId, reason: '  Test meter: values known wrong ' })).toEqual({
      dismissed: 1,
      remaining: 0,
    });
    const [row] = await resolutionsOf([negativeId]);
    expect(row).toMatchObject({
      resolution: 'dismissed',
      resolved_by: operator.id,
      resolution_note: 'Test meter: values known wrong',
    });
    expect(row?.resolved_ms).toBeGreaterThan(Date.now() - 60_000);
    const listed = await caller.rejects.list({ meterId, resolution: 'dismissed' });
    expect(listed.rows.map((entry) => [entry.id, entry.resolutionNote])).toEqual([
      [negativeId, 'Test meter: values known wrong'],
      [alreadyDismissed, 'earlier'],
    ]);
    // Re-driving touches open rejects only: nothing of this meter is left open.
    expect((await caller.rejects.openCount({ meterId })).open).toBe(0);
  });
});

describe('who may resolve rejects', () => {
  it('refuses agents and customers, and changes nothing', async () => {
    const id = await readingReject(otherMeter, 'spike_test_rule', {
      intervalStart: '2026-11-22T00:00:00Z',
      kwh: 1,
    });
    for (const role of ['agent', 'customer'] as const) {
      const caller = await callerAs(await data.user(role));
      await expect(caller.rejects.redrive({ rule: 'spike_test_rule' })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      await expect(
        caller.rejects.dismiss({ rule: 'spike_test_rule', reason: 'not mine' }),
      ).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      await expect(caller.rejects.redriveMeter({ meterId: otherMeter })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
    }
    expect(await resolutionsOf([id])).toMatchObject([{ resolution: 'open' }]);
  });
});
