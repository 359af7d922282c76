/**
 * Settlement runs (docs/settlement.md): for one local settlement day of one region (grid supply point),
 * energy per (supplier, half-hour period) from the readings as they stood at the run's as-of instant.
 *
 * A run never reads "the readings now": it reconstructs each reading's value as of its instant from
 * readings and reading_revisions (a reading first stored after it is left out; one revised after it takes
 * the old value of its first later revision), and the supplier registrations as of the same instant. So
 * the same function reproduces any stored run exactly, whatever arrived or was corrected later. Only
 * revised readings touch reading_revisions; the rest is one aggregate over the day's partition.
 */
import {
  dueSettlementDay,
  SETTLEMENT_CODE_VERSION,
  settlementDay,
  settlementRunTypes,
  type SettlementDay,
  type SettlementRunType,
} from '@meterops/domain/settlement';
import { addDays } from '@meterops/domain/time';
import type { TransactionSql } from 'postgres';
import type { Sql } from '../client';

type Tx = TransactionSql;
type Quality = 'actual' | 'estimated' | 'edited';

/** A refusal that names the input it concerns (answered next to that field in the portal). */
export class SettlementError extends Error {
  override name = 'SettlementError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** The supplier total of a run differs from the region's metered total: nothing is stored. */
export class SettlementImbalanceError extends Error {
  override name = 'SettlementImbalanceError';
}

/**
 * Writes that began before a run's snapshot may commit after it with earlier timestamps; the as-of
 * instant lags the snapshot by more than any ingest or correction transaction lasts, so a reproduction
 * sees exactly what the run saw.
 */
export const DEFAULT_SETTLE_MARGIN_MS = 60_000;

export interface SupplierPeriodEnergy {
  supplierId: string;
  period: number;
  periodStart: Date;
  kwh: string;
  estimatedKwh: string;
  readings: number;
  estimatedReadings: number;
}

interface Computed {
  periods: SupplierPeriodEnergy[];
  meters: number;
  /** Every reading of the region's meters on the day, whatever their registration. */
  regionKwh: string;
  regionReadings: number;
  /** Energy of meters with no supplier registered on the day (0) or with several. */
  unsettled: { registrations: number; kwh: string; readings: number }[];
}

/** The market zone of a region: the zone its meters share. A region whose meters disagree cannot settle. */
export async function regionTimeZone(sql: Sql | Tx, region: string): Promise<string> {
  const zones = await sql<{ timeZone: string }[]>`
    select distinct time_zone as "timeZone" from meters where region = ${region}`;
  if (zones.length === 0) throw new SettlementError('region', `There is no meter in region ${region}`);
  if (zones.length > 1) {
    throw new SettlementError(
      'region',
      `The meters of region ${region} are in ${zones.length} time zones (${zones.map((zone) => zone.timeZone).join(', ')}); a settlement day needs one`,
    );
  }
  return (zones[0] as { timeZone: string }).timeZone;
}

/**
 * The region's readings of the day as they stood at `asOf` (meter_id, interval_start, kwh, quality). No
 * optimisation fence: the scan, both joins and a partial aggregate run in parallel workers. The revision
 * lookup runs only for rows revised after `asOf` (once per column it fills).
 */
function readingsAsOf(tx: Tx, day: SettlementDay, region: string, asOf: Date) {
  return tx`
    select r.meter_id, r.interval_start,
           case when r.revised_at > ${asOf}
                then (reading_revision_after(r.meter_id, r.interval_start, ${asOf})).old_kwh else r.kwh end as kwh,
           case when r.revised_at > ${asOf}
                then (reading_revision_after(r.meter_id, r.interval_start, ${asOf})).old_quality else r.quality end as quality
    from readings r join meters m on m.id = r.meter_id
    where r.interval_start >= ${new Date(day.startMs)} and r.interval_start < ${new Date(day.endMs)}
      and m.region = ${region} and r.first_received_at <= ${asOf}`;
}

/** The registration of each of the region's meters on the day, as the registry stood at `asOf`. */
function registrationsAsOf(tx: Tx, day: string, region: string, asOf: Date) {
  return tx`
    select ms.meter_id, ms.supplier_id
    from meter_suppliers ms join meters m on m.id = ms.meter_id
    where m.region = ${region} and ms.valid_from <= ${day}::date and (ms.valid_to is null or ms.valid_to > ${day}::date)
      and ms.recorded_at <= ${asOf} and (ms.retracted_at is null or ms.retracted_at > ${asOf})`;
}

/**
 * One pass over the day's readings. Each reading is joined to at most one row per meter (its meter's
 * registrations on the day, counted), so nothing is dropped or counted twice: the region's metered total is
 * the sum of every group, and the energy of meters with no supplier (or with several) stays visible as
 * groups whose registration count is not 1, which the caller refuses.
 */
async function compute(tx: Tx, day: SettlementDay, region: string, asOf: Date): Promise<Computed> {
  const bins = await tx<
    {
      supplierId: string | null;
      registrations: number;
      periodStart: Date;
      kwh: string;
      estimatedKwh: string;
      readings: number;
      estimatedReadings: number;
    }[]
  >`
    with a as (${readingsAsOf(tx, day, region, asOf)}),
    reg as (
      select meter_id, min(supplier_id) as supplier_id, count(*)::int as registrations
      from (${registrationsAsOf(tx, day.day, region, asOf)}) r group by meter_id
    )
    select reg.supplier_id as "supplierId", coalesce(reg.registrations, 0) as registrations,
           date_bin('30 minutes', a.interval_start, ${new Date(day.startMs)}) as "periodStart",
           sum(a.kwh)::text as kwh,
           coalesce(sum(a.kwh) filter (where a.quality = 'estimated'), 0)::text as "estimatedKwh",
           count(*)::int as readings,
           count(*) filter (where a.quality = 'estimated')::int as "estimatedReadings"
    from a left join reg using (meter_id)
    where a.kwh is not null
    group by 1, 2, 3
    order by 1, 3`;
  const [registered] = await tx<{ meters: number }[]>`
    select count(distinct meter_id)::int as meters from (${registrationsAsOf(tx, day.day, region, asOf)}) reg`;
  const periodByStart = new Map(day.periods.map((period) => [period.startMs, period.period]));
  const settled = bins.filter((bin) => bin.registrations === 1 && bin.supplierId !== null);
  return {
    periods: settled.map(({ registrations: _registrations, supplierId, ...bin }) => {
      const period = periodByStart.get(bin.periodStart.getTime());
      if (period === undefined) {
        throw new Error(`a reading outside the day's periods: ${bin.periodStart.toISOString()}`);
      }
      return { ...bin, supplierId: supplierId as string, period };
    }),
    meters: registered?.meters ?? 0,
    regionKwh: sumKwh(bins.map((bin) => bin.kwh)),
    regionReadings: bins.reduce((sum, bin) => sum + bin.readings, 0),
    unsettled: bins.filter((bin) => bin.registrations !== 1 || bin.supplierId === null),
  };
}

/** Sums decimal kWh strings exactly (4 decimal places, as stored). */
function sumKwh(values: readonly string[]): string {
  let units = 0n;
  for (const value of values) {
    const [whole = '0', fraction = ''] = value.replace('-', '').split('.');
    const magnitude = BigInt(whole) * 10_000n + BigInt(fraction.padEnd(4, '0').slice(0, 4) || '0');
    units += value.startsWith('-') ? -magnitude : magnitude;
  }
  const negative = units < 0n;
  const absolute = negative ? -units : units;
  return `${negative ? '-' : ''}${absolute / 10_000n}.${String(absolute % 10_000n).padStart(4, '0')}`;
}

export interface SettlementRun {
  id: number;
  day: string;
  region: string;
  runType: SettlementRunType;
  version: number;
  asOf: Date;
  timeZone: string;
  dayStart: Date;
  dayEnd: Date;
  periods: number;
  meters: number;
  suppliers: number;
  readings: number;
  estimatedReadings: number;
  kwh: string;
  estimatedKwh: string;
  regionKwh: string;
  regionReadings: number;
  previousRunId: number | null;
  codeVersion: string;
  jobRunId: string | null;
  createdBy: string;
  createdAt: Date;
  durationMs: number;
}

const runColumns = (sql: Sql | Tx) => sql`
  r.id::int as id, r.day::text as day, r.region, r.run_type as "runType", r.version, r.as_of as "asOf",
  r.time_zone as "timeZone", r.day_start as "dayStart", r.day_end as "dayEnd", r.periods, r.meters, r.suppliers,
  r.readings, r.estimated_readings as "estimatedReadings", r.kwh::text as kwh, r.estimated_kwh::text as "estimatedKwh",
  r.region_kwh::text as "regionKwh", r.region_readings as "regionReadings", r.previous_run_id::int as "previousRunId",
  r.code_version as "codeVersion", r.job_run_id as "jobRunId", r.created_by as "createdBy", r.created_at as "createdAt",
  r.duration_ms as "durationMs"`;

export interface RunSettlementParams {
  day: string;
  region: string;
  runType: SettlementRunType;
  actor: string;
  jobRunId?: string | null;
  /** How far the as-of instant lags the run's snapshot (DEFAULT_SETTLE_MARGIN_MS); tests pass 0. */
  settleMarginMs?: number;
  onProgress?: (step: string, done: number, total: number) => void;
}

export interface RunSettlementResult {
  run: SettlementRun;
  differences: number;
  causes: number;
}

const STEPS = 4;

/**
 * Computes and stores one run. The whole run is one repeatable-read transaction, so its aggregates,
 * its balance check and its comparison with the previous run all see one snapshot. Throws
 * SettlementImbalanceError (storing nothing) when the suppliers' total differs from the region's.
 */
export async function runSettlement(sql: Sql, params: RunSettlementParams): Promise<RunSettlementResult> {
  const started = performance.now();
  const progress = params.onProgress ?? (() => {});
  const timeZone = await regionTimeZone(sql, params.region);
  const day = settlementDay(params.day, timeZone);
  return sql.begin('isolation level repeatable read', async (tx) => {
    // One run at a time per day and region, so versions and "previous run" are well defined.
    await tx`select pg_advisory_xact_lock(hashtext(${`settlement:${params.day}:${params.region}`}))`;
    const [clock] = await tx<{ asOf: Date }[]>`
      select now() - make_interval(secs => ${(params.settleMarginMs ?? DEFAULT_SETTLE_MARGIN_MS) / 1000}) as "asOf"`;
    const asOf = (clock as { asOf: Date }).asOf;
    progress('aggregate', 0, STEPS);
    const computed = await compute(tx, day, params.region, asOf);
    progress('balance', 1, STEPS);
    const kwh = sumKwh(computed.periods.map((row) => row.kwh));
    const readings = computed.periods.reduce((sum, row) => sum + row.readings, 0);
    if (kwh !== computed.regionKwh || readings !== computed.regionReadings) {
      const without = computed.unsettled.filter((bin) => bin.registrations === 0);
      const several = computed.unsettled.filter((bin) => bin.registrations > 1);
      throw new SettlementImbalanceError(
        `settlement of ${params.region} on ${params.day} does not balance: suppliers ${kwh} kWh in ${readings} readings, ` +
          `region metered ${computed.regionKwh} kWh in ${computed.regionReadings} readings; ` +
          `${sumKwh(without.map((bin) => bin.kwh))} kWh from meters with no supplier on the day, ` +
          `${sumKwh(several.map((bin) => bin.kwh))} kWh from meters with several; nothing was stored`,
      );
    }
    const [previous] = await tx<{ id: number; asOf: Date }[]>`
      select id::int as id, as_of as "asOf" from settlement_runs
      where day = ${params.day}::date and region = ${params.region}
      order by as_of desc, id desc limit 1`;
    const [next] = await tx<{ version: number }[]>`
      select coalesce(max(version), 0) + 1 as version from settlement_runs
      where day = ${params.day}::date and region = ${params.region} and run_type = ${params.runType}`;
    const [inserted] = await tx<{ id: number }[]>`
      insert into settlement_runs
        (day, region, run_type, version, as_of, time_zone, day_start, day_end, periods, meters, suppliers, readings,
         estimated_readings, kwh, estimated_kwh, region_kwh, region_readings, previous_run_id, code_version, job_run_id,
         created_by, duration_ms)
      values (${params.day}::date, ${params.region}, ${params.runType}, ${next?.version ?? 1}, ${asOf}, ${timeZone},
              ${new Date(day.startMs)}, ${new Date(day.endMs)}, ${day.periods.length}, ${computed.meters},
              ${new Set(computed.periods.map((row) => row.supplierId)).size}, ${readings},
              ${computed.periods.reduce((sum, row) => sum + row.estimatedReadings, 0)}, ${kwh},
              ${sumKwh(computed.periods.map((row) => row.estimatedKwh))}, ${computed.regionKwh}, ${computed.regionReadings},
              ${previous?.id ?? null}, ${SETTLEMENT_CODE_VERSION}, ${params.jobRunId ?? null}, ${params.actor},
              ${Math.round(performance.now() - started)})
      returning id::int as id`;
    const runId = (inserted as { id: number }).id;
    if (computed.periods.length > 0) {
      await tx`
        insert into settlement_run_periods
          (run_id, supplier_id, period, period_start, kwh, estimated_kwh, readings, estimated_readings)
        select ${runId}, * from unnest(
          ${computed.periods.map((row) => row.supplierId)}::text[],
          ${computed.periods.map((row) => row.period)}::smallint[],
          ${computed.periods.map((row) => row.periodStart.toISOString())}::timestamptz[],
          ${computed.periods.map((row) => row.kwh)}::numeric[],
          ${computed.periods.map((row) => row.estimatedKwh)}::numeric[],
          ${computed.periods.map((row) => row.readings)}::int[],
          ${computed.periods.map((row) => row.estimatedReadings)}::int[])`;
    }
    progress('reconcile', 2, STEPS);
    let differences = 0;
    let causes = 0;
    if (previous !== undefined) {
      const written = await tx`
        insert into settlement_run_differences (run_id, supplier_id, period, kwh_before, kwh_after, kwh_delta)
        select ${runId}, coalesce(n.supplier_id, p.supplier_id), coalesce(n.period, p.period),
               coalesce(p.kwh, 0), coalesce(n.kwh, 0), coalesce(n.kwh, 0) - coalesce(p.kwh, 0)
        from (select supplier_id, period, kwh from settlement_run_periods where run_id = ${previous.id}) p
        full join (select supplier_id, period, kwh from settlement_run_periods where run_id = ${runId}) n
          using (supplier_id, period)
        where coalesce(n.kwh, 0) <> coalesce(p.kwh, 0)
        returning 1`;
      differences = written.length;
      causes = await recordCauses(tx, {
        runId,
        day,
        region: params.region,
        before: previous.asOf,
        after: asOf,
      });
    }
    progress('done', STEPS, STEPS);
    const [run] = await tx<
      SettlementRun[]
    >`select ${runColumns(tx)} from settlement_runs r where r.id = ${runId}`;
    return { run: run as SettlementRun, differences, causes };
  });
}

/**
 * Stores the readings whose value or supplier differs between two as-of instants: those first stored or
 * revised between them, and those of meters whose registration changed between them.
 */
async function recordCauses(
  tx: Tx,
  params: { runId: number; day: SettlementDay; region: string; before: Date; after: Date },
): Promise<number> {
  const { before, after, day } = params;
  const written = await tx`
    with reg_before as (${registrationsAsOf(tx, day.day, params.region, before)}),
    reg_after as (${registrationsAsOf(tx, day.day, params.region, after)}),
    switched as (
      select coalesce(b.meter_id, a.meter_id) as meter_id from reg_before b full join reg_after a using (meter_id)
      where b.supplier_id is distinct from a.supplier_id
    ),
    candidates as (
      select r.meter_id, r.interval_start, r.kwh, r.quality, r.first_received_at, r.revised_at,
             case when r.revised_at > ${before} then reading_revision_after(r.meter_id, r.interval_start, ${before}) end as rev_before,
             case when r.revised_at > ${after} then reading_revision_after(r.meter_id, r.interval_start, ${after}) end as rev_after
      from readings r join meters m on m.id = r.meter_id
      where r.interval_start >= ${new Date(day.startMs)} and r.interval_start < ${new Date(day.endMs)}
        and m.region = ${params.region}
        and ((r.first_received_at > ${before} and r.first_received_at <= ${after}) or r.revised_at > ${before}
             or r.meter_id in (select meter_id from switched))
      offset 0
    ),
    valued as (
      select c.meter_id, c.interval_start,
             case when c.first_received_at > ${before} then null when c.rev_before is null then c.kwh else (c.rev_before).old_kwh end as kwh_before,
             case when c.first_received_at > ${before} then null when c.rev_before is null then c.quality else (c.rev_before).old_quality end as quality_before,
             case when c.first_received_at > ${after} then null when c.rev_after is null then c.kwh else (c.rev_after).old_kwh end as kwh_after,
             case when c.first_received_at > ${after} then null when c.rev_after is null then c.quality else (c.rev_after).old_quality end as quality_after
      from candidates c
    )
    insert into settlement_run_causes
      (run_id, meter_id, interval_start, period, supplier_before, supplier_after, kwh_before, kwh_after,
       quality_before, quality_after, cause, revision_ids)
    select ${params.runId}, v.meter_id, v.interval_start,
           floor(extract(epoch from v.interval_start - ${new Date(day.startMs)}::timestamptz) / 1800)::int + 1,
           b.supplier_id, a.supplier_id, v.kwh_before, v.kwh_after, v.quality_before, v.quality_after,
           case
             when b.supplier_id is distinct from a.supplier_id
                  and v.kwh_before is not distinct from v.kwh_after then 'supplier_change'
             when v.kwh_before is null and v.quality_after = 'actual' then 'late_data'
             when v.kwh_before is null and v.quality_after = 'estimated' then 'new_estimate'
             when v.quality_after = 'edited' then 'correction'
             when v.quality_before = 'estimated' and v.quality_after = 'actual' then 'estimate_replaced'
             when v.quality_before = 'estimated' and v.quality_after = 'estimated' then 'estimate_recomputed'
             else 'meter_resend'
           end,
           coalesce((select array_agg(x.id order by x.id) from reading_revisions x
                     where x.meter_id = v.meter_id and x.interval_start = v.interval_start
                       and x.created_at > ${before} and x.created_at <= ${after}), '{}')
    from valued v
    left join reg_before b on b.meter_id = v.meter_id
    left join reg_after a on a.meter_id = v.meter_id
    where v.kwh_before is distinct from v.kwh_after or v.quality_before is distinct from v.quality_after
       or b.supplier_id is distinct from a.supplier_id
    returning 1`;
  return written.length;
}

export interface Reproduction {
  run: SettlementRun;
  matches: boolean;
  /** Rows whose stored and recomputed values differ (supplier, period, stored kWh, recomputed kWh). */
  mismatches: { supplierId: string; period: number; stored: string | null; reproduced: string | null }[];
  reproducedKwh: string;
}

/** Recomputes a stored run from readings, revisions and registrations as of its instant, and compares. */
export async function reproduceSettlementRun(sql: Sql, params: { id: number }): Promise<Reproduction | null> {
  const run = await getSettlementRun(sql, params);
  if (run === null) return null;
  const day = settlementDay(run.day, run.timeZone);
  const computed = await sql.begin('isolation level repeatable read', (tx) =>
    compute(tx, day, run.region, run.asOf),
  );
  const stored = await sql<SupplierPeriodEnergy[]>`
    select supplier_id as "supplierId", period, period_start as "periodStart", kwh::text as kwh,
           estimated_kwh::text as "estimatedKwh", readings, estimated_readings as "estimatedReadings"
    from settlement_run_periods where run_id = ${run.id}`;
  const key = (row: { supplierId: string; period: number }) => `${row.supplierId}/${row.period}`;
  const same = (a: SupplierPeriodEnergy, b: SupplierPeriodEnergy) =>
    sumKwh([a.kwh]) === sumKwh([b.kwh]) &&
    sumKwh([a.estimatedKwh]) === sumKwh([b.estimatedKwh]) &&
    a.readings === b.readings &&
    a.estimatedReadings === b.estimatedReadings;
  const storedByKey = new Map(stored.map((row) => [key(row), row]));
  const reproducedByKey = new Map(computed.periods.map((row) => [key(row), row]));
  const mismatches: Reproduction['mismatches'] = [];
  for (const k of new Set([...storedByKey.keys(), ...reproducedByKey.keys()])) {
    const a = storedByKey.get(k);
    const b = reproducedByKey.get(k);
    if (a !== undefined && b !== undefined && same(a, b)) continue;
    const [supplierId = '', period = '0'] = k.split('/');
    mismatches.push({
      supplierId,
      period: Number(period),
      stored: a?.kwh ?? null,
      reproduced: b?.kwh ?? null,
    });
  }
  return {
    run,
    matches: mismatches.length === 0 && computed.regionKwh === sumKwh([run.regionKwh]),
    mismatches,
    reproducedKwh: computed.regionKwh,
  };
}

// ---------------------------------------------------------------------------------------------------
// Reading runs

export async function getSettlementRun(sql: Sql | Tx, params: { id: number }): Promise<SettlementRun | null> {
  const [run] = await sql<
    SettlementRun[]
  >`select ${runColumns(sql)} from settlement_runs r where r.id = ${params.id}`;
  return run ?? null;
}

export async function listSettlementRuns(
  sql: Sql,
  params: { day?: string; region?: string; limit?: number } = {},
): Promise<SettlementRun[]> {
  return sql<SettlementRun[]>`
    select ${runColumns(sql)} from settlement_runs r
    where true
      ${params.day ? sql`and r.day = ${params.day}::date` : sql``}
      ${params.region ? sql`and r.region = ${params.region}` : sql``}
    order by r.day desc, r.region, r.as_of desc, r.id desc
    limit ${Math.min(Math.max(params.limit ?? 50, 1), 500)}`;
}

export interface SupplierTotal {
  supplierId: string;
  supplierName: string | null;
  kwh: string;
  estimatedKwh: string;
  readings: number;
  estimatedReadings: number;
}

export interface SettlementRunDetail {
  run: SettlementRun;
  suppliers: SupplierTotal[];
  periods: SupplierPeriodEnergy[];
  differences: {
    supplierId: string;
    period: number;
    kwhBefore: string;
    kwhAfter: string;
    kwhDelta: string;
  }[];
  causes: SettlementCause[];
  /** Causes beyond those returned. */
  moreCauses: number;
}

export interface SettlementCause {
  meterId: string;
  intervalStart: Date;
  period: number;
  supplierBefore: string | null;
  supplierAfter: string | null;
  kwhBefore: string | null;
  kwhAfter: string | null;
  qualityBefore: Quality | null;
  qualityAfter: Quality | null;
  cause: string;
  revisionIds: number[];
}

export async function getSettlementRunDetail(
  sql: Sql,
  params: { id: number; causeLimit?: number },
): Promise<SettlementRunDetail | null> {
  const run = await getSettlementRun(sql, params);
  if (run === null) return null;
  const causeLimit = Math.min(Math.max(params.causeLimit ?? 200, 1), 2000);
  const [suppliers, periods, differences, causes, causeCount] = await Promise.all([
    sql<SupplierTotal[]>`
      select p.supplier_id as "supplierId", s.name as "supplierName", sum(p.kwh)::text as kwh,
             sum(p.estimated_kwh)::text as "estimatedKwh", sum(p.readings)::int as readings,
             sum(p.estimated_readings)::int as "estimatedReadings"
      from settlement_run_periods p left join suppliers s on s.id = p.supplier_id
      where p.run_id = ${run.id} group by 1, 2 order by 1`,
    sql<SupplierPeriodEnergy[]>`
      select supplier_id as "supplierId", period, period_start as "periodStart", kwh::text as kwh,
             estimated_kwh::text as "estimatedKwh", readings, estimated_readings as "estimatedReadings"
      from settlement_run_periods where run_id = ${run.id} order by supplier_id, period`,
    sql<SettlementRunDetail['differences']>`
      select supplier_id as "supplierId", period, kwh_before::text as "kwhBefore", kwh_after::text as "kwhAfter",
             kwh_delta::text as "kwhDelta"
      from settlement_run_differences where run_id = ${run.id} order by supplier_id, period`,
    sql<SettlementCause[]>`
      select meter_id as "meterId", interval_start as "intervalStart", period, supplier_before as "supplierBefore",
             supplier_after as "supplierAfter", kwh_before::text as "kwhBefore", kwh_after::text as "kwhAfter",
             quality_before as "qualityBefore", quality_after as "qualityAfter", cause,
             revision_ids::int[] as "revisionIds"
      from settlement_run_causes where run_id = ${run.id}
      order by period, meter_id, interval_start limit ${causeLimit}`,
    sql<
      { count: number }[]
    >`select count(*)::int as count from settlement_run_causes where run_id = ${run.id}`,
  ]);
  return {
    run,
    suppliers,
    periods,
    differences,
    causes,
    moreCauses: Math.max(0, (causeCount[0]?.count ?? 0) - causes.length),
  };
}

/** One row per period of the day for one supplier of a run (zeros where it had no reading). */
export async function settlementFileRows(
  sql: Sql,
  params: { id: number; supplierId: string },
): Promise<{ run: SettlementRun; rows: (SupplierPeriodEnergy & { periodEnd: Date })[] } | null> {
  const run = await getSettlementRun(sql, params);
  if (run === null) return null;
  const stored = await sql<SupplierPeriodEnergy[]>`
    select supplier_id as "supplierId", period, period_start as "periodStart", kwh::text as kwh,
           estimated_kwh::text as "estimatedKwh", readings, estimated_readings as "estimatedReadings"
    from settlement_run_periods where run_id = ${run.id} and supplier_id = ${params.supplierId}`;
  const byPeriod = new Map(stored.map((row) => [row.period, row]));
  const day = settlementDay(run.day, run.timeZone);
  return {
    run,
    rows: day.periods.map((period) => ({
      supplierId: params.supplierId,
      period: period.period,
      periodStart: new Date(period.startMs),
      periodEnd: new Date(period.endMs),
      kwh: byPeriod.get(period.period)?.kwh ?? '0.0000',
      estimatedKwh: byPeriod.get(period.period)?.estimatedKwh ?? '0.0000',
      readings: byPeriod.get(period.period)?.readings ?? 0,
      estimatedReadings: byPeriod.get(period.period)?.estimatedReadings ?? 0,
    })),
  };
}

// ---------------------------------------------------------------------------------------------------
// Timetable and due runs

export type SettlementTimetable = Record<SettlementRunType, number>;

export async function getSettlementTimetable(sql: Sql | Tx): Promise<SettlementTimetable> {
  const rows = await sql<{ runType: SettlementRunType; daysAfter: number }[]>`
    select run_type as "runType", days_after as "daysAfter" from settlement_timetable`;
  const timetable = Object.fromEntries(rows.map((row) => [row.runType, row.daysAfter]));
  for (const type of settlementRunTypes) {
    if (timetable[type] === undefined) throw new Error(`settlement_timetable has no row for ${type}`);
  }
  return timetable as SettlementTimetable;
}

/** Each run type must come later than the one before it (initial < r1 < r2 < rf). */
export async function updateSettlementTimetable(
  sql: Sql,
  params: { timetable: SettlementTimetable; actor: string },
): Promise<SettlementTimetable> {
  for (const [index, type] of settlementRunTypes.entries()) {
    const previous = settlementRunTypes[index - 1];
    if (previous !== undefined && params.timetable[type] <= params.timetable[previous]) {
      throw new SettlementError(
        type,
        `must be later than ${previous} (D+${params.timetable[previous]}), got D+${params.timetable[type]}`,
      );
    }
  }
  return sql.begin(async (tx) => {
    for (const type of settlementRunTypes) {
      await tx`
        update settlement_timetable set days_after = ${params.timetable[type]}, updated_by = ${params.actor},
               updated_at = now()
        where run_type = ${type} and days_after <> ${params.timetable[type]}`;
    }
    return getSettlementTimetable(tx);
  });
}

export interface DueSettlementRun {
  day: string;
  region: string;
  runType: SettlementRunType;
}

/**
 * Runs the timetable asks for by now that do not exist: for each region and run type, the settlement
 * day that is due today in the region's zone and the `lookbackDays` before it (a schedule that missed a
 * day catches up). Ordered by day, then run type, so a day's initial run comes before its reconciliations.
 */
export async function dueSettlementRuns(
  sql: Sql,
  params: { now?: Date; lookbackDays?: number } = {},
): Promise<DueSettlementRun[]> {
  const timetable = await getSettlementTimetable(sql);
  const lookback = params.lookbackDays ?? 2;
  const regions = await sql<{ region: string; timeZone: string }[]>`
    select region, min(time_zone) as "timeZone" from meters group by region
    having count(distinct time_zone) = 1 order by region`;
  const now = params.now ?? new Date();
  const wanted: DueSettlementRun[] = [];
  for (const { region, timeZone } of regions) {
    for (const runType of settlementRunTypes) {
      const due = dueSettlementDay(now.getTime(), timeZone, timetable[runType]);
      for (let back = lookback; back >= 0; back--) wanted.push({ day: addDays(due, -back), region, runType });
    }
  }
  if (wanted.length === 0) return [];
  const existing = await sql<{ key: string }[]>`
    select distinct day::text || '/' || region || '/' || run_type as key from settlement_runs
    where day >= ${wanted.map((run) => run.day).sort()[0] as string}::date`;
  const done = new Set(existing.map((row) => row.key));
  const rank = (type: SettlementRunType) => settlementRunTypes.indexOf(type);
  return wanted
    .filter((run) => !done.has(`${run.day}/${run.region}/${run.runType}`))
    .sort(
      (a, b) =>
        a.day.localeCompare(b.day) || a.region.localeCompare(b.region) || rank(a.runType) - rank(b.runType),
    );
}

/** Regions with meters, for the settlement page's filters. */
export async function settlementRegions(sql: Sql): Promise<{ region: string; timeZone: string }[]> {
  return sql<{ region: string; timeZone: string }[]>`
    select region, min(time_zone) as "timeZone" from meters group by region order by region`;
}
