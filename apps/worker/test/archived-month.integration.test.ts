/**
 * A reading for a month the archive dropped from Postgres is quarantined as `archived_month` instead of
 * recreating the month's partition beside the archive (where it would be missing from the Parquet files
 * and block a restore). The worker picks the archived months up while it runs, like vee_settings.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { archiveMonth } from '@meterops/archive/archive';
import { partitionName } from '@meterops/archive/months';
import { FolderStore } from '@meterops/archive/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProducer } from '../src/kafka';
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

const month = '2025-03';

let database: TestDatabase;
let topics: TestTopics;
let ingest: RunningIngest;
let root: string;
let meterId: string;

async function send(readings: { intervalStart: string; kwh: number }[]): Promise<void> {
  const producer = await createProducer(kafka);
  try {
    await producer.send(topics.topic, [{ key: meterId, value: JSON.stringify({ meterId, readings }) }]);
  } finally {
    await producer.stop();
  }
  await waitForCaughtUp(topics);
}

async function partitionExists(): Promise<boolean> {
  const [row] = await database.sql<{ exists: boolean }[]>`
    select to_regclass(${partitionName(month)}) is not null as exists`;
  return row?.exists ?? false;
}

beforeAll(async () => {
  database = await createTestDatabase(4);
  const [meter] = await database.sql<{ id: string }[]>`
    select id from meters where status = 'active' and interval_minutes = 15 order by id limit 1`;
  if (meter === undefined) throw new Error('the seeded fleet has no active 15-minute meter');
  meterId = meter.id;
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'meterops-archived-month-'));
  topics = await createTestTopics(1);
  // Read the archived months on every batch, so the archive below reaches the running worker at once.
  ingest = await startIngest(database, topics, { service: { settingsMaxAgeMs: 0 } });
}, 60_000);

afterAll(async () => {
  await ingest?.stop();
  await database?.drop();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

describe('a reading for an archived month', () => {
  it('is stored while the month is in Postgres', async () => {
    await send([{ intervalStart: '2025-03-10T10:00:00Z', kwh: 0.25 }]);
    const rows = await database.sql<{ kwh: string }[]>`
      select kwh::text as kwh from readings where meter_id = ${meterId} and interval_start = '2025-03-10T10:00:00Z'`;
    expect(rows).toEqual([{ kwh: '0.2500' }]);
  });

  it('is quarantined with rule archived_month once the month is archived, and the partition stays dropped', async () => {
    await archiveMonth(
      {
        sql: database.sql,
        store: new FolderStore(path.join(root, 'store')),
        workDir: path.join(root, 'work'),
      },
      month,
    );
    expect(await partitionExists()).toBe(false);

    await send([
      { intervalStart: '2025-03-11T10:00:00Z', kwh: 0.5 },
      { intervalStart: '2025-04-02T10:00:00Z', kwh: 0.75 },
    ]);

    const rejected = await database.sql<
      { rule: string; detail: string; meterId: string; intervalStart: Date; itemIndex: number }[]
    >`
      select rule, detail, meter_id as "meterId", interval_start as "intervalStart", item_index as "itemIndex"
      from rejected_readings where topic = ${topics.topic}`;
    expect(rejected).toEqual([
      {
        rule: 'archived_month',
        detail:
          'interval 2025-03-11T10:00:00Z falls in 2025-03, which is archived and dropped from Postgres; restore the month (npm run archive -- restore 2025-03) and redrive this reading',
        meterId,
        intervalStart: new Date('2025-03-11T10:00:00Z'),
        itemIndex: 0,
      },
    ]);
    expect(await partitionExists()).toBe(false);
    // The rest of the message goes on: the April reading is stored.
    const april = await database.sql<{ kwh: string }[]>`
      select kwh::text as kwh from readings where meter_id = ${meterId} and interval_start >= '2025-04-01'`;
    expect(april).toEqual([{ kwh: '0.7500' }]);
    expect(ingest.totals()).toMatchObject({ inserted: 2, rejected: 1 });
  });
});
