import { listVeeSettings, loadBatchSettings, setVeeSetting, veeDryRun } from '@meterops/db/queries/vee';
import { defaultVeeParams } from '@meterops/domain/vee';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './harness';
import { changedKeys, createMeters, dayOf, insertReadings, snapshot, type TestMeter } from './batch-support';

const day = '2026-11-05';
const meter: TestMeter = { id: 'MTR-000001', region: 'london' };

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await createMeters(database.sql, [meter]);
  // A spike at 12:30 and two missing intervals at 15:00 and 15:15 between readings of 0.1000.
  await insertReadings(database.sql, dayOf(meter, day, '0.1000', { 50: '5.0000', 60: null, 61: null }));
});

afterAll(async () => {
  await database?.drop();
});

describe('VEE dry run', () => {
  it('shows the flags and estimates a rule set would give a meter-day, and changes nothing', async () => {
    const { sql } = database;
    const before = await snapshot(sql);
    const result = await veeDryRun(sql, { meterId: meter.id, day });
    expect(result.completeness).toEqual({ expected: 96, measured: 94, estimated: 0, missing: 2 });
    expect(result.intervals).toHaveLength(96);
    expect(result.intervals[50]).toEqual({
      intervalStart: '2026-11-05T12:30:00Z',
      kwh: '5.0000',
      quality: 'actual',
      storedFlags: [],
      flags: ['spike'],
      estimate: null,
      change: 'none',
    });
    expect(result.intervals.slice(60, 62)).toEqual([
      {
        intervalStart: '2026-11-05T15:00:00Z',
        kwh: null,
        quality: null,
        storedFlags: [],
        flags: [],
        estimate: { kwh: '0.1000', method: 'linear_interpolation' },
        change: 'insert_estimate',
      },
      {
        intervalStart: '2026-11-05T15:15:00Z',
        kwh: null,
        quality: null,
        storedFlags: [],
        flags: [],
        estimate: { kwh: '0.1000', method: 'linear_interpolation' },
        change: 'insert_estimate',
      },
    ]);
    expect(result).toMatchObject({ flagChanges: 1, unfilled: 0 });
    expect(changedKeys(before, await snapshot(sql))).toEqual([]);
  });

  it('tries other parameters without storing them', async () => {
    const { sql } = database;
    const lenient = await veeDryRun(sql, {
      meterId: meter.id,
      day,
      overrides: { spikeRatio: 100, maxInterpolationMinutes: 15 },
    });
    expect(lenient.intervals[50]?.flags).toEqual([]);
    // A 30-minute gap is now too long to interpolate, and there is no history for a like-day average.
    expect(lenient).toMatchObject({ flagChanges: 0, unfilled: 2 });
    expect((await loadBatchSettings(sql)).spikeRatio).toBe(defaultVeeParams.spikeRatio);
  });
});

describe('VEE settings', () => {
  it('override the defaults from the vee_settings table, validated as a whole', async () => {
    const { sql } = database;
    await setVeeSetting(sql, { name: 'spikeRatio', value: 100, actor: 'admin-1' });
    expect((await veeDryRun(sql, { meterId: meter.id, day })).intervals[50]?.flags).toEqual([]);
    const listed = await listVeeSettings(sql);
    expect(listed.find((row) => row.name === 'spikeRatio')).toMatchObject({
      value: 100,
      defaultValue: 10,
      updatedBy: 'admin-1',
    });
    expect(listed.find((row) => row.name === 'likeDayWeeks')).toMatchObject({
      value: 4,
      defaultValue: 4,
      updatedBy: null,
    });

    await expect(setVeeSetting(sql, { name: 'spikeRatio', value: 0.5, actor: 'admin-1' })).rejects.toThrow(
      /spikeRatio/,
    );
    await expect(setVeeSetting(sql, { name: 'colour', value: 1, actor: 'admin-1' })).rejects.toThrow(
      /not a VEE/,
    );
    expect((await loadBatchSettings(sql)).spikeRatio).toBe(100);

    await setVeeSetting(sql, { name: 'spikeRatio', value: null, actor: 'admin-1' });
    expect((await loadBatchSettings(sql)).spikeRatio).toBe(defaultVeeParams.spikeRatio);
  });
});
