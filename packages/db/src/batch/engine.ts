/**
 * The batch layer's one computation: recompute (meter, local day) keys from the readings — estimating
 * what is missing first — and write the per-meter hourly and daily rows, then the dimension and
 * settlement rows of the day. finalizeDay, reprocessing and gap estimation are this engine with
 * different scopes and target statuses.
 *
 * Work is done in chunks of meters. Each chunk is one REPEATABLE READ transaction: its aggregates come
 * from one snapshot of the readings, and if ingest changed one of its rows after that snapshot the
 * transaction fails with a serialization error and the chunk is recomputed from a newer snapshot. So a
 * reading is either counted in the final numbers or, arriving after them, finds the day final and queues
 * the key for reprocessing; none is lost between the two.
 */
import { kwhToUnits, unitsToKwh } from '@meterops/domain/kwh';
import { intervalsInLocalDay, localDayBounds } from '@meterops/domain/time';
import type { TransactionSql } from 'postgres';
import type { Sql } from '../client';
import type { BatchSettings } from '../queries/vee';
import { estimateAndStore, type EstimateWriteResult } from './estimation';
import { publishFinalization } from './events';
import { softFlagBaselines, softFlagsSql, type SoftFlagDay } from './soft-flags';

export type TargetStatus = 'final' | 'provisional';

export interface BatchProgress {
  /** 'meters' while meter-days are recomputed, then 'dimensions' (daily, then hourly) and 'settlement'. */
  step: 'meters' | 'dimensions' | 'settlement';
  done: number;
  total: number;
}

export interface RecomputeParams {
  /** A local calendar day, YYYY-MM-DD. */
  day: string;
  /** The meters to recompute; null for every meter in scope of the day. */
  meterIds: readonly string[] | null;
  /**
   * 'final' finalizes (or refinalizes) the keys. 'provisional' recomputes keys that are not final yet
   * and leaves final ones alone (gap estimation before the day is finalized).
   */
  status: TargetStatus;
  settings: BatchSettings;
  /** Recorded on the revisions of replaced estimates and on billing alerts: 'job:finalize-day', a user id. */
  actor: string;
  jobRunId?: string | null;
  /** Takes the keys off reprocess_queue in the transaction that recomputes them. */
  consumeQueue?: boolean;
  /** Meters per chunk (one transaction each). */
  chunkSize?: number;
  /** Chunks recomputed at once, each on its own connection. */
  concurrency?: number;
  /** Return the per-meter daily changes (only sensible for small scopes). */
  collectChanges?: boolean;
  onProgress?: (progress: BatchProgress) => void;
  /** Called between chunks; throw from it to stop (chunks already committed stay). */
  checkpoint?: () => Promise<void>;
}

export interface DailyChange {
  meterId: string;
  day: string;
  kwhBefore: string | null;
  kwhAfter: string;
  statusBefore: TargetStatus | null;
  statusAfter: TargetStatus;
  finalVersion: number;
}

export interface RaisedAlert {
  id: number;
  meterId: string;
  day: string;
  billingPeriodId: number;
  kwhBefore: string;
  kwhAfter: string;
  kwhDelta: string;
  cause: 'late_data' | 'correction';
}

export interface RecomputeResult {
  day: string;
  /** Meter-days recomputed. */
  meters: number;
  /** Readings of those meter-days after estimation. */
  readings: number;
  estimated: Omit<EstimateWriteResult, 'meterIds'> & { meters: number };
  /**
   * Aggregate rows inserted or changed; unchanged rows are not rewritten. `dimension` counts the
   * per-dimension rows of the day and of its UTC hours.
   */
  rows: { hourly: number; daily: number; dimension: number; settlement: number };
  /** Keys left to reprocessing because a newer reading made the chunk fail repeatedly. */
  requeued: number;
  changes: DailyChange[];
  alerts: RaisedAlert[];
}

const ORIGIN = '2000-01-01T00:00:00Z';
const MAX_ATTEMPTS = 5;

interface ZoneDay {
  timeZone: string;
  intervalMinutes: number;
  dayStart: string;
  dayEnd: string;
  fullExpected: number;
}

interface SettlementPartial {
  region: string;
  periodStart: string;
  kwh: string;
  actual: number;
  estimated: number;
  edited: number;
}

/** Recomputes one local day for the given meters (or all); see the module comment. */
export async function recomputeDay(sql: Sql, params: RecomputeParams): Promise<RecomputeResult> {
  const zones = await zoneDays(sql, params.day);
  const zoneArrays = zoneParams(zones);
  const scope = await sql<{ id: string; region: string; timeZone: string }[]>`
    with zones as (${zoneTable(sql, zoneArrays)})
    select m.id, m.region, m.time_zone as "timeZone"
    from meters m join zones z using (time_zone, interval_minutes)
    where m.installed_at < z.day_end and (m.removed_at is null or m.removed_at > z.day_start)
      ${params.meterIds === null ? sql`` : sql`and m.id = any(${[...params.meterIds]}::text[])`}
    order by m.id`;

  if (params.consumeQueue === true && params.meterIds !== null) {
    // A key of a meter not in scope that day (removed before it, installed after) has nothing to recompute.
    await sql`
      delete from reprocess_queue
      where day = ${params.day}::date and meter_id = any(${[...params.meterIds]}::text[])
        and not meter_id = any(${scope.map((meter) => meter.id)}::text[])`;
  }
  const result: RecomputeResult = {
    day: params.day,
    meters: 0,
    readings: 0,
    estimated: { inserted: 0, replaced: 0, linear: 0, likeDay: 0, meters: 0 },
    rows: { hourly: 0, daily: 0, dimension: 0, settlement: 0 },
    requeued: 0,
    changes: [],
    alerts: [],
  };
  const chunkSize = params.chunkSize ?? 5_000;
  const chunks: string[][] = [];
  for (let start = 0; start < scope.length; start += chunkSize) {
    chunks.push(scope.slice(start, start + chunkSize).map((meter) => meter.id));
  }
  const partials = new Map<string, SettlementPartial>();
  let done = 0;
  params.onProgress?.({ step: 'meters', done, total: scope.length });

  let next = 0;
  const workers = Array.from({ length: Math.min(params.concurrency ?? 2, chunks.length) }, async () => {
    while (next < chunks.length) {
      const chunk = chunks[next++] as string[];
      let outcome: ChunkOutcome | null;
      try {
        await params.checkpoint?.();
        outcome = await withRetries(() => recomputeChunk(sql, params, zoneArrays, chunk));
      } catch (error) {
        // Cancelled or failed: hand out no more chunks; the other worker finishes the one it holds.
        next = chunks.length;
        throw error;
      }
      if (outcome === null) {
        // Ingest kept changing these keys: leave them to the reprocess queue rather than fail the run.
        await sql`
          insert into reprocess_queue (meter_id, day, reason)
          select id, ${params.day}::date, 'changed while the batch layer was computing it'
          from unnest(${chunk}::text[]) as id
          on conflict (meter_id, day) do nothing`;
        result.requeued += chunk.length;
      } else {
        result.meters += outcome.meters;
        result.readings += outcome.readings;
        result.estimated.inserted += outcome.estimated.inserted;
        result.estimated.replaced += outcome.estimated.replaced;
        result.estimated.linear += outcome.estimated.linear;
        result.estimated.likeDay += outcome.estimated.likeDay;
        result.estimated.meters += outcome.estimated.meterIds.length;
        result.rows.hourly += outcome.hourlyRows;
        result.rows.daily += outcome.dailyRows;
        result.changes.push(...outcome.changes);
        result.alerts.push(...outcome.alerts);
        for (const partial of outcome.settlement) {
          const key = `${partial.region}|${partial.periodStart}`;
          const sum = partials.get(key);
          if (sum === undefined) partials.set(key, { ...partial });
          else {
            sum.kwh = unitsToKwh(kwhToUnits(sum.kwh) + kwhToUnits(partial.kwh));
            sum.actual += partial.actual;
            sum.estimated += partial.estimated;
            sum.edited += partial.edited;
          }
        }
      }
      done += chunk.length;
      params.onProgress?.({ step: 'meters', done, total: scope.length });
    }
  });
  const settled = await Promise.allSettled(workers);
  const failure = settled.find((outcome) => outcome.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
  if (scope.length === 0) return result;

  await params.checkpoint?.();
  params.onProgress?.({ step: 'dimensions', done: 0, total: 1 });
  result.rows.dimension =
    (await writeDimensions(sql, params.day, zoneArrays)) +
    (await writeDimensionHours(sql, params.day, zoneArrays));
  params.onProgress?.({ step: 'dimensions', done: 1, total: 1 });

  params.onProgress?.({ step: 'settlement', done: 0, total: 1 });
  const regions = [...new Set(scope.map((meter) => meter.region))];
  // Partial sums from the chunks are complete only when every meter of a region was in them (a full
  // finalization: gap estimation skips final meters) and all its meters share one zone (so one range of
  // settlement periods); otherwise the region is summed afresh.
  const regionZones = await sql<{ region: string; zones: number }[]>`
    select region, count(distinct time_zone)::int as zones from meters where region = any(${regions}::text[]) group by region`;
  const fromPartials =
    params.meterIds === null && params.status === 'final' && result.requeued === 0
      ? new Set(regionZones.filter((row) => row.zones === 1).map((row) => row.region))
      : new Set<string>();
  result.rows.settlement = await writeSettlement(sql, {
    day: params.day,
    zoneArrays,
    regions,
    partials: [...partials.values()].filter((partial) => fromPartials.has(partial.region)),
    partialRegions: [...fromPartials],
  });
  params.onProgress?.({ step: 'settlement', done: 1, total: 1 });
  return result;
}

/** Runs `work` again after a serialization failure or deadlock; null when it kept failing. */
async function withRetries<T>(work: () => Promise<T>): Promise<T | null> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== '40001' && code !== '40P01') throw error;
      if (attempt >= MAX_ATTEMPTS) return null;
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
    }
  }
}

/** Day bounds and expected interval counts of every (zone, interval length) pair the fleet uses. */
export async function zoneDays(sql: Sql | TransactionSql, day: string): Promise<ZoneDay[]> {
  const pairs = await sql<{ timeZone: string; intervalMinutes: number }[]>`
    select distinct time_zone as "timeZone", interval_minutes as "intervalMinutes" from meters`;
  return pairs.map((pair) => {
    const bounds = localDayBounds(day, pair.timeZone);
    return {
      timeZone: pair.timeZone,
      intervalMinutes: pair.intervalMinutes,
      dayStart: new Date(bounds.startMs).toISOString(),
      dayEnd: new Date(bounds.endMs).toISOString(),
      fullExpected: intervalsInLocalDay(day, pair.timeZone, pair.intervalMinutes),
    };
  });
}

type ZoneArrays = ReturnType<typeof zoneParams>;

function zoneParams(zones: readonly ZoneDay[]) {
  return {
    timeZones: zones.map((zone) => zone.timeZone),
    intervalMinutes: zones.map((zone) => zone.intervalMinutes),
    dayStarts: zones.map((zone) => zone.dayStart),
    dayEnds: zones.map((zone) => zone.dayEnd),
    fullExpected: zones.map((zone) => zone.fullExpected),
    // The UTC range every meter's day lies in: a constant bound lets the planner prune partitions.
    lowest: zones.reduce(
      (min, zone) => (zone.dayStart < min ? zone.dayStart : min),
      zones[0]?.dayStart ?? ORIGIN,
    ),
    highest: zones.reduce((max, zone) => (zone.dayEnd > max ? zone.dayEnd : max), zones[0]?.dayEnd ?? ORIGIN),
  };
}

function zoneTable(sql: Sql | TransactionSql, zones: ZoneArrays) {
  return sql`
    select * from unnest(${zones.timeZones}::text[], ${zones.intervalMinutes}::int[], ${zones.dayStarts}::timestamptz[],
                         ${zones.dayEnds}::timestamptz[], ${zones.fullExpected}::int[])
      as z(time_zone, interval_minutes, day_start, day_end, full_expected)`;
}

/**
 * Intervals a meter should report on the day: none while it is inactive (or removed without a date), the
 * whole day's grid when installed before it and not removed during it, else the grid intervals inside
 * [installation, removal). The grid of a day is day_start + k × interval, since every zone offset and DST
 * shift is a multiple of 15 minutes.
 */
/**
 * The DO UPDATE of a rollup row (dimension day or hour, settlement period), whose insert names the target
 * `t`: every count and the status from the new row, rewritten only when one of them changed, so a re-run
 * writes nothing.
 */
const updateCountsIfChanged = (sql: Sql | TransactionSql) => sql`
  set kwh = excluded.kwh, expected_intervals = excluded.expected_intervals,
      actual_intervals = excluded.actual_intervals, estimated_intervals = excluded.estimated_intervals,
      edited_intervals = excluded.edited_intervals, status = excluded.status, computed_at = now()
  where (t.kwh, t.expected_intervals, t.actual_intervals, t.estimated_intervals, t.edited_intervals, t.status)
        is distinct from
        (excluded.kwh, excluded.expected_intervals, excluded.actual_intervals, excluded.estimated_intervals,
         excluded.edited_intervals, excluded.status)`;

const expectedIntervalsSql = (sql: Sql | TransactionSql) => sql`
  case
    when m.status = 'inactive' or (m.status = 'removed' and m.removed_at is null) then 0
    when m.installed_at <= z.day_start and (m.removed_at is null or m.removed_at >= z.day_end) then z.full_expected
    else (
      select count(*)::int
      from generate_series(0, z.full_expected - 1) as k
      where z.day_start + (k + 1) * m.interval_minutes * interval '1 minute' > m.installed_at
        and (m.removed_at is null or z.day_start + k * m.interval_minutes * interval '1 minute' < m.removed_at)
    )
  end`;

interface ChunkOutcome {
  meters: number;
  readings: number;
  estimated: EstimateWriteResult;
  hourlyRows: number;
  dailyRows: number;
  changes: DailyChange[];
  alerts: RaisedAlert[];
  settlement: SettlementPartial[];
}

async function recomputeChunk(
  sql: Sql,
  params: RecomputeParams,
  zones: ZoneArrays,
  meterIds: string[],
): Promise<ChunkOutcome> {
  return sql.begin('isolation level repeatable read', async (tx) => {
    await tx`select set_config('jit', 'off', true), set_config('work_mem', '128MB', true)`;
    if (params.consumeQueue === true) {
      await tx`delete from reprocess_queue where day = ${params.day}::date and meter_id = any(${meterIds}::text[])`;
    }
    await tx`
      create temp table fin_meters on commit drop as
      with zones as (${zoneTable(tx, zones)})
      select m.id as meter_id, m.region, m.time_zone, m.interval_minutes, z.day_start, z.day_end,
             date_bin('1 hour', z.day_start, ${ORIGIN}::timestamptz) as hour_lo,
             date_bin('1 hour', z.day_end - interval '1 microsecond', ${ORIGIN}::timestamptz) + interval '1 hour' as hour_hi,
             z.day_end + interval '1 day' as d1_deadline, z.day_end + interval '5 days' as d5_deadline,
             ${expectedIntervalsSql(tx)} as expected
      from meters m join zones z using (time_zone, interval_minutes)
      where m.id = any(${meterIds}::text[])
        and m.installed_at < z.day_end and (m.removed_at is null or m.removed_at > z.day_start)
        ${
          params.status === 'provisional'
            ? tx`and not exists (select 1 from meter_usage_daily u where u.meter_id = m.id and u.day = ${params.day}::date and u.status = 'final')`
            : tx``
        }
      order by m.id`;
    // Its key lets the readings be fetched meter by meter in key order (see aggregateHours).
    await tx`alter table fin_meters add primary key (meter_id)`;
    await tx`
      create temp table fin_hours (
        meter_id text not null, hour_start timestamptz not null, interval_minutes int not null,
        kwh numeric not null, readings int not null, estimated int not null, edited int not null, flagged int not null,
        kwh_first numeric not null, readings_first int not null, estimated_first int not null, edited_first int not null,
        actual_by_d1 int not null, actual_by_d5 int not null,
        -- For the soft rules: the hour's highest measured value, its measured zeros and measured kWh.
        peak numeric, zeros int not null, kwh_measured numeric
      ) on commit drop`;
    await aggregateHours(tx, zones, null);

    const gapMeters = await tx<{ meterId: string; timeZone: string; intervalMinutes: number }[]>`
      select f.meter_id as "meterId", f.time_zone as "timeZone", f.interval_minutes as "intervalMinutes"
      from fin_meters f
      left join (
        select meter_id, sum(readings - estimated) as measured
        from fin_hours h join fin_meters f using (meter_id)
        where h.hour_start >= f.day_start and h.hour_start < f.day_end
        group by meter_id
      ) h using (meter_id)
      where f.expected > 0 and coalesce(h.measured, 0) < f.expected
      order by f.meter_id`;
    const estimated = await estimateAndStore(tx, {
      day: params.day,
      meters: gapMeters,
      settings: params.settings,
      actor: params.actor,
    });
    if (estimated.meterIds.length > 0) {
      await tx`delete from fin_hours where meter_id = any(${estimated.meterIds}::text[])`;
      await aggregateHours(tx, zones, estimated.meterIds);
    }

    const status = params.status;
    const hourlyRows = await writeHours(tx, status);
    // After the hourly rows: the rules' baselines read them, as the dry run does once the day is final.
    if (status === 'final') await storeSoftFlags(tx, params.settings);

    await tx`
      create temp table fin_daily (
        meter_id text primary key, kwh_before numeric, status_before aggregate_status, finalized_before timestamptz,
        kwh_after numeric not null, status_after aggregate_status not null, final_version int not null
      ) on commit drop`;
    const [daily] = await tx<{ rows: number; readings: number; meters: number }[]>`
      with day_readings as (
        -- A day starting on the hour is the sum of its hours; in a zone whose offset is not whole hours the
        -- first and last hour are shared with the neighbouring days, so those meters are summed from readings.
        select f.meter_id, h.kwh, h.readings, h.estimated, h.edited, h.flagged, h.actual_by_d1, h.actual_by_d5
        from fin_meters f join fin_hours h using (meter_id)
        where f.day_start = f.hour_lo and f.day_end = f.hour_hi
        union all
        select f.meter_id, r.kwh, 1, (r.quality = 'estimated')::int, (r.quality = 'edited')::int, (r.flags <> '{}')::int,
               (${actualArrivalSql(tx)} <= f.d1_deadline)::int, (${actualArrivalSql(tx)} <= f.d5_deadline)::int
        from fin_meters f
        join readings r on r.meter_id = f.meter_id and r.interval_start >= f.day_start and r.interval_start < f.day_end
        where f.day_start <> f.hour_lo or f.day_end <> f.hour_hi
      ),
      totals as (
        select f.meter_id, f.expected, coalesce(sum(d.kwh), 0) as kwh, coalesce(sum(d.readings), 0)::int as readings,
               coalesce(sum(d.readings - d.estimated - d.edited), 0)::int as actual,
               coalesce(sum(d.estimated), 0)::int as estimated, coalesce(sum(d.edited), 0)::int as edited,
               coalesce(sum(d.flagged), 0)::int as flagged, coalesce(sum(d.actual_by_d1), 0)::int as actual_by_d1,
               coalesce(sum(d.actual_by_d5), 0)::int as actual_by_d5
        from fin_meters f left join day_readings d using (meter_id)
        group by f.meter_id, f.expected
      ),
      previous as (
        select u.meter_id, u.kwh, u.status, u.finalized_at
        from meter_usage_daily u join fin_meters f using (meter_id)
        where u.day = ${params.day}::date
      ),
      written as (
        insert into meter_usage_daily as u
          (meter_id, day, kwh, expected_intervals, actual_intervals, estimated_intervals, edited_intervals,
           flagged_intervals, actual_by_d1_intervals, actual_by_d5_intervals, status, computed_at, final_version, finalized_at)
        select meter_id, ${params.day}::date, kwh, expected, actual, estimated, edited, flagged, actual_by_d1, actual_by_d5,
               ${status}, now(),
               ${status === 'final' ? 1 : 0}, ${status === 'final' ? tx`now()` : tx`null::timestamptz`}
        from totals
        order by meter_id
        on conflict (meter_id, day) do update
          set kwh = excluded.kwh, expected_intervals = excluded.expected_intervals,
              actual_intervals = excluded.actual_intervals, estimated_intervals = excluded.estimated_intervals,
              edited_intervals = excluded.edited_intervals, flagged_intervals = excluded.flagged_intervals,
              actual_by_d1_intervals = excluded.actual_by_d1_intervals,
              actual_by_d5_intervals = excluded.actual_by_d5_intervals, status = excluded.status, computed_at = now(),
              final_version = u.final_version + case when excluded.status = 'final' then 1 else 0 end,
              finalized_at = case when excluded.status = 'final' then now() else u.finalized_at end
          where (u.kwh, u.expected_intervals, u.actual_intervals, u.estimated_intervals, u.edited_intervals,
                 u.flagged_intervals, u.actual_by_d1_intervals, u.actual_by_d5_intervals, u.status)
                is distinct from
                (excluded.kwh, excluded.expected_intervals, excluded.actual_intervals, excluded.estimated_intervals,
                 excluded.edited_intervals, excluded.flagged_intervals, excluded.actual_by_d1_intervals,
                 excluded.actual_by_d5_intervals, excluded.status)
            ${status === 'provisional' ? tx`and u.status = 'provisional'` : tx``}
        returning u.meter_id, u.kwh, u.status, u.final_version
      ),
      recorded as (
        insert into fin_daily
        select w.meter_id, p.kwh, p.status, p.finalized_at, w.kwh, w.status, w.final_version
        from written w left join previous p using (meter_id)
        returning 1
      )
      select (select count(*) from recorded)::int as rows, (select sum(readings) from totals)::int as readings,
             (select count(*) from totals)::int as meters`;

    const alerts = status === 'final' ? await raiseAlerts(tx, params) : [];
    if (status === 'final')
      await publishFinalization(tx, {
        day: params.day,
        jobRunId: params.jobRunId ?? null,
        alertIds: alerts.map((alert) => alert.id),
      });
    const changes =
      params.collectChanges === true
        ? await tx<DailyChange[]>`
            select meter_id as "meterId", ${params.day}::text as day, kwh_before::numeric(18,4)::text as "kwhBefore",
                   kwh_after::numeric(18,4)::text as "kwhAfter", status_before::text as "statusBefore",
                   status_after::text as "statusAfter", final_version as "finalVersion"
            from fin_daily order by meter_id`
        : [];
    const settlement = await tx<SettlementPartial[]>`
      with halves as (
        select f.region, h.hour_start as period_start, h.kwh_first as kwh,
               h.readings_first - h.estimated_first - h.edited_first as actual,
               h.estimated_first as estimated, h.edited_first as edited
        from fin_hours h join fin_meters f using (meter_id)
        union all
        select f.region, h.hour_start + interval '30 minutes', h.kwh - h.kwh_first,
               (h.readings - h.estimated - h.edited) - (h.readings_first - h.estimated_first - h.edited_first),
               h.estimated - h.estimated_first, h.edited - h.edited_first
        from fin_hours h join fin_meters f using (meter_id)
      )
      select region, period_start::timestamptz as "periodStart", sum(kwh)::text as kwh, sum(actual)::int as actual,
             sum(estimated)::int as estimated, sum(edited)::int as edited
      from halves group by region, period_start`;
    return {
      meters: daily?.meters ?? 0,
      readings: daily?.readings ?? 0,
      estimated,
      hourlyRows,
      dailyRows: daily?.rows ?? 0,
      changes,
      alerts,
      settlement: settlement.map((row) => ({ ...row, periodStart: new Date(row.periodStart).toISOString() })),
    };
  });
}

/**
 * Writes the chunk's hourly rows. When none of them exists yet (a day loaded in bulk, which the speed
 * layer never saw) a plain INSERT does it at half the cost of an upsert; a row that ingest creates
 * meanwhile then fails the insert, and the chunk is retried like after any other concurrent change.
 * Otherwise a MERGE rewrites only the rows whose numbers (or status) differ and inserts the missing ones.
 */
async function writeHours(tx: TransactionSql, status: TargetStatus): Promise<number> {
  const [existing] = await tx<{ any: boolean }[]>`
    select exists (
      select 1 from fin_meters f
      cross join lateral (
        select 1 from meter_usage_hourly h
        where h.meter_id = f.meter_id and h.hour_start >= f.hour_lo and h.hour_start < f.hour_hi limit 1
      ) x
    ) as any`;
  try {
    if (existing?.any === false) {
      const written = await tx`
        insert into meter_usage_hourly
          (meter_id, hour_start, kwh, expected_intervals, actual_intervals, estimated_intervals, edited_intervals, status, computed_at)
        select meter_id, hour_start, kwh, 60 / interval_minutes, readings - estimated - edited, estimated, edited,
               ${status}, now()
        from fin_hours`;
      return written.count;
    }
    // MERGE updates a changed row in place; INSERT … ON CONFLICT DO UPDATE first locks every conflicting
    // row, a WAL record of its own, and then updates it. Rows go in (meter, hour) order, the order ingest
    // locks them in, one primary-key lookup each: with hash or merge joins allowed the planner reads the
    // whole table to join a chunk's 120,000 rows, and the order is lost. A row it leaves alone is not
    // locked; a reading of the day folded into it after the snapshot still fails the chunk at the meter's
    // daily row, which ingest writes in the same transaction.
    await tx`select set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)`;
    const written = await tx`
      merge into meter_usage_hourly as h
      using (select * from fin_hours order by meter_id, hour_start) as x
      on h.meter_id = x.meter_id and h.hour_start = x.hour_start
      when matched
        and (h.kwh, h.expected_intervals, h.actual_intervals, h.estimated_intervals, h.edited_intervals, h.status)
            is distinct from
            (x.kwh, 60 / x.interval_minutes, x.readings - x.estimated - x.edited, x.estimated, x.edited,
             ${status}::aggregate_status)
        ${status === 'provisional' ? tx`and h.status = 'provisional'` : tx``}
        then update
          set kwh = x.kwh, expected_intervals = 60 / x.interval_minutes,
              actual_intervals = x.readings - x.estimated - x.edited, estimated_intervals = x.estimated,
              edited_intervals = x.edited, status = ${status}, computed_at = now()
      when not matched then
        insert (meter_id, hour_start, kwh, expected_intervals, actual_intervals, estimated_intervals, edited_intervals, status, computed_at)
        values (x.meter_id, x.hour_start, x.kwh, 60 / x.interval_minutes, x.readings - x.estimated - x.edited,
                x.estimated, x.edited, ${status}, now())`;
    await tx`select set_config('enable_hashjoin', 'on', true), set_config('enable_mergejoin', 'on', true)`;
    return written.count;
  } catch (error) {
    // An hourly row that ingest inserted after the chunk's snapshot: recompute from a newer one.
    if ((error as { code?: string }).code === '23505') {
      throw Object.assign(new Error('an hourly row appeared while the chunk was computed'), {
        code: '40001',
      });
    }
    throw error;
  }
}

/**
 * Judges the chunk's meter-days with the soft rules, each day's measured readings together, and stores
 * the flags where they differ from the stored ones: metadata, so no new version and no revision. The
 * chunk's flagged counts follow, so the daily rows count the flags as stored. Flags an agent accepted stay
 * as accepted (see softFlagsSql).
 */
async function storeSoftFlags(tx: TransactionSql, settings: BatchSettings): Promise<void> {
  const rows = await tx<
    (Omit<SoftFlagDay, 'dayStart' | 'dayEnd'> & {
      dayStart: Date;
      dayEnd: Date;
      possible: boolean;
      measured: number;
      peak: number | null;
      mean: number | null;
    })[]
  >`
    with hours as (
      -- The third-highest hourly peak is a reading, so the day's third-highest value is at least as high.
      select meter_id, sum(flagged) as flagged, sum(zeros) as zeros, sum(readings - estimated)::int as measured,
             max(peak)::float8 as peak, (sum(kwh_measured) / nullif(sum(readings - estimated), 0))::float8 as mean,
             (array_agg(peak::float8 order by peak desc) filter (where peak is not null))[3] as third_peak
      from fin_hours group by meter_id
    )
    select f.meter_id as "meterId", f.interval_minutes as "intervalMinutes", m.status,
           f.day_start as "dayStart", f.day_end as "dayEnd",
           -- A day whose hours hold readings of a neighbouring day (zones off the whole hour) is always judged.
           f.day_start <> f.hour_lo or f.day_end <> f.hour_hi
             or coalesce(h.flagged, 0) > 0
             or (m.status = 'active' and coalesce(h.zeros, 0) * f.interval_minutes >= ${settings.zeroRunMinutes}::float8)
             or (h.measured >= 3 and h.peak > ${settings.spikeMinKwh}::float8
                 and (h.third_peak is null or h.peak > ${settings.spikeRatio}::float8 * h.third_peak))
             as possible,
           coalesce(h.measured, 0) as measured, h.peak, h.mean
    from fin_meters f join meters m on m.id = f.meter_id
    left join hours h using (meter_id)
    order by f.meter_id`;
  if (rows.length === 0) return;
  const all = rows.map((row) => ({
    ...row,
    dayStart: row.dayStart.toISOString(),
    dayEnd: row.dayEnd.toISOString(),
  }));
  const baselines = await softFlagBaselines(tx, all);
  // Only days the rules could flag, or that hold flags, are judged reading by reading; the rest come out clean.
  const days = all.filter((day) => {
    if (day.possible) return true;
    const baseline = baselines.get(day.meterId);
    if (baseline === undefined || baseline.samples < settings.minHistorySamples) return false;
    if ((day.peak ?? 0) > Math.max(settings.highFactor * baseline.p95Kwh, settings.highMinKwh)) return true;
    // The rule sums the day in floating point; the margin covers its rounding against the exact mean.
    return (
      baseline.meanKwh >= settings.lowMinMeanKwh &&
      day.measured * day.intervalMinutes >= settings.lowMinHours * 60 &&
      (day.mean ?? 0) < settings.lowFactor * baseline.meanKwh * (1 + 1e-9)
    );
  });
  if (days.length === 0) return;
  const lowest = days.reduce(
    (min, day) => (day.dayStart < min ? day.dayStart : min),
    days[0]?.dayStart ?? ORIGIN,
  );
  const highest = days.reduce((max, day) => (day.dayEnd > max ? day.dayEnd : max), days[0]?.dayEnd ?? ORIGIN);
  // One primary-key lookup per changed reading; a hash join would read the whole partition.
  await tx`select set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)`;
  await tx`
    with computed as materialized (${softFlagsSql(tx, days, baselines, settings, { onlyChanged: true })}),
    changed as (
      update readings r set flags = c.flags
      from computed c
      where r.meter_id = c.meter_id and r.interval_start = c.interval_start
        and r.interval_start >= ${lowest}::timestamptz and r.interval_start < ${highest}::timestamptz
      returning c.meter_id, date_bin('1 hour', c.interval_start, ${ORIGIN}::timestamptz) as hour_start,
                (c.flags <> '{}')::int - (c.stored_flags <> '{}')::int as delta
    ),
    deltas as (
      select meter_id, hour_start, sum(delta)::int as delta from changed group by 1, 2 having sum(delta) <> 0
    )
    update fin_hours h set flagged = h.flagged + d.delta
    from deltas d
    where h.meter_id = d.meter_id and h.hour_start = d.hour_start`;
  await tx`select set_config('enable_hashjoin', 'on', true), set_config('enable_mergejoin', 'on', true)`;
}

/**
 * Per meter and UTC hour: the readings' sum and counts, with the first half hour apart for settlement.
 * The lateral subquery fetches one meter's readings through the primary key and groups its ~100 rows
 * there, so no statement ever hashes or sorts millions of groups, and a month partition holding 30 days
 * is read only at the day's entries. Rows come out in (meter, hour) order, fin_meters being in meter order.
 */
async function aggregateHours(
  tx: TransactionSql,
  zones: ZoneArrays,
  onlyMeters: string[] | null,
): Promise<void> {
  await tx`
    insert into fin_hours
    select f.meter_id, h.hour_start, f.interval_minutes, h.kwh, h.readings, h.estimated, h.edited, h.flagged,
           h.kwh_first, h.readings_first, h.estimated_first, h.edited_first, h.actual_by_d1, h.actual_by_d5,
           h.peak, h.zeros, h.kwh_measured
    from fin_meters f
    cross join lateral (
      select r.hour_start, sum(r.kwh) as kwh, count(*) as readings,
             count(*) filter (where r.quality = 'estimated') as estimated,
             count(*) filter (where r.quality = 'edited') as edited,
             count(*) filter (where r.flagged) as flagged,
             coalesce(sum(r.kwh) filter (where r.first_half), 0) as kwh_first,
             count(*) filter (where r.first_half) as readings_first,
             count(*) filter (where r.first_half and r.quality = 'estimated') as estimated_first,
             count(*) filter (where r.first_half and r.quality = 'edited') as edited_first,
             count(*) filter (where r.actual_at <= f.d1_deadline) as actual_by_d1,
             count(*) filter (where r.actual_at <= f.d5_deadline) as actual_by_d5,
             max(r.kwh) filter (where r.quality <> 'estimated') as peak,
             count(*) filter (where r.quality <> 'estimated' and r.kwh = 0) as zeros,
             sum(r.kwh) filter (where r.quality <> 'estimated') as kwh_measured
      from (
        select r.kwh, r.quality, r.flags <> '{}' as flagged,
               date_bin('1 hour', r.interval_start, ${ORIGIN}::timestamptz) as hour_start,
               date_bin('30 minutes', r.interval_start, ${ORIGIN}::timestamptz)
                 = date_bin('1 hour', r.interval_start, ${ORIGIN}::timestamptz) as first_half,
               ${actualArrivalSql(tx)} as actual_at
        from readings r
        where r.meter_id = f.meter_id and r.interval_start >= f.hour_lo and r.interval_start < f.hour_hi
          -- Constant bounds besides the per-meter ones, so the planner prunes to the day's partition.
          and r.interval_start >= date_bin('1 hour', ${zones.lowest}::timestamptz, ${ORIGIN}::timestamptz)
          and r.interval_start < date_bin('1 hour', ${zones.highest}::timestamptz, ${ORIGIN}::timestamptz) + interval '1 hour'
        -- Keeps each reading's hour and arrival computed once, not once per aggregate.
        offset 0
      ) r
      group by r.hour_start
    ) h
    ${onlyMeters === null ? tx`` : tx`where f.meter_id = any(${onlyMeters}::text[])`}
    order by f.meter_id, h.hour_start`;
}

/**
 * When the meter value of an actual reading first arrived: its first receipt, unless it replaced an
 * estimate (then the revision that replaced it). Null for estimated and edited readings. Only revised
 * readings (version > 1) look at the history.
 */
export const actualArrivalSql = (sql: Sql | TransactionSql) => sql`
  case
    when r.quality <> 'actual' then null
    when r.version = 1 then r.first_received_at
    else coalesce(
      (select min(v.created_at) from reading_revisions v
       where v.meter_id = r.meter_id and v.interval_start = r.interval_start
         and v.old_quality = 'estimated' and v.new_quality = 'actual'),
      r.first_received_at)
  end`;

/**
 * Billing alerts for final days whose kWh this chunk changed inside an invoiced billing period of the
 * meter or of its customer. The cause is 'correction' when an agent edited a reading of the day since it
 * was last finalized, else 'late_data'; the refs name the revisions and newly arrived readings behind it.
 */
async function raiseAlerts(tx: TransactionSql, params: RecomputeParams): Promise<RaisedAlert[]> {
  return tx<RaisedAlert[]>`
    with changed as (
      select d.meter_id, d.kwh_before, d.kwh_after, d.finalized_before, f.day_start, f.day_end, m.customer_id
      from fin_daily d join fin_meters f using (meter_id) join meters m on m.id = d.meter_id
      where d.status_before = 'final' and d.kwh_before <> d.kwh_after
    ),
    refs as (
      select c.*,
             coalesce((select array_agg(v.id order by v.id) from reading_revisions v
                       where v.meter_id = c.meter_id and v.interval_start >= c.day_start and v.interval_start < c.day_end
                         and v.created_at > c.finalized_before), '{}') as revision_ids,
             coalesce((select array_agg(r.interval_start order by r.interval_start) from readings r
                       where r.meter_id = c.meter_id and r.interval_start >= c.day_start and r.interval_start < c.day_end
                         and r.first_received_at > c.finalized_before and r.quality <> 'estimated'), '{}') as interval_starts,
             exists (select 1 from reading_revisions v
                     where v.meter_id = c.meter_id and v.interval_start >= c.day_start and v.interval_start < c.day_end
                       and v.created_at > c.finalized_before and v.source = 'agent') as corrected
      from changed c
    )
    insert into billing_alerts
      (meter_id, day, billing_period_id, kwh_before, kwh_after, kwh_delta, cause, revision_ids, interval_starts, job_run_id, raised_by)
    select r.meter_id, ${params.day}::date, p.id, r.kwh_before, r.kwh_after, r.kwh_after - r.kwh_before,
           case when r.corrected then 'correction' else 'late_data' end::billing_alert_cause,
           r.revision_ids, r.interval_starts, ${params.jobRunId ?? null}::uuid, ${params.actor}
    from refs r
    join billing_periods p
      on p.customer_id = r.customer_id and (p.meter_id is null or p.meter_id = r.meter_id)
     and p.invoiced_at is not null and ${params.day}::date between p.period_start and p.period_end
    returning id, meter_id as "meterId", day::text as day, billing_period_id as "billingPeriodId",
              kwh_before::text as "kwhBefore", kwh_after::text as "kwhAfter", kwh_delta::text as "kwhDelta", cause`;
}

/**
 * Dimension rows of the day from every meter's daily row, with expected counts from every meter in scope
 * (also those without a row yet). A row is final when every meter behind it has a final daily row.
 */
async function writeDimensions(sql: Sql, day: string, zones: ZoneArrays): Promise<number> {
  return sql.begin(async (tx) => {
    await tx`select set_config('jit', 'off', true), set_config('work_mem', '128MB', true)`;
    return writeDimensionsIn(tx, day, zones);
  });
}

async function writeDimensionsIn(sql: TransactionSql, day: string, zones: ZoneArrays): Promise<number> {
  const [row] = await sql<{ rows: number }[]>`
    with zones as (${zoneTable(sql, zones)}),
    scope as (
      select m.id, m.region, m.segment::text as segment, m.tariff_id, ${expectedIntervalsSql(sql)} as expected
      from meters m join zones z using (time_zone, interval_minutes)
      where m.installed_at < z.day_end and (m.removed_at is null or m.removed_at > z.day_start)
    ),
    per_meter as (
      select s.region, s.segment, s.tariff_id, s.expected, u.kwh, u.actual_intervals, u.estimated_intervals,
             u.edited_intervals, coalesce(u.status = 'final', false) as final
      from scope s left join meter_usage_daily u on u.meter_id = s.id and u.day = ${day}::date
    ),
    dims as (
      select dim.dimension, dim.key, coalesce(sum(p.kwh), 0) as kwh, sum(p.expected)::int as expected,
             coalesce(sum(p.actual_intervals), 0)::int as actual, coalesce(sum(p.estimated_intervals), 0)::int as estimated,
             coalesce(sum(p.edited_intervals), 0)::int as edited,
             case when bool_and(p.final) then 'final' else 'provisional' end::aggregate_status as status
      from per_meter p
      cross join lateral (values ('region'::usage_dimension, p.region), ('segment', p.segment), ('tariff', p.tariff_id))
        as dim(dimension, key)
      group by dim.dimension, dim.key
    ),
    written as (
      insert into dimension_usage_daily as t
        (day, dimension, key, kwh, expected_intervals, actual_intervals, estimated_intervals, edited_intervals, status, computed_at)
      select ${day}::date, dimension, key, kwh, expected, actual, estimated, edited, status, now() from dims
      order by dimension, key
      on conflict (day, dimension, key) do update ${updateCountsIfChanged(sql)}
      returning 1
    )
    select count(*)::int as rows from written`;
  return row?.rows ?? 0;
}

/**
 * Dimension rows of the UTC hours the day's meters cover, summed from the hourly rows of every meter in
 * them (so an hour shared with a neighbouring day of another zone counts that zone's meters too), with
 * expected counts from the meters in scope of the day. An hour is final when every meter in scope has a
 * final daily row and, for an hour that also belongs to the day before or after in some zone, when that
 * day's dimension row is final too; whichever of the two days is recomputed last settles it.
 */
async function writeDimensionHours(sql: Sql, day: string, zones: ZoneArrays): Promise<number> {
  // Hours from the latest day start to the earliest day end lie inside the day in every zone.
  const wholeFrom = zones.dayStarts.reduce((max, start) => (start > max ? start : max), zones.lowest);
  const wholeTo = zones.dayEnds.reduce((min, end) => (end < min ? end : min), zones.highest);
  return sql.begin(async (tx) => {
    await tx`select set_config('jit', 'off', true), set_config('work_mem', '128MB', true)`;
    const [row] = await tx<{ rows: number }[]>`
      with zones as (${zoneTable(tx, zones)}),
      scope as (
        select m.region, m.segment::text as segment, m.tariff_id, m.interval_minutes,
               ${expectedIntervalsSql(tx)} as expected, coalesce(u.status = 'final', false) as final
        from meters m join zones z using (time_zone, interval_minutes)
        left join meter_usage_daily u on u.meter_id = m.id and u.day = ${day}::date
        where m.installed_at < z.day_end and (m.removed_at is null or m.removed_at > z.day_start)
      ),
      keys as (
        select dim.dimension, dim.key,
               sum(case when s.expected > 0 then 60 / s.interval_minutes else 0 end)::int as expected,
               bool_and(s.final) as final
        from scope s
        cross join lateral (values ('region'::usage_dimension, s.region), ('segment', s.segment), ('tariff', s.tariff_id))
          as dim(dimension, key)
        group by 1, 2
      ),
      hours as (
        select hour_start from generate_series(
          date_bin('1 hour', ${zones.lowest}::timestamptz, ${ORIGIN}::timestamptz),
          ${zones.highest}::timestamptz - interval '1 microsecond', interval '1 hour') as hour_start
      ),
      -- One primary-key range per meter; grouped by the keys' combination before fanning out to dimensions.
      combinations as (
        select h.hour_start, m.region, m.segment::text as segment, m.tariff_id, sum(h.kwh) as kwh,
               sum(h.actual_intervals) as actual, sum(h.estimated_intervals) as estimated,
               sum(h.edited_intervals) as edited
        from meters m
        cross join lateral (
          select hour_start, kwh, actual_intervals, estimated_intervals, edited_intervals from meter_usage_hourly h
          where h.meter_id = m.id
            and h.hour_start >= date_bin('1 hour', ${zones.lowest}::timestamptz, ${ORIGIN}::timestamptz)
            and h.hour_start < ${zones.highest}::timestamptz
        ) h
        group by 1, 2, 3, 4
      ),
      sums as (
        select c.hour_start, dim.dimension, dim.key, sum(c.kwh) as kwh, sum(c.actual)::int as actual,
               sum(c.estimated)::int as estimated, sum(c.edited)::int as edited
        from combinations c
        cross join lateral (values ('region'::usage_dimension, c.region), ('segment', c.segment), ('tariff', c.tariff_id))
          as dim(dimension, key)
        group by 1, 2, 3
      ),
      neighbours as (
        select dimension, key,
               bool_or(day = ${day}::date - 1 and status = 'final') as before_final,
               bool_or(day = ${day}::date + 1 and status = 'final') as after_final
        from dimension_usage_daily
        where day in (${day}::date - 1, ${day}::date + 1)
        group by 1, 2
      ),
      targets as (
        select x.hour_start, x.dimension, x.key, coalesce(s.kwh, 0) as kwh, coalesce(k.expected, 0) as expected,
               coalesce(s.actual, 0) as actual, coalesce(s.estimated, 0) as estimated, coalesce(s.edited, 0) as edited,
               case when coalesce(k.final, false)
                         and (x.hour_start >= ${wholeFrom}::timestamptz or coalesce(n.before_final, false))
                         and (x.hour_start + interval '1 hour' <= ${wholeTo}::timestamptz or coalesce(n.after_final, false))
                    then 'final' else 'provisional' end::aggregate_status as status
        from (select h.hour_start, k.dimension, k.key from hours h cross join keys k
              union select hour_start, dimension, key from sums) x
        left join keys k using (dimension, key)
        left join sums s using (hour_start, dimension, key)
        left join neighbours n using (dimension, key)
      ),
      written as (
        insert into dimension_usage_hourly as t
          (hour_start, dimension, key, kwh, expected_intervals, actual_intervals, estimated_intervals, edited_intervals, status, computed_at)
        select hour_start, dimension, key, kwh, expected, actual, estimated, edited, status, now() from targets
        order by 1, 2, 3
        on conflict (hour_start, dimension, key) do update ${updateCountsIfChanged(tx)}
        returning 1
      )
      select count(*)::int as rows from written`;
    return row?.rows ?? 0;
  });
}

/**
 * Settlement rows of the given regions for the half hours their meters' day covers: summed from the
 * chunks' partial sums where those are complete, else from the readings of every meter of the region.
 * Every period of the range gets a row, also one nobody reported in. Final when every meter of the region
 * in scope of the day has a final daily row.
 */
interface SettlementParams {
  day: string;
  zoneArrays: ZoneArrays;
  regions: string[];
  partials: SettlementPartial[];
  partialRegions: string[];
}

async function writeSettlement(sql: Sql, params: SettlementParams): Promise<number> {
  return sql.begin(async (tx) => {
    await tx`select set_config('jit', 'off', true), set_config('work_mem', '128MB', true)`;
    return writeSettlementIn(tx, params);
  });
}

async function writeSettlementIn(sql: TransactionSql, params: SettlementParams): Promise<number> {
  const { day, zoneArrays: zones } = params;
  const summedRegions = params.regions.filter((region) => !params.partialRegions.includes(region));
  const [row] = await sql<{ rows: number }[]>`
    with zones as (${zoneTable(sql, zones)}),
    scope as (
      select m.id, m.region, m.interval_minutes, z.day_start, z.day_end, ${expectedIntervalsSql(sql)} as expected
      from meters m join zones z using (time_zone, interval_minutes)
      where m.region = any(${params.regions}::text[])
        and m.installed_at < z.day_end and (m.removed_at is null or m.removed_at > z.day_start)
    ),
    regions as (
      select s.region, min(s.day_start) as range_start, max(s.day_end) as range_end,
             sum(case when s.expected > 0 then 30 / s.interval_minutes else 0 end)::int as expected,
             bool_and(coalesce(u.status = 'final', false)) as final
      from scope s left join meter_usage_daily u on u.meter_id = s.id and u.day = ${day}::date
      group by s.region
    ),
    summed as (
      select s.region, date_bin('30 minutes', r.interval_start, ${ORIGIN}::timestamptz) as period_start, sum(r.kwh) as kwh,
             count(*) filter (where r.quality = 'actual')::int as actual,
             count(*) filter (where r.quality = 'estimated')::int as estimated,
             count(*) filter (where r.quality = 'edited')::int as edited
      from scope s join regions g using (region)
      join readings r
        on r.meter_id = s.id and r.interval_start >= g.range_start and r.interval_start < g.range_end
       and r.interval_start >= ${zones.lowest}::timestamptz and r.interval_start < ${zones.highest}::timestamptz
      where s.region = any(${summedRegions}::text[])
      group by 1, 2
    ),
    partial as (
      select * from unnest(
        ${params.partials.map((p) => p.region)}::text[], ${params.partials.map((p) => p.periodStart)}::timestamptz[],
        ${params.partials.map((p) => p.kwh)}::numeric[], ${params.partials.map((p) => p.actual)}::int[],
        ${params.partials.map((p) => p.estimated)}::int[], ${params.partials.map((p) => p.edited)}::int[]
      ) as p(region, period_start, kwh, actual, estimated, edited)
    ),
    sums as (select * from summed union all select * from partial),
    periods as (
      select g.region, p.period_start, g.expected, g.final
      from regions g
      cross join lateral generate_series(
        date_bin('30 minutes', g.range_start, ${ORIGIN}::timestamptz),
        g.range_end - interval '1 microsecond', interval '30 minutes') as p(period_start)
    ),
    written as (
      insert into settlement_period_usage as t
        (region, period_start, kwh, expected_intervals, actual_intervals, estimated_intervals, edited_intervals, status, computed_at)
      select p.region, p.period_start, coalesce(x.kwh, 0), p.expected, coalesce(x.actual, 0), coalesce(x.estimated, 0),
             coalesce(x.edited, 0), case when p.final then 'final' else 'provisional' end::aggregate_status, now()
      from periods p left join sums x using (region, period_start)
      order by 1, 2
      on conflict (region, period_start) do update ${updateCountsIfChanged(sql)}
      returning 1
    )
    select count(*)::int as rows from written`;
  return row?.rows ?? 0;
}

export interface DayExpectations {
  /** Intervals the meter should report on the day. */
  meter: number;
  /** Intervals all meters of its region, segment and tariff should report on the day. */
  region: number;
  segment: number;
  tariff: number;
  /** Intervals the region's meters should report in one half-hour settlement period. */
  regionHalfHour: number;
  /** Intervals all meters of its region, segment and tariff should report in one UTC hour. */
  regionHour: number;
  segmentHour: number;
  tariffHour: number;
}

/** Expected counts around one meter's day, for aggregate rows created outside the batch (corrections). */
export async function dayExpectations(
  sql: Sql | TransactionSql,
  params: { day: string; meterId: string },
): Promise<DayExpectations> {
  const zones = zoneParams(await zoneDays(sql, params.day));
  const [row] = await sql<DayExpectations[]>`
    with zones as (${zoneTable(sql, zones)}),
    scope as (
      select m.id, m.region, m.segment, m.tariff_id, m.interval_minutes, ${expectedIntervalsSql(sql)} as expected
      from meters m join zones z using (time_zone, interval_minutes)
      where m.installed_at < z.day_end and (m.removed_at is null or m.removed_at > z.day_start)
    ),
    own as (select region, segment, tariff_id from meters where id = ${params.meterId})
    select coalesce((select expected from scope where id = ${params.meterId}), 0)::int as meter,
           coalesce((select sum(expected) from scope, own where scope.region = own.region), 0)::int as region,
           coalesce((select sum(expected) from scope, own where scope.segment = own.segment), 0)::int as segment,
           coalesce((select sum(expected) from scope, own where scope.tariff_id = own.tariff_id), 0)::int as tariff,
           coalesce((select sum(case when expected > 0 then 30 / interval_minutes else 0 end)
                     from scope, own where scope.region = own.region), 0)::int as "regionHalfHour",
           coalesce((select sum(case when expected > 0 then 60 / interval_minutes else 0 end)
                     from scope, own where scope.region = own.region), 0)::int as "regionHour",
           coalesce((select sum(case when expected > 0 then 60 / interval_minutes else 0 end)
                     from scope, own where scope.segment = own.segment), 0)::int as "segmentHour",
           coalesce((select sum(case when expected > 0 then 60 / interval_minutes else 0 end)
                     from scope, own where scope.tariff_id = own.tariff_id), 0)::int as "tariffHour"`;
  if (row === undefined) throw new Error('expectations were not computed');
  return row;
}
