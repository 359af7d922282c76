import { finalizeDay } from '@meterops/db/queries/batch';
import { acceptFlaggedReading } from '@meterops/db/queries/service';
import { readMeterBaselines } from '@meterops/db/queries/meters';
import { loadBatchSettings, veeDryRun } from '@meterops/db/queries/vee';
import { localDayBounds } from '@meterops/domain/time';
import { evaluateSoftRules, type SoftRuleName } from '@meterops/domain/vee';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './harness';
import {
  changedKeys,
  createMeters,
  dayOf,
  ingest,
  insertReadings,
  resetIngestPosition,
  snapshot,
  starts,
  type TestMeter,
} from './batch-support';

const day = '2026-11-06';
const spiky: TestMeter = { id: 'MTR-000201', region: 'london' };
const idle: TestMeter = { id: 'MTR-000202', region: 'london' };
const seasoned: TestMeter = { id: 'MTR-000203', region: 'london' };

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  resetIngestPosition();
  await createMeters(database.sql, [spiky, idle, seasoned]);
  // One interval per message, as a head-end in live mode sends them: no message holds the day.
  const readings = [
    ...dayOf(spiky, day, '0.1000', { 40: '5.0000' }),
    ...dayOf(
      idle,
      day,
      '0.2000',
      Object.fromEntries(Array.from({ length: 16 }, (_, k) => [20 + k, '0.0000'])),
    ),
  ];
  for (const reading of readings) await ingest(database.sql, [reading]);
  // A week of history at 0.5 kWh per interval (672 samples), then a day at 0.01 with 2.0 at 02:30.
  await database.sql`
    insert into meter_usage_hourly (meter_id, hour_start, kwh, expected_intervals, actual_intervals, status)
    select ${seasoned.id}, hour_start, 2, 4, 4, 'final'
    from generate_series(${day}::timestamptz - interval '7 days', ${day}::timestamptz - interval '1 hour', interval '1 hour')
      as hour_start`;
  await insertReadings(database.sql, dayOf(seasoned, day, '0.0100', { 10: '2.0000' }));
});

afterAll(async () => {
  await database?.drop();
});

const flagged = (sql: TestDatabase['sql']) =>
  sql<{ meterId: string; intervalStart: Date; flags: string[]; version: number }[]>`
    select meter_id as "meterId", interval_start as "intervalStart", flags, version
    from readings where flags <> '{}' and meter_id in (${spiky.id}, ${idle.id}) order by meter_id, interval_start`;

const flaggedCounts = (sql: TestDatabase['sql']) =>
  sql<{ meterId: string; flagged: number }[]>`
    select meter_id as "meterId", flagged_intervals as flagged from meter_usage_daily
    where day = ${day}::date and meter_id in (${spiky.id}, ${idle.id}) order by meter_id`;

describe('finalizing judges the whole day with the soft rules', () => {
  it('flags a spike and a zero run that arrived one interval per message, as the dry run reports', async () => {
    const { sql } = database;
    expect(await flagged(sql)).toEqual([]);
    const dryBefore = await veeDryRun(sql, { meterId: spiky.id, day });
    expect(dryBefore.flagChanges).toBe(1);

    await finalizeDay(sql, { day, actor: 'job:test' });

    const spikyStarts = starts(day, spiky);
    const idleStarts = starts(day, idle);
    expect(await flagged(sql)).toEqual([
      { meterId: spiky.id, intervalStart: new Date(spikyStarts[40] ?? 0), flags: ['spike'], version: 1 },
      ...idleStarts.slice(20, 36).map((start) => ({
        meterId: idle.id,
        intervalStart: new Date(start),
        flags: ['zero_on_active'],
        version: 1,
      })),
    ]);
    expect(await flaggedCounts(sql)).toEqual([
      { meterId: spiky.id, flagged: 1 },
      { meterId: idle.id, flagged: 16 },
    ]);
    const [revisions] = await sql<{ count: number }[]>`select count(*)::int as count from reading_revisions`;
    expect(revisions?.count).toBe(0);
    for (const meter of [spiky, idle]) {
      expect((await veeDryRun(sql, { meterId: meter.id, day })).flagChanges).toBe(0);
    }
  });

  it('changes nothing when the day is finalized again', async () => {
    const { sql } = database;
    const before = await snapshot(sql);
    await finalizeDay(sql, { day, actor: 'job:test' });
    expect(changedKeys(before, await snapshot(sql))).toEqual([]);
  });

  it('leaves a reading an agent accepted unflagged', async () => {
    const { sql } = database;
    const spikeStart = new Date(starts(day, spiky)[40] ?? 0);
    const outcome = await acceptFlaggedReading(sql, {
      meterId: spiky.id,
      intervalStart: spikeStart,
      expectedVersion: 1,
      reason: 'confirmed on site',
      actor: 'agent-1',
    });
    expect(outcome.kind).toBe('accepted');

    const before = await snapshot(sql);
    await finalizeDay(sql, { day, actor: 'job:test' });
    expect(changedKeys(before, await snapshot(sql))).toEqual([]);

    expect((await flagged(sql)).filter((row) => row.meterId === spiky.id)).toEqual([]);
    expect(await flaggedCounts(sql)).toEqual([
      { meterId: spiky.id, flagged: 0 },
      { meterId: idle.id, flagged: 16 },
    ]);
    const dryRun = await veeDryRun(sql, { meterId: spiky.id, day });
    expect(dryRun.intervals[40]?.flags).toEqual([]);
    expect(dryRun.flagChanges).toBe(0);
  });

  it('judges high and low against the baseline the dry run uses, as evaluateSoftRules does', async () => {
    const { sql } = database;
    const stored = await sql<{ intervalStartMs: number; kwh: string; flags: SoftRuleName[] }[]>`
      select (extract(epoch from interval_start) * 1000)::float8 as "intervalStartMs", kwh::text as kwh, flags
      from readings where meter_id = ${seasoned.id} order by interval_start`;
    expect(stored).toHaveLength(96);
    const expected = stored.map((_, index) =>
      index === 10 ? ['spike', 'high_vs_history', 'low_vs_history'] : ['low_vs_history'],
    );
    expect(stored.map((reading) => reading.flags)).toEqual(expected);

    const [baseline] = await readMeterBaselines(sql, {
      meterIds: [seasoned.id],
      days: 28,
      now: new Date(localDayBounds(day, 'Europe/London').endMs),
    });
    expect(baseline?.samples).toBe(768);
    const settings = await loadBatchSettings(sql);
    const domain = evaluateSoftRules(
      stored,
      { intervalMinutes: 15, timeZone: 'Europe/London', status: 'active' },
      settings,
      baseline,
    );
    expect(domain).toEqual(expected);
  });
});
