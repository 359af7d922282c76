import {
  createBillingPeriod,
  listBillingAlerts,
  markBillingPeriodInvoiced,
} from '@meterops/db/queries/billing';
import { finalizeDay, listReprocessQueue, processReprocessQueue } from '@meterops/db/queries/batch';
import { unitsToKwh } from '@meterops/domain/kwh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './harness';
import {
  changedKeys,
  createMeters,
  customerOf,
  ingest,
  insertReadings,
  resetIngestPosition,
  snapshot,
  starts,
  type TestMeter,
  type TestReading,
} from './batch-support';

const days = ['2026-11-09', '2026-11-10', '2026-11-11'];
const fleet: TestMeter[] = [
  { id: 'MTR-000001', region: 'london' },
  { id: 'MTR-000002', region: 'london', intervalMinutes: 30, segment: 'commercial', tariffId: 'COM-FLAT' },
  { id: 'MTR-000003', region: 'wales', tariffId: 'RES-E7' },
  { id: 'MTR-000004', region: 'wales' },
  { id: 'MTR-000005', region: 'randstad', timeZone: 'Europe/Amsterdam' },
  { id: 'MTR-000006', region: 'london' },
];
const [late, , , , , gappy] = fleet as [TestMeter, TestMeter, TestMeter, TestMeter, TestMeter, TestMeter];

/** A deterministic value per meter, day and interval: 0.0100 … 0.0999 kWh. */
const valueOf = (meterIndex: number, dayIndex: number, interval: number) =>
  unitsToKwh(100 + ((interval * 37 + meterIndex * 11 + dayIndex * 5) % 900));

let database: TestDatabase;

beforeAll(async () => {
  resetIngestPosition();
  database = await createTestDatabase();
  const { sql } = database;
  await createMeters(sql, fleet);
  const readings: TestReading[] = [];
  fleet.forEach((meter, meterIndex) =>
    days.forEach((day, dayIndex) =>
      starts(day, meter).forEach((intervalStartMs, interval) => {
        // gappy misses 10:00–10:45 of the middle day, between 0.2000 at 09:45 and 0.7000 at 11:00.
        if (meter === gappy && dayIndex === 1) {
          if (interval >= 40 && interval <= 43) return;
          if (interval === 39) return readings.push({ meterId: meter.id, intervalStartMs, kwh: '0.2000' });
          if (interval === 44) return readings.push({ meterId: meter.id, intervalStartMs, kwh: '0.7000' });
        }
        readings.push({ meterId: meter.id, intervalStartMs, kwh: valueOf(meterIndex, dayIndex, interval) });
      }),
    ),
  );
  await insertReadings(sql, readings);
  for (const day of days) await finalizeDay(sql, { day, actor: 'job:test' });
  const period = await createBillingPeriod(sql, {
    customerId: customerOf(late.id),
    periodStart: days[0] as string,
    periodEnd: days[2] as string,
  });
  await markBillingPeriodInvoiced(sql, { id: period.id });
});

afterAll(async () => {
  await database?.drop();
});

describe('late data for a final day', () => {
  it('queues exactly that (meter, day) and reprocessing changes only it and its rollups', async () => {
    const { sql } = database;
    const before = await snapshot(sql);
    const at = starts(days[1] as string)[40] as number; // 10:00Z on the middle day
    const oldKwh = valueOf(0, 1, 40);
    const ingested = await ingest(sql, [{ meterId: late.id, intervalStartMs: at, kwh: '1.2345' }]);
    expect(ingested).toMatchObject({ revised: 1, reprocessKeys: 1 });
    expect((await listReprocessQueue(sql)).map((key) => [key.meterId, key.day])).toEqual([
      [late.id, days[1]],
    ]);
    // The speed layer left every final aggregate alone: only the reading moved.
    expect(changedKeys(before, await snapshot(sql))).toEqual([`reading ${late.id} 2026-11-10T10:00:00.000Z`]);

    const result = await processReprocessQueue(sql, { actor: 'job:reprocess-queue', collectChanges: true });
    expect(result).toMatchObject({ keys: 1, days: 1, meters: 1, requeued: 0 });

    const after = await snapshot(sql);
    expect(changedKeys(before, after)).toEqual([
      `daily ${late.id} 2026-11-10T00:00:00.000Z`,
      'dimension region london 2026-11-10T00:00:00.000Z',
      'dimension segment residential 2026-11-10T00:00:00.000Z',
      'dimension tariff RES-FLAT 2026-11-10T00:00:00.000Z',
      `hourly ${late.id} 2026-11-10T10:00:00.000Z`,
      `reading ${late.id} 2026-11-10T10:00:00.000Z`,
      'settlement london 2026-11-10T10:00:00.000Z',
    ]);
    const delta = (key: string) => {
      const was = JSON.parse(before.get(key) ?? '{}') as { kwh: string; final_version?: number };
      const now = JSON.parse(after.get(key) ?? '{}') as { kwh: string; final_version?: number };
      return { delta: (Number(now.kwh) - Number(was.kwh)).toFixed(4), version: now.final_version };
    };
    const expectedDelta = (1.2345 - Number(oldKwh)).toFixed(4);
    expect(delta(`daily ${late.id} 2026-11-10T00:00:00.000Z`)).toEqual({ delta: expectedDelta, version: 2 });
    expect(delta('dimension region london 2026-11-10T00:00:00.000Z').delta).toBe(expectedDelta);
    expect(delta('settlement london 2026-11-10T10:00:00.000Z').delta).toBe(expectedDelta);
    expect((await listReprocessQueue(sql)).length).toBe(0);

    const [revision] = await sql<{ id: number }[]>`
      select id from reading_revisions where meter_id = ${late.id} and interval_start = ${new Date(at).toISOString()}`;
    const alerts = await listBillingAlerts(sql, { open: true });
    expect(alerts).toHaveLength(1);
    const [alert] = alerts;
    const dayBefore = JSON.parse(before.get(`daily ${late.id} 2026-11-10T00:00:00.000Z`) ?? '{}') as {
      kwh: string;
    };
    expect(alert).toMatchObject({
      meterId: late.id,
      day: days[1],
      cause: 'late_data',
      kwhBefore: dayBefore.kwh,
      kwhDelta: expectedDelta,
      revisionIds: [revision?.id],
      raisedBy: 'job:reprocess-queue',
    });
    expect(Number(alert?.kwhAfter)).toBeCloseTo(Number(dayBefore.kwh) + Number(expectedDelta), 4);
  });

  it('replaces an estimate with the real reading, re-estimates the rest of the gap, and raises no alert outside invoiced periods', async () => {
    const { sql } = database;
    const day = days[1] as string;
    const dayStarts = starts(day);
    const estimates = async () =>
      sql<{ at: Date; kwh: string; quality: string; version: number }[]>`
        select interval_start as at, kwh::text as kwh, quality, version from readings
        where meter_id = ${gappy.id} and interval_start >= ${new Date(dayStarts[40] as number).toISOString()}
          and interval_start <= ${new Date(dayStarts[43] as number).toISOString()}
        order by 1`;
    expect((await estimates()).map((row) => `${row.kwh} ${row.quality}`)).toEqual([
      '0.3000 estimated',
      '0.4000 estimated',
      '0.5000 estimated',
      '0.6000 estimated',
    ]);
    const before = await snapshot(sql);
    const alertsBefore = (await listBillingAlerts(sql)).length;

    await ingest(sql, [{ meterId: gappy.id, intervalStartMs: dayStarts[41] as number, kwh: '1.0000' }]);
    const [replaced] = await sql<{ reason: string; oldQuality: string; source: string }[]>`
      select reason, old_quality as "oldQuality", source from reading_revisions
      where meter_id = ${gappy.id} and interval_start = ${new Date(dayStarts[41] as number).toISOString()}`;
    expect(replaced).toEqual({
      reason: 'actual reading replaced an estimate',
      oldQuality: 'estimated',
      source: 'meter_resend',
    });
    expect((await listReprocessQueue(sql)).map((key) => [key.meterId, key.day])).toEqual([[gappy.id, day]]);

    const result = await processReprocessQueue(sql, { actor: 'job:reprocess-queue' });
    expect(result).toMatchObject({ keys: 1, estimated: { inserted: 0, replaced: 3 } });
    // 10:00 now lies between 0.2 and 1.0; 10:30 and 10:45 between 1.0 and 0.7.
    expect((await estimates()).map((row) => `${row.kwh} ${row.quality} v${row.version}`)).toEqual([
      '0.6000 estimated v2',
      '1.0000 actual v2',
      '0.9000 estimated v2',
      '0.8000 estimated v2',
    ]);
    const reestimated = await sql<{ oldKwh: string; newKwh: string; source: string }[]>`
      select old_kwh::text as "oldKwh", new_kwh::text as "newKwh", source from reading_revisions
      where meter_id = ${gappy.id} and source = 'estimation' order by interval_start`;
    expect(reestimated).toEqual([
      { oldKwh: '0.3000', newKwh: '0.6000', source: 'estimation' },
      { oldKwh: '0.5000', newKwh: '0.9000', source: 'estimation' },
      { oldKwh: '0.6000', newKwh: '0.8000', source: 'estimation' },
    ]);
    const changed = changedKeys(before, await snapshot(sql));
    expect(changed.filter((key) => !key.startsWith('reading '))).toEqual([
      `daily ${gappy.id} 2026-11-10T00:00:00.000Z`,
      'dimension region london 2026-11-10T00:00:00.000Z',
      'dimension segment residential 2026-11-10T00:00:00.000Z',
      'dimension tariff RES-FLAT 2026-11-10T00:00:00.000Z',
      `hourly ${gappy.id} 2026-11-10T10:00:00.000Z`,
      'settlement london 2026-11-10T10:00:00.000Z',
      'settlement london 2026-11-10T10:30:00.000Z',
    ]);
    const [daily] = await sql<{ kwh: string; actual: number; estimated: number }[]>`
      select kwh::text as kwh, actual_intervals as actual, estimated_intervals as estimated from meter_usage_daily
      where meter_id = ${gappy.id} and day = ${day}`;
    const dayBefore = JSON.parse(before.get(`daily ${gappy.id} 2026-11-10T00:00:00.000Z`) ?? '{}') as {
      kwh: string;
    };
    // 0.3 + 0.4 + 0.5 + 0.6 became 0.6 + 1.0 + 0.9 + 0.8: 1.5 kWh more.
    expect(Number(daily?.kwh) - Number(dayBefore.kwh)).toBeCloseTo(1.5, 4);
    expect(daily).toMatchObject({ actual: 93, estimated: 3 });
    expect((await listBillingAlerts(sql)).length).toBe(alertsBefore);
  });
});
