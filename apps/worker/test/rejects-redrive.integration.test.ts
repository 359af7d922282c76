/**
 * The quarantine re-drive end to end, with a real worker on a fresh database, topic and group: a reading
 * of a meter nobody registered is rejected as unknown_meter; once the meter is registered, re-driving the
 * reject (the query function the portal and the CLI use, publishing with the worker's producer) gets the
 * reading stored by the running worker, through the same validation as any message.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
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
  return database.sql<
    { id: number; rule: string; resolution: string; resolvedBy: string | null; note: string | null }[]
  >`
    select id::int, rule, resolution, resolved_by as "resolvedBy", resolution_note as note from rejected_readings
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
      {
        id: expect.any(Number) as number,
        rule: 'unknown_meter',
        resolution: 'open',
        resolvedBy: null,
        note: null,
      },
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
      { id: reject?.id, rule: 'unknown_meter', resolution: 'redriven', resolvedBy: 'cli:it', note: null },
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

const workerDir = fileURLToPath(new URL('..', import.meta.url));
const cli = (...args: string[]) =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/rejects.ts', ...args], {
    cwd: workerDir,
    env: { ...process.env, DATABASE_URL: database.url, READINGS_TOPIC: topics.topic },
    timeout: 90_000,
  });

/** A reading-level reject as the worker stores it. */
async function insertReject(meter: string, rule: string, offset: number, reading: unknown) {
  await database.sql`
    insert into rejected_readings (topic, partition, kafka_offset, item_index, message_key, meter_id, rule, detail, payload)
    values ('cli-test', 0, ${offset}, 0, ${meter}, ${meter}, ${rule}, 'test', ${JSON.stringify({ meterId: meter, reading })})`;
}

describe('npm run rejects', () => {
  const bench = `BENCH-${Date.now().toString(36)}`;

  it('prints the dry-run count and changes nothing', async () => {
    await insertReject(bench, 'negative_value', 1, { intervalStart: '2026-11-22T00:00:00Z', kwh: -1 });
    await insertReject(bench, 'negative_value', 2, { intervalStart: '2026-11-22T00:15:00Z', kwh: -2 });
    const { stdout } = await cli('dismiss', '--meter', bench, '--dry-run', '--actor', 'cli:it');
    expect(stdout.trim()).toBe(`2 open rejects match meterId=${bench}; dismiss would touch 2`);
    expect((await rejectsOf(bench)).map((row) => row.resolution)).toEqual(['open', 'open']);
  }, 90_000);

  it('refuses a dismissal without a reason, and an actor that is not cli:<name>', async () => {
    await expect(cli('dismiss', '--meter', bench, '--actor', 'cli:it')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('dismiss needs --reason') as string,
    });
    await expect(
      cli('dismiss', '--meter', bench, '--reason', 'bench', '--actor', 'alice'),
    ).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--actor must be cli:<name>') as string,
    });
    expect((await rejectsOf(bench)).map((row) => row.resolution)).toEqual(['open', 'open']);
  }, 90_000);

  it('dismisses with the reason and the actor', async () => {
    const { stdout } = await cli('dismiss', '--meter', bench, '--reason', 'Bench meter', '--actor', 'cli:it');
    expect(stdout).toContain('dismissed 2 as cli:it: "Bench meter"; 0 still open');
    const rows = await database.sql<{ resolution: string; resolvedBy: string; note: string }[]>`
      select resolution, resolved_by as "resolvedBy", resolution_note as note from rejected_readings
      where meter_id = ${bench}`;
    expect(rows).toEqual([
      { resolution: 'dismissed', resolvedBy: 'cli:it', note: 'Bench meter' },
      { resolution: 'dismissed', resolvedBy: 'cli:it', note: 'Bench meter' },
    ]);
  }, 90_000);

  it('re-drives through the readings topic with progress, and the running worker stores the reading', async () => {
    const offset = 3;
    const start = new Date(intervalStart.getTime() + 15 * 60_000);
    await insertReject(meterId, 'unknown_meter', offset, { intervalStart: start.toISOString(), kwh: 1.5 });
    const { stdout } = await cli(
      'redrive',
      '--rule',
      'unknown_meter',
      '--meter',
      meterId,
      '--reason',
      'registered late',
      '--actor',
      'cli:ops',
    );
    expect(stdout.trim().split('\n')).toEqual([
      `1 open rejects match rule=unknown_meter meterId=${meterId}; redrive would touch 1`,
      're-drove 1/1 rejects in 1 messages',
      `re-drove 1 rejects to ${topics.topic} as cli:ops; 0 still open`,
    ]);
    await waitForCaughtUp(topics);
    const stored = await database.sql<{ kwh: string }[]>`
      select kwh::text from readings where meter_id = ${meterId} and interval_start = ${start}`;
    expect(stored).toEqual([{ kwh: '1.5000' }]);
    expect((await rejectsOf(meterId)).map((row) => [row.resolution, row.resolvedBy, row.note])).toEqual([
      ['redriven', 'cli:it', null],
      ['redriven', 'cli:ops', 'registered late'],
    ]);
  }, 90_000);
});
