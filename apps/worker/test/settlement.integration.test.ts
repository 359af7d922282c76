import { correctReading } from '@meterops/db/queries/corrections';
import { enqueueJob, getJobRun, type JobRun } from '@meterops/db/queries/jobs';
import {
  getSettlementRunDetail,
  reproduceSettlementRun,
  runSettlement,
  SettlementImbalanceError,
  type RunSettlementParams,
} from '@meterops/db/queries/settlement';
import { createSupplier, switchSupplier } from '@meterops/db/queries/suppliers';
import { dueSettlementDay } from '@meterops/domain/settlement';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobRunner } from '../src/jobs/runner';
import { lifecycleSettings } from '../src/lifecycle';
import { env } from '../src/env';
import { createTestDatabase, silentLog, type TestDatabase } from './harness';
import {
  createMeters,
  dayOf,
  ingest,
  insertReadings,
  resetIngestPosition,
  starts,
  type TestMeter,
} from './batch-support';

const a: TestMeter = { id: 'MTR-000001', region: 'london' };
const b: TestMeter = { id: 'MTR-000002', region: 'london' };
const c: TestMeter = { id: 'MTR-000003', region: 'london' };
const orphan: TestMeter = { id: 'MTR-000004', region: 'orphans' };
const agent = '8a4f3c1e-0000-4000-8000-000000000001';

let database: TestDatabase;

const settle = (day: string, runType: RunSettlementParams['runType'] = 'initial', region = 'london') =>
  runSettlement(database.sql, { day, region, runType, actor: 'test', settleMarginMs: 0 });

async function supplierTotals(runId: number): Promise<Record<string, string>> {
  const detail = await getSettlementRunDetail(database.sql, { id: runId });
  return Object.fromEntries((detail?.suppliers ?? []).map((row) => [row.supplierId, row.kwh]));
}

beforeAll(async () => {
  resetIngestPosition();
  database = await createTestDatabase();
  const { sql } = database;
  await createMeters(sql, [a, b, c, orphan]);
  await createSupplier(sql, { id: 'SUP-ONE', name: 'One Energy' });
  await createSupplier(sql, { id: 'SUP-TWO', name: 'Two Power' });
  await sql`
    insert into meter_suppliers (meter_id, supplier_id, valid_from, recorded_by)
    values ('MTR-000001', 'SUP-ONE', '2024-01-01', 'test'), ('MTR-000002', 'SUP-TWO', '2024-01-01', 'test'),
           ('MTR-000003', 'SUP-ONE', '2024-01-01', 'test')`;
  // C moves from SUP-ONE to SUP-TWO on 15 November.
  await switchSupplier(sql, { meterId: c.id, supplierId: 'SUP-TWO', from: '2026-11-15', actor: 'test' });
});

afterAll(async () => {
  await database?.drop();
});

describe('settlement runs', () => {
  it('settles each day of a mid-month supplier switch to the supplier of that day', async () => {
    for (const day of ['2026-11-14', '2026-11-15']) {
      await insertReadings(database.sql, [
        ...dayOf(a, day, '0.1000'),
        ...dayOf(b, day, '0.2000'),
        ...dayOf(c, day, '0.0500'),
      ]);
    }
    const before = await settle('2026-11-14');
    const after = await settle('2026-11-15');
    expect(await supplierTotals(before.run.id)).toEqual({ 'SUP-ONE': '14.4000', 'SUP-TWO': '19.2000' });
    expect(await supplierTotals(after.run.id)).toEqual({ 'SUP-ONE': '9.6000', 'SUP-TWO': '24.0000' });
    expect(after.run).toMatchObject({
      periods: 48,
      readings: 288,
      kwh: '33.6000',
      regionKwh: '33.6000',
      regionReadings: 288,
      meters: 3,
      suppliers: 2,
      version: 1,
      previousRunId: null,
    });
  });

  it('changes the next reconciliation run by exactly a late reading, in its period and supplier', async () => {
    const day = '2026-11-16';
    await insertReadings(database.sql, [
      ...dayOf(a, day, '0.1000', { 10: null }),
      ...dayOf(b, day, '0.2000'),
      ...dayOf(c, day, '0.0500'),
    ]);
    const initial = await settle(day);
    expect(initial.run.kwh).toBe('33.5000');
    // Interval 10 starts 02:30 local: period 6. It arrives through ingest, late.
    await ingest(database.sql, [
      { meterId: a.id, intervalStartMs: starts(day)[10] as number, kwh: '0.3500' },
    ]);
    const r1 = await settle(day, 'r1');
    expect(r1.run.previousRunId).toBe(initial.run.id);
    expect(r1.run.kwh).toBe('33.8500');
    const detail = await getSettlementRunDetail(database.sql, { id: r1.run.id });
    expect(detail?.differences).toEqual([
      { supplierId: 'SUP-ONE', period: 6, kwhBefore: '0.1000', kwhAfter: '0.4500', kwhDelta: '0.3500' },
    ]);
    expect(detail?.causes).toEqual([
      {
        meterId: a.id,
        intervalStart: new Date(starts(day)[10] as number),
        period: 6,
        supplierBefore: 'SUP-ONE',
        supplierAfter: 'SUP-ONE',
        kwhBefore: null,
        kwhAfter: '0.3500',
        qualityBefore: null,
        qualityAfter: 'actual',
        cause: 'late_data',
        revisionIds: [],
      },
    ]);
  });

  it('reproduces an old run exactly after corrections, replaced estimates, late data and a switch', async () => {
    const { sql } = database;
    const day = '2026-11-17';
    await insertReadings(sql, [
      ...dayOf(a, day, '0.1000', { 0: null, 5: null }),
      ...dayOf(b, day, '0.2000'),
      ...dayOf(c, day, '0.0500'),
    ]);
    await insertReadings(sql, [
      { meterId: a.id, intervalStartMs: starts(day)[5] as number, kwh: '0.4000', quality: 'estimated' },
    ]);
    const initial = await settle(day);
    expect(initial.run).toMatchObject({ kwh: '33.8000', estimatedKwh: '0.4000', estimatedReadings: 1 });

    await ingest(sql, [
      { meterId: a.id, intervalStartMs: starts(day)[0] as number, kwh: '0.2500' },
      { meterId: a.id, intervalStartMs: starts(day)[5] as number, kwh: '0.1500' },
    ]);
    await correctReading(sql, {
      meterId: b.id,
      intervalStart: new Date(starts(day)[40] as number),
      kwh: '1.2000',
      reason: 'meter exchange: reading read off the old register',
      actor: agent,
    });
    await switchSupplier(sql, { meterId: b.id, supplierId: 'SUP-ONE', from: day, actor: 'test' });
    const r1 = await settle(day, 'r1');
    expect(r1.run.kwh).toBe('34.8000');
    expect(await supplierTotals(r1.run.id)).toEqual({ 'SUP-ONE': '30.0000', 'SUP-TWO': '4.8000' });

    const reproduced = await reproduceSettlementRun(sql, { id: initial.run.id });
    expect(reproduced?.mismatches).toEqual([]);
    expect(reproduced?.matches).toBe(true);
    expect(reproduced?.reproducedKwh).toBe('33.8000');
    expect((await reproduceSettlementRun(sql, { id: r1.run.id }))?.matches).toBe(true);

    const causes = (await getSettlementRunDetail(sql, { id: r1.run.id }))?.causes ?? [];
    expect(
      causes
        .filter((cause) => cause.meterId !== b.id)
        .map((cause) => [cause.period, cause.cause, cause.kwhBefore, cause.kwhAfter]),
    ).toEqual([
      [1, 'late_data', null, '0.2500'],
      [3, 'estimate_replaced', '0.4000', '0.1500'],
    ]);
    // Every reading of B moved supplier; the corrected one also changed value.
    expect(causes.filter((cause) => cause.meterId === b.id)).toHaveLength(96);
    expect(causes.find((cause) => cause.meterId === b.id && cause.period === 21)).toMatchObject({
      cause: 'correction',
      kwhBefore: '0.2000',
      kwhAfter: '1.2000',
      supplierBefore: 'SUP-TWO',
      supplierAfter: 'SUP-ONE',
    });
  });

  it('numbers 46 periods on the spring clock change and 50 on the autumn one', async () => {
    for (const [day, periods, intervals] of [
      ['2026-03-29', 46, 92],
      ['2026-10-25', 50, 100],
    ] as const) {
      await insertReadings(database.sql, dayOf(a, day, '0.1000'));
      const { run } = await settle(day);
      expect(run).toMatchObject({ periods, readings: intervals });
      const detail = await getSettlementRunDetail(database.sql, { id: run.id });
      expect(detail?.periods.map((row) => row.period)).toEqual(
        Array.from({ length: periods }, (_, i) => i + 1),
      );
      expect(detail?.periods.every((row) => row.kwh === '0.2000')).toBe(true);
    }
  });

  it('refuses to store a run whose supplier total differs from the region total', async () => {
    await insertReadings(database.sql, dayOf(orphan, '2026-11-14', '0.1000'));
    await expect(settle('2026-11-14', 'initial', 'orphans')).rejects.toThrow(SettlementImbalanceError);
    const [count] = await database.sql<
      { n: number }[]
    >`select count(*)::int as n from settlement_runs where region = 'orphans'`;
    expect(count?.n).toBe(0);
  });

  it('cannot alter a stored run, not even as the owner of the database', async () => {
    const { sql } = database;
    await expect(sql`update settlement_runs set kwh = 0`).rejects.toThrow(/append-only/);
    await expect(sql`delete from settlement_run_periods`).rejects.toThrow(/append-only/);
    await expect(
      sql.begin(async (tx) => {
        await tx`set local role meterops_worker`;
        await tx`update settlement_run_periods set kwh = 0`;
      }),
    ).rejects.toThrow(/permission denied/);
  });
});

describe('settlement jobs', () => {
  let runner: JobRunner;

  beforeAll(async () => {
    runner = new JobRunner({
      databaseUrl: database.url,
      sql: database.sql,
      log: silentLog,
      metrics: null,
      workerId: 'it-settlement',
      concurrency: 1,
      schedules: null,
      finalizeGraceHours: 24,
      lifecycle: lifecycleSettings(env),
      queues: ['settlement-run', 'settlement-due'],
      retryOverrides: { retryLimit: 0 },
    });
    await runner.start();
  });

  afterAll(async () => {
    await runner?.stop(5_000);
  });

  async function until(id: string, timeoutMs = 60_000): Promise<JobRun> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = await getJobRun(database.sql, { id });
      if (run !== null && ['completed', 'failed', 'cancelled'].includes(run.status)) return run;
      if (Date.now() > deadline) throw new Error(`run ${id} is still ${run?.status} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('runs one settlement as a job with progress, as a new version of its type', async () => {
    const params = { day: '2026-11-16', region: 'london', runType: 'r1' };
    const requested = await enqueueJob(database.sql, { name: 'settlement-run', params, startedBy: 'user-1' });
    const run = await until(requested.id);
    expect(run).toMatchObject({
      status: 'completed',
      progressDone: 4,
      progressTotal: 4,
      result: { day: '2026-11-16', region: 'london', runType: 'r1', version: 2 },
    });
  });

  it('carries out every run the timetable asks for today, for every region', async () => {
    const requested = await enqueueJob(database.sql, {
      name: 'settlement-due',
      params: { lookbackDays: 0 },
      startedBy: 'user-1',
    });
    const run = await until(requested.id);
    // Two regions (london, orphans) × four run types; orphans has no readings on those days, so balances.
    expect(run).toMatchObject({ status: 'completed', progressDone: 8, progressTotal: 8, result: { due: 8 } });
    const initialDay = dueSettlementDay(Date.now(), 'Europe/London', 1);
    const [stored] = await database.sql<{ n: number }[]>`
      select count(*)::int as n from settlement_runs where day = ${initialDay}::date and run_type = 'initial'`;
    expect(stored?.n).toBe(2);
  });
});
