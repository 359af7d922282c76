import { finalizeDay } from '@meterops/db/queries/batch';
import { meterCompleteness, regionCompleteness } from '@meterops/db/queries/completeness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './harness';
import {
  createMeters,
  dayOf,
  ingest,
  insertReadings,
  resetIngestPosition,
  starts,
  type TestMeter,
} from './batch-support';

const day = '2026-11-05';
const dayEnd = Date.parse('2026-11-06T00:00:00Z');
const hour = 3_600_000;
const meter: TestMeter = { id: 'MTR-000001', region: 'london' };
const silent: TestMeter = { id: 'MTR-000002', region: 'london' };

let database: TestDatabase;

beforeAll(async () => {
  resetIngestPosition();
  database = await createTestDatabase();
  const { sql } = database;
  await createMeters(sql, [meter, silent]);
  // 96 intervals: 0–88 arrive two hours after the day, 89–91 three days after, 92 a week after,
  // 93 is an estimate later replaced by the real value, 94–95 never arrive.
  await insertReadings(sql, dayOf(meter, day, '0.1000', { 93: null, 94: null, 95: null }));
  await insertReadings(
    sql,
    dayOf(
      meter,
      day,
      '0.1000',
      { ...Object.fromEntries(starts(day).map((_, i) => [i, null])), 93: '0.1000' },
      'estimated',
    ),
  );
  const at = (index: number) => new Date(starts(day)[index] as number).toISOString();
  await sql`update readings set first_received_at = ${new Date(dayEnd + 2 * hour).toISOString()} where meter_id = ${meter.id}`;
  await sql`update readings set first_received_at = ${new Date(dayEnd + 72 * hour).toISOString()}
            where meter_id = ${meter.id} and interval_start between ${at(89)} and ${at(91)}`;
  await sql`update readings set first_received_at = ${new Date(dayEnd + 7 * 24 * hour).toISOString()}
            where meter_id = ${meter.id} and interval_start = ${at(92)}`;
  // The real value for 93 arrives now, weeks after the day: late, though its interval was filled early.
  await ingest(sql, [{ meterId: meter.id, intervalStartMs: starts(day)[93] as number, kwh: '0.1000' }]);
});

afterAll(async () => {
  await database?.drop();
});

const figures = {
  expected: 96,
  actual: 94,
  estimated: 0,
  edited: 0,
  missing: 2,
  actualByD1: 89,
  actualByD5: 92,
  actualShare: 94 / 96,
  actualShareByD1: 89 / 96,
  actualShareByD5: 92 / 96,
};

describe('completeness', () => {
  it('per meter and day counts expected, actual and missing intervals and the share in by D+1 and D+5', async () => {
    const rows = await meterCompleteness(database.sql, { meterId: meter.id, from: day, to: day });
    expect(rows).toEqual([{ meterId: meter.id, day, ...figures }]);
    const [silentDay] = await meterCompleteness(database.sql, { meterId: silent.id, from: day, to: day });
    expect(silentDay).toMatchObject({ expected: 96, actual: 0, missing: 96, actualByD1: 0, actualShare: 0 });
  });

  it('per region and day rolls up every meter, with the arrival counts ingest kept until the batch layer recounts them', async () => {
    const { sql } = database;
    // Ingest counted only the value it stored itself, weeks after the day; the readings inserted beside
    // it (as if from before ingest kept counts) are counted when the batch layer goes through the day.
    const [provisional] = await regionCompleteness(sql, { from: day, to: day });
    expect(provisional).toMatchObject({
      region: 'london',
      status: 'provisional',
      actual: 1,
      actualByD1: 0,
      actualByD5: 0,
    });

    await finalizeDay(sql, { day, actor: 'job:test' });
    const [meterDay] = await sql`
      select actual_by_d1_intervals, actual_by_d5_intervals from meter_usage_daily where meter_id = ${meter.id} and day = ${day}`;
    expect({ ...meterDay }).toEqual({ actual_by_d1_intervals: 89, actual_by_d5_intervals: 92 });
    expect(await regionCompleteness(sql, { from: day, to: day, region: 'london' })).toEqual([
      {
        region: 'london',
        day,
        status: 'final',
        meters: 2,
        expected: 192,
        actual: 94,
        estimated: 0,
        edited: 0,
        missing: 98,
        actualByD1: 89,
        actualByD5: 92,
        actualShare: 94 / 192,
        actualShareByD1: 89 / 192,
        actualShareByD5: 92 / 192,
      },
    ]);
  });
});
