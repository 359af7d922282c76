/**
 * The soft VEE rules over whole stored days, in SQL: what `evaluateSoftRules` of @meterops/domain gives a
 * meter's measured readings of one local day judged together, computed per meter next to its readings so
 * finalizing 100,000 meter-days never ships their readings to Node. The VEE dry run and the batch engine
 * both read the flags from here, so what the dry run reports is what finalizing stores.
 *
 * Floating-point as the domain code does it: values are compared as float8, and the day's mean is summed
 * in interval order, so the flags match `evaluateSoftRules` exactly, ties included.
 */
import type { Baseline, VeeParams } from '@meterops/domain/vee';
import type { BatchSql } from './estimation';
import { readMeterBaselines } from '../queries/meters';

export type SoftFlagBaselines = Map<string, Baseline>;

export interface SoftFlagDay {
  meterId: string;
  intervalMinutes: number;
  status: 'active' | 'inactive' | 'removed';
  /** The meter's local day as a UTC range. */
  dayStart: string;
  dayEnd: string;
}

/**
 * Per measured reading of the days: the stored flags and the flags the rules give it. A reading an agent
 * accepted in the review queue (its current version is a 'review' revision) keeps its stored flags: the
 * acceptance stands until its value changes. Estimated readings are not judged.
 */
export function softFlagsSql(
  sql: BatchSql,
  days: readonly SoftFlagDay[],
  baselines: SoftFlagBaselines,
  settings: VeeParams,
  options: { onlyChanged: boolean },
) {
  const lowest = days.reduce(
    (min, day) => (day.dayStart < min ? day.dayStart : min),
    days[0]?.dayStart ?? '',
  );
  const highest = days.reduce((max, day) => (day.dayEnd > max ? day.dayEnd : max), days[0]?.dayEnd ?? '');
  return sql`
    select m.meter_id, s.interval_start, s.stored_flags, s.flags
    from unnest(
      ${days.map((day) => day.meterId)}::text[], ${days.map((day) => day.intervalMinutes)}::int[],
      ${days.map((day) => day.status)}::text[], ${days.map((day) => day.dayStart)}::timestamptz[],
      ${days.map((day) => day.dayEnd)}::timestamptz[],
      ${days.map((day) => baselines.get(day.meterId)?.meanKwh ?? null)}::float8[],
      ${days.map((day) => baselines.get(day.meterId)?.p95Kwh ?? null)}::float8[],
      ${days.map((day) => baselines.get(day.meterId)?.samples ?? 0)}::int[]
    ) as m(meter_id, interval_minutes, status, day_start, day_end, mean_kwh, p95_kwh, samples)
    cross join lateral (
      select d.interval_start, d.stored_flags,
             case when d.accepted then d.stored_flags else array_remove(array[
               case when d.n >= 3 and d.rank = 1 and d.value > ${settings.spikeRatio}::float8 * d.third
                         and d.value > ${settings.spikeMinKwh}::float8 then 'spike' end,
               case when m.samples >= ${settings.minHistorySamples}
                         and d.value > greatest(${settings.highFactor}::float8 * m.p95_kwh, ${settings.highMinKwh}::float8)
                    then 'high_vs_history' end,
               case when m.samples >= ${settings.minHistorySamples} and m.mean_kwh >= ${settings.lowMinMeanKwh}::float8
                         and d.n * m.interval_minutes >= ${settings.lowMinHours}::float8 * 60
                         and d.total / d.n < ${settings.lowFactor}::float8 * m.mean_kwh
                    then 'low_vs_history' end,
               case when m.status = 'active' and d.value = 0
                         and count(*) over (partition by d.zero_run) * m.interval_minutes >= ${settings.zeroRunMinutes}::float8
                    then 'zero_on_active' end
             ], null) end as flags
      from (
        select r.interval_start, r.flags as stored_flags, r.kwh::float8 as value,
               r.version > 1 and exists (
                 select 1 from reading_revisions v
                 where v.meter_id = r.meter_id and v.interval_start = r.interval_start
                   and v.new_version = r.version and v.source = 'review') as accepted,
               count(*) over whole as n,
               row_number() over ranked as rank,
               nth_value(r.kwh::float8, 3) over (ranked rows between unbounded preceding and unbounded following) as third,
               sum(r.kwh::float8) over (timed rows between unbounded preceding and unbounded following) as total,
               -- Zero readings one interval apart share a run: the interval number less the zero's rank.
               case when r.kwh = 0 then
                 extract(epoch from r.interval_start - m.day_start)::bigint / (m.interval_minutes * 60)
                 - row_number() over (partition by r.kwh = 0 order by r.interval_start)
               end as zero_run
        from readings r
        where r.meter_id = m.meter_id and r.interval_start >= m.day_start and r.interval_start < m.day_end
          and r.quality <> 'estimated'
          -- Constant bounds besides the per-meter ones, so the planner prunes to the day's partition.
          and r.interval_start >= ${lowest}::timestamptz and r.interval_start < ${highest}::timestamptz
        window whole as (), ranked as (order by r.kwh::float8 desc, r.interval_start),
               timed as (order by r.interval_start)
      ) d
    ) s
    ${options.onlyChanged ? sql`where s.flags <> s.stored_flags` : sql``}`;
}

/**
 * Each meter's baseline as readMeterBaselines builds it for ingest: the four weeks of hourly rows up to the end
 * of its day. One query per distinct day end (one per zone).
 */
export async function softFlagBaselines(
  sql: BatchSql,
  days: readonly SoftFlagDay[],
): Promise<SoftFlagBaselines> {
  const byEnd = new Map<string, string[]>();
  for (const day of days) {
    const ids = byEnd.get(day.dayEnd);
    if (ids === undefined) byEnd.set(day.dayEnd, [day.meterId]);
    else ids.push(day.meterId);
  }
  const baselines: SoftFlagBaselines = new Map();
  for (const [dayEnd, meterIds] of byEnd) {
    for (const baseline of await readMeterBaselines(sql, { meterIds, days: 28, now: new Date(dayEnd) })) {
      baselines.set(baseline.meterId, baseline);
    }
  }
  return baselines;
}
