/**
 * Completeness for the operations portal: expected versus received intervals per local day and region,
 * the meters behind a gap, and how quickly actual readings arrived (by D+1 and D+5).
 *
 * Received means `actual`: a value the meter sent. Estimated and edited intervals are counted beside it,
 * and missing = expected - actual - estimated - edited.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client';
import type { AggregateStatus, IntervalCounts } from './consumption';

const epochMs = (column: SQL) => sql`(extract(epoch from ${column}) * 1000)::float8`;

export interface RegionDayCompleteness extends IntervalCounts {
  /** Local calendar day. */
  day: string;
  region: string;
  status: AggregateStatus;
  computedAt: Date;
}

/** The region rows of `dimension_usage_daily` for the inclusive day range; a day without a row has no data. */
export async function regionDayCompleteness(
  db: Db,
  params: { from: string; to: string },
): Promise<RegionDayCompleteness[]> {
  const rows = await db.execute<
    IntervalCounts & { day: string; region: string; status: AggregateStatus; computedAtMs: number }
  >(sql`
    select to_char(day, 'YYYY-MM-DD') as day, key as region,
           expected_intervals as expected, actual_intervals as actual, estimated_intervals as estimated,
           edited_intervals as edited, status, ${epochMs(sql`computed_at`)} as "computedAtMs"
    from dimension_usage_daily
    where dimension = 'region' and day between ${params.from}::date and ${params.to}::date
    order by day, key`);
  return rows.map(({ computedAtMs, ...row }) => ({ ...row, computedAt: new Date(computedAtMs) }));
}

/** Active meters of a region on a local day, with the local bounds of the day and the intervals expected. */
const fleetOfRegionDay = (day: string, region: string) => sql`
  select m.id, m.segment, m.tariff_id, m.interval_minutes, m.time_zone,
         (${day}::date::timestamp at time zone m.time_zone) as day_start,
         ((${day}::date + 1)::timestamp at time zone m.time_zone) as day_end,
         (extract(epoch from ((${day}::date + 1)::timestamp at time zone m.time_zone)
                             - (${day}::date::timestamp at time zone m.time_zone)) / 60 / m.interval_minutes)::int as expected
  from meters m
  where m.region = ${region} and m.status = 'active'
    and m.installed_at < ((${day}::date + 1)::timestamp at time zone m.time_zone)
    and (m.removed_at is null or m.removed_at > (${day}::date::timestamp at time zone m.time_zone))`;

export interface MeterDayGap extends IntervalCounts {
  meterId: string;
  segment: string;
  tariffId: string;
  intervalMinutes: number;
  missing: number;
  /** Null when the meter sent nothing that day: no daily row exists. */
  status: AggregateStatus | null;
  computedAt: Date | null;
}

/**
 * Active meters of a region whose local day is not complete (missing > 0), most missing first. A meter
 * that sent nothing has no daily row and counts as entirely missing.
 */
export async function metersWithGaps(
  db: Db,
  params: { day: string; region: string; limit: number; offset: number },
): Promise<{ rows: MeterDayGap[]; total: number; meters: number }> {
  const rows = await db.execute<
    IntervalCounts & {
      meterId: string;
      segment: string;
      tariffId: string;
      intervalMinutes: number;
      missing: number;
      status: AggregateStatus | null;
      computedAtMs: number | null;
      total: number;
      meters: number;
    }
  >(sql`
    with fleet as (${fleetOfRegionDay(params.day, params.region)}),
    days as (
      select f.id, f.segment, f.tariff_id, f.interval_minutes,
             coalesce(u.expected_intervals, f.expected) as expected,
             coalesce(u.actual_intervals, 0) as actual,
             coalesce(u.estimated_intervals, 0) as estimated,
             coalesce(u.edited_intervals, 0) as edited,
             u.status, u.computed_at
      from fleet f
      left join meter_usage_daily u on u.meter_id = f.id and u.day = ${params.day}::date
    ),
    gaps as (
      select *, expected - actual - estimated - edited as missing from days
      where actual + estimated + edited < expected
    )
    select id as "meterId", segment::text as segment, tariff_id as "tariffId", interval_minutes as "intervalMinutes",
           expected, actual, estimated, edited, missing, status,
           ${epochMs(sql`computed_at`)} as "computedAtMs",
           (select count(*) from gaps)::int as total, (select count(*) from fleet)::int as meters
    from gaps
    order by missing desc, id
    limit ${params.limit} offset ${params.offset}`);
  if (rows.length === 0) {
    // The page is past the end (or there are no gaps): the counts still describe the region.
    const [counts] = await db.execute<{ total: number; meters: number }>(sql`
      with fleet as (${fleetOfRegionDay(params.day, params.region)})
      select (select count(*) from fleet f left join meter_usage_daily u on u.meter_id = f.id and u.day = ${params.day}::date
              where coalesce(u.actual_intervals, 0) + coalesce(u.estimated_intervals, 0) + coalesce(u.edited_intervals, 0)
                    < coalesce(u.expected_intervals, f.expected))::int as total,
             (select count(*) from fleet)::int as meters`);
    return { rows: [], total: counts?.total ?? 0, meters: counts?.meters ?? 0 };
  }
  const first = rows[0];
  return {
    rows: rows.map(({ computedAtMs, total: _total, meters: _meters, ...row }) => ({
      ...row,
      computedAt: computedAtMs === null ? null : new Date(computedAtMs),
    })),
    total: first?.total ?? 0,
    meters: first?.meters ?? 0,
  };
}

export interface ArrivalTimeliness {
  /** Intervals the region's active meters should send that day. */
  expected: number;
  /** Intervals whose current value came from the meter. */
  actual: number;
  /** Of those, the ones whose meter value arrived before the end of local day D+1, and of D+5. */
  actualByD1: number;
  actualByD5: number;
  /** End of local day D+1 and D+5 (the latest over the region's time zones). */
  d1Deadline: Date;
  d5Deadline: Date;
}

/**
 * How many of a region's actual readings for local day D arrived by the end of D+1 and of D+5.
 *
 * A reading's arrival is `first_received_at`, except when its first value was an estimate: then it is
 * when the meter's value replaced the estimate (from reading_revisions). Only revised readings
 * (version > 1) need that lookup.
 */
export async function regionDayTimeliness(
  db: Db,
  params: { day: string; region: string },
): Promise<ArrivalTimeliness> {
  // One index range per meter adds up to a cost estimate that would pay for JIT, which takes longer.
  const [row] = await db.transaction(async (tx) => {
    await tx.execute(sql`set local jit = off`);
    return tx.execute<{
      expected: number | null;
      actual: number;
      actualByD1: number;
      actualByD5: number;
      d1DeadlineMs: number | null;
      d5DeadlineMs: number | null;
    }>(sql`
    with fleet as (${fleetOfRegionDay(params.day, params.region)}),
    arrivals as (
      select r.arrival,
             ((${params.day}::date + 2)::timestamp at time zone f.time_zone) as d1_end,
             ((${params.day}::date + 6)::timestamp at time zone f.time_zone) as d5_end
      from fleet f
      cross join lateral (
        select case when r.version = 1 then r.first_received_at
                    else coalesce((select min(v.created_at) from reading_revisions v
                                   where v.meter_id = r.meter_id and v.interval_start = r.interval_start
                                     and v.old_quality = 'estimated' and v.new_quality = 'actual'),
                                  r.first_received_at) end as arrival
        from readings r
        where r.meter_id = f.id and r.interval_start >= f.day_start and r.interval_start < f.day_end
          and r.quality = 'actual'
          -- Constant bounds beside the per-meter ones, so only the day's partitions are scanned.
          and r.interval_start >= (${params.day}::date - 1)::timestamp at time zone 'UTC'
          and r.interval_start < (${params.day}::date + 2)::timestamp at time zone 'UTC'
        -- Keeps the planner from flattening the lateral into a scan of whole partitions.
        limit 1000
      ) r
    )
    select (select sum(expected) from fleet)::int as expected, a.actual, a."actualByD1", a."actualByD5",
           (select ${epochMs(sql`max((${params.day}::date + 2)::timestamp at time zone time_zone)`)} from fleet) as "d1DeadlineMs",
           (select ${epochMs(sql`max((${params.day}::date + 6)::timestamp at time zone time_zone)`)} from fleet) as "d5DeadlineMs"
    from (
      select count(*)::int as actual, (count(*) filter (where arrival < d1_end))::int as "actualByD1",
             (count(*) filter (where arrival < d5_end))::int as "actualByD5"
      from arrivals
    ) a`);
  });
  const fallbackDeadline = (days: number) =>
    new Date(Date.parse(`${params.day}T00:00:00Z`) + days * 86_400_000);
  return {
    expected: row?.expected ?? 0,
    actual: row?.actual ?? 0,
    actualByD1: row?.actualByD1 ?? 0,
    actualByD5: row?.actualByD5 ?? 0,
    d1Deadline: row?.d1DeadlineMs == null ? fallbackDeadline(2) : new Date(row.d1DeadlineMs),
    d5Deadline: row?.d5DeadlineMs == null ? fallbackDeadline(6) : new Date(row.d5DeadlineMs),
  };
}

/** End of local day D+1 and D+5 for a region's meters (the latest over its time zones). */
export async function regionDayDeadlines(
  db: Db,
  params: { day: string; region: string },
): Promise<{ d1Deadline: Date; d5Deadline: Date }> {
  const [row] = await db.execute<{ d1: number | null; d5: number | null }>(sql`
    select ${epochMs(sql`max((${params.day}::date + 2)::timestamp at time zone z.time_zone)`)} as d1,
           ${epochMs(sql`max((${params.day}::date + 6)::timestamp at time zone z.time_zone)`)} as d5
    from (select distinct time_zone from meters where region = ${params.region}) z`);
  const fallback = (days: number) => new Date(Date.parse(`${params.day}T00:00:00Z`) + days * 86_400_000);
  return {
    d1Deadline: row?.d1 == null ? fallback(2) : new Date(row.d1),
    d5Deadline: row?.d5 == null ? fallback(6) : new Date(row.d5),
  };
}
