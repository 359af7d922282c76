import {
  createBillingPeriod,
  listBillingAlerts,
  markBillingPeriodInvoiced,
} from '@meterops/db/queries/billing';
import { finalizeDay, listReprocessQueue } from '@meterops/db/queries/batch';
import { correctReading, CorrectionError, listReadingRevisions } from '@meterops/db/queries/corrections';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './harness';
import {
  createMeters,
  customerOf,
  dayOf,
  ingest,
  insertReadings,
  resetIngestPosition,
  starts,
  type TestMeter,
} from './batch-support';

const provisionalDay = '2026-11-16';
const finalDay = '2026-11-12';
const p: TestMeter = { id: 'MTR-000001', region: 'london' };
const f: TestMeter = { id: 'MTR-000002', region: 'london' };
const agent = '8a4f3c1e-0000-4000-8000-000000000001';

let database: TestDatabase;

beforeAll(async () => {
  resetIngestPosition();
  database = await createTestDatabase();
  const { sql } = database;
  await createMeters(sql, [p, f]);
  await ingest(sql, dayOf(p, provisionalDay, '0.1000'));
  await insertReadings(sql, dayOf(f, finalDay, '0.2000'));
  await finalizeDay(sql, { day: finalDay, actor: 'job:test' });
  for (const [meter, day] of [
    [p, provisionalDay],
    [f, finalDay],
  ] as const) {
    const period = await createBillingPeriod(sql, {
      customerId: customerOf(meter.id),
      periodStart: day,
      periodEnd: day,
    });
    await markBillingPeriodInvoiced(sql, { id: period.id });
  }
});

afterAll(async () => {
  await database?.drop();
});

const at = (day: string, index: number) => new Date(starts(day)[index] as number);

describe('correctReading', () => {
  it('on a provisional day moves every provisional rollup in the same transaction and raises a billing alert', async () => {
    const { sql } = database;
    // As if the day's values had arrived the next morning (ingest ran weeks later in this test).
    await sql`
      update readings set first_received_at = '2026-11-17T08:00:00Z' where meter_id = ${p.id} and interval_start = ${at(provisionalDay, 33)}`;
    await sql`
      update meter_usage_daily set actual_by_d1_intervals = 96, actual_by_d5_intervals = 96
      where meter_id = ${p.id} and day = ${provisionalDay}`;
    const result = await correctReading(sql, {
      meterId: p.id,
      intervalStart: at(provisionalDay, 33), // 08:15Z
      kwh: 0.5,
      reason: 'register read on site shows 0.5 kWh',
      actor: agent,
    });
    expect(result).toMatchObject({
      changed: true,
      day: provisionalDay,
      intervalStart: '2026-11-16T08:15:00Z',
      before: { kwh: '0.1000', quality: 'actual', version: 1, source: 'meter' },
      after: { kwh: '0.5000', quality: 'edited', version: 2, source: agent },
      dayStatus: 'provisional',
      reprocessed: false,
    });
    expect(result.aggregates).toEqual([
      {
        level: 'hourly',
        key: `${p.id} 2026-11-16T08:00:00Z`,
        kwhBefore: '0.4000',
        kwhAfter: '0.8000',
        statusBefore: 'provisional',
        statusAfter: 'provisional',
      },
      {
        level: 'daily',
        key: `${p.id} 2026-11-16`,
        kwhBefore: '9.6000',
        kwhAfter: '10.0000',
        statusBefore: 'provisional',
        statusAfter: 'provisional',
      },
      {
        level: 'dimension',
        key: 'region london 2026-11-16',
        kwhBefore: '9.6000',
        kwhAfter: '10.0000',
        statusBefore: 'provisional',
        statusAfter: 'provisional',
      },
      {
        level: 'dimension',
        key: 'segment residential 2026-11-16',
        kwhBefore: '9.6000',
        kwhAfter: '10.0000',
        statusBefore: 'provisional',
        statusAfter: 'provisional',
      },
      {
        level: 'dimension',
        key: 'tariff RES-FLAT 2026-11-16',
        kwhBefore: '9.6000',
        kwhAfter: '10.0000',
        statusBefore: 'provisional',
        statusAfter: 'provisional',
      },
      {
        level: 'settlement',
        key: 'london 2026-11-16T08:00:00Z',
        kwhBefore: '0.2000',
        kwhAfter: '0.6000',
        statusBefore: 'provisional',
        statusAfter: 'provisional',
      },
    ]);
    const [daily] = await sql`
      select actual_intervals, estimated_intervals, edited_intervals, actual_by_d1_intervals, actual_by_d5_intervals
      from meter_usage_daily where meter_id = ${p.id} and day = ${provisionalDay}`;
    // The edited interval no longer counts as an actual reading that arrived in time.
    expect({ ...daily }).toEqual({
      actual_intervals: 95,
      estimated_intervals: 0,
      edited_intervals: 1,
      actual_by_d1_intervals: 95,
      actual_by_d5_intervals: 95,
    });

    const revisions = await listReadingRevisions(sql, {
      meterId: p.id,
      intervalStart: at(provisionalDay, 33),
    });
    expect(revisions).toMatchObject([
      {
        id: result.revisionId,
        oldKwh: '0.1000',
        newKwh: '0.5000',
        oldQuality: 'actual',
        newQuality: 'edited',
        oldVersion: 1,
        newVersion: 2,
        source: 'agent',
        reason: 'register read on site shows 0.5 kWh',
        actor: agent,
      },
    ]);
    expect(result.alerts).toMatchObject([
      {
        meterId: p.id,
        day: provisionalDay,
        kwhBefore: '9.6000',
        kwhAfter: '10.0000',
        kwhDelta: '0.4000',
        cause: 'correction',
      },
    ]);
    const [stored] = await listBillingAlerts(sql, { meterId: p.id });
    expect(stored).toMatchObject({
      revisionIds: [result.revisionId],
      intervalStarts: [at(provisionalDay, 33)],
      raisedBy: agent,
    });

    // A meter value arriving afterwards does not undo the agent's edit.
    const resent = await ingest(sql, [
      { meterId: p.id, intervalStartMs: at(provisionalDay, 33).getTime(), kwh: '0.1200' },
    ]);
    expect(resent).toMatchObject({ inserted: 0, revised: 0, duplicates: 1 });
  });

  it('on a final day reprocesses the key at once and reports the final rows before and after', async () => {
    const { sql } = database;
    const result = await correctReading(sql, {
      meterId: f.id,
      intervalStart: '2026-11-12T12:00:00Z',
      kwh: '0',
      reason: 'meter reported a phantom load during the outage',
      actor: agent,
    });
    expect(result).toMatchObject({
      changed: true,
      before: { kwh: '0.2000', quality: 'actual', version: 1 },
      after: { kwh: '0.0000', quality: 'edited', version: 2 },
      dayStatus: 'final',
      reprocessed: true,
    });
    expect(result.aggregates).toEqual([
      {
        level: 'hourly',
        key: `${f.id} 2026-11-12T12:00:00Z`,
        kwhBefore: '0.8000',
        kwhAfter: '0.6000',
        statusBefore: 'final',
        statusAfter: 'final',
      },
      {
        level: 'daily',
        key: `${f.id} 2026-11-12`,
        kwhBefore: '19.2000',
        kwhAfter: '19.0000',
        statusBefore: 'final',
        statusAfter: 'final',
      },
      {
        level: 'dimension',
        key: 'region london 2026-11-12',
        kwhBefore: '19.2000',
        kwhAfter: '19.0000',
        statusBefore: 'final',
        statusAfter: 'final',
      },
      {
        level: 'dimension',
        key: 'segment residential 2026-11-12',
        kwhBefore: '19.2000',
        kwhAfter: '19.0000',
        statusBefore: 'final',
        statusAfter: 'final',
      },
      {
        level: 'dimension',
        key: 'tariff RES-FLAT 2026-11-12',
        kwhBefore: '19.2000',
        kwhAfter: '19.0000',
        statusBefore: 'final',
        statusAfter: 'final',
      },
      {
        level: 'settlement',
        key: 'london 2026-11-12T12:00:00Z',
        kwhBefore: '0.4000',
        kwhAfter: '0.2000',
        statusBefore: 'final',
        statusAfter: 'final',
      },
    ]);
    expect(result.alerts).toMatchObject([
      {
        meterId: f.id,
        day: finalDay,
        kwhBefore: '19.2000',
        kwhAfter: '19.0000',
        kwhDelta: '-0.2000',
        cause: 'correction',
      },
    ]);
    const [daily] = await sql`
      select final_version, edited_intervals, actual_intervals from meter_usage_daily where meter_id = ${f.id} and day = ${finalDay}`;
    expect({ ...daily }).toEqual({ final_version: 2, edited_intervals: 1, actual_intervals: 95 });
    expect(await listReprocessQueue(sql)).toEqual([]);
  });

  it('writes nothing when the reading already holds that edited value', async () => {
    const { sql } = database;
    const [before] = await sql<{ count: number }[]>`select count(*)::int as count from reading_revisions`;
    const result = await correctReading(sql, {
      meterId: f.id,
      intervalStart: '2026-11-12T12:00:00Z',
      kwh: '0.0000',
      reason: 'meter reported a phantom load during the outage',
      actor: agent,
    });
    expect(result).toMatchObject({ changed: false, revisionId: null, aggregates: [], alerts: [] });
    const [after] = await sql<{ count: number }[]>`select count(*)::int as count from reading_revisions`;
    expect(after?.count).toBe(before?.count);
  });

  it.each([
    ['reason', { reason: 'typo' }],
    ['kwh', { kwh: -1 }],
    ['kwh', { kwh: 0.12345 }],
    ['kwh', { kwh: 11 }],
    ['intervalStart', { intervalStart: '2026-11-12T12:07:00Z' }],
    ['intervalStart', { intervalStart: '2099-01-01T00:00:00Z' }],
    ['meterId', { meterId: 'MTR-999999' }],
  ])('refuses a correction with a bad %s', async (field, change) => {
    const { sql } = database;
    const [before] = await sql<{ count: number }[]>`select count(*)::int as count from reading_revisions`;
    const attempt = correctReading(sql, {
      meterId: f.id,
      intervalStart: '2026-11-12T13:00:00Z',
      kwh: 0.3,
      reason: 'a long enough reason for the record',
      actor: agent,
      ...change,
    });
    await expect(attempt).rejects.toBeInstanceOf(CorrectionError);
    await expect(attempt).rejects.toMatchObject({ field });
    const [after] = await sql<{ count: number }[]>`select count(*)::int as count from reading_revisions`;
    expect(after?.count).toBe(before?.count);
  });
});

describe('the revision history', () => {
  it.each([
    ['UPDATE', 'update reading_revisions set reason = $$rewritten$$'],
    ['DELETE', 'delete from reading_revisions'],
    ['TRUNCATE', 'truncate reading_revisions'],
  ])('cannot be changed by %s, even by the table owner', async (operation, statement) => {
    const { sql } = database;
    const [before] = await sql<{ count: number }[]>`select count(*)::int as count from reading_revisions`;
    expect(before?.count).toBeGreaterThan(0);
    await expect(sql.unsafe(statement)).rejects.toMatchObject({
      code: '42501',
      message: `reading_revisions is append-only: ${operation} is not allowed`,
    });
    const [after] = await sql<{ count: number }[]>`select count(*)::int as count from reading_revisions`;
    expect(after?.count).toBe(before?.count);
  });
});
