/**
 * Data completeness: how many of the intervals meters should report are there, measured or estimated,
 * and how quickly the measured ones arrived — the share of actual readings in by the end of D+1 and by
 * the end of D+5. Arrival is a reading's first_received_at (set once, when the interval's first value
 * was stored), or, for an interval first filled by an estimate, the time the actual value replaced it.
 */
import { addDays, intervalStartsOfLocalDay, localDay, localDayBounds } from '@meterops/domain/time';
import { actualArrivalSql } from '../batch/engine';
import type { Sql } from '../client';

export interface CompletenessFigures {
  expected: number;
  actual: number;
  estimated: number;
  edited: number;
  /** Expected intervals with no reading at all. */
  missing: number;
  /** Actual readings that had arrived by the end of the next day; null until the batch layer computed the day. */
  actualByD1: number | null;
  actualByD5: number | null;
  /** actual / expected, 0…1 (null when nothing is expected). */
  actualShare: number | null;
  actualShareByD1: number | null;
  actualShareByD5: number | null;
}

export interface MeterDayCompleteness extends CompletenessFigures {
  meterId: string;
  day: string;
}

export interface RegionDayCompleteness extends CompletenessFigures {
  region: string;
  day: string;
  status: 'provisional' | 'final';
  /** Meters of the region in scope that day. */
  meters: number;
}

const share = (part: number | null, whole: number) => (part === null || whole === 0 ? null : part / whole);

function figures(counts: {
  expected: number;
  actual: number;
  estimated: number;
  edited: number;
  actualByD1: number | null;
  actualByD5: number | null;
}): CompletenessFigures {
  return {
    ...counts,
    missing: Math.max(0, counts.expected - counts.actual - counts.estimated - counts.edited),
    actualShare: share(counts.actual, counts.expected),
    actualShareByD1: share(counts.actualByD1, counts.expected),
    actualShareByD5: share(counts.actualByD5, counts.expected),
  };
}

/**
 * Per local day of [from, to] for one meter, straight from its readings, so it is exact for provisional
 * days too. Days outside the meter's installation get expected 0.
 */
export async function meterCompleteness(
  sql: Sql,
  params: { meterId: string; from: string; to: string },
): Promise<MeterDayCompleteness[]> {
  const [meter] = await sql<
    { timeZone: string; intervalMinutes: number; status: string; installedAt: Date; removedAt: Date | null }[]
  >`
    select time_zone as "timeZone", interval_minutes as "intervalMinutes", status, installed_at as "installedAt",
           removed_at as "removedAt"
    from meters where id = ${params.meterId}`;
  if (meter === undefined) throw new RangeError(`meter "${params.meterId}" is not registered`);
  const days: string[] = [];
  for (let day = params.from; day <= params.to && days.length <= 366; day = addDays(day, 1)) days.push(day);
  if (days.length === 0) return [];
  const rangeStart = localDayBounds(params.from, meter.timeZone).startMs;
  const rangeEnd = localDayBounds(days.at(-1) as string, meter.timeZone).endMs;
  interface Row {
    intervalStart: Date;
    quality: 'actual' | 'estimated' | 'edited';
    arrivedAt: Date | null;
  }
  const rows = await sql<Row[]>`
    select r.interval_start as "intervalStart", r.quality, ${actualArrivalSql(sql)} as "arrivedAt"
    from readings r
    where r.meter_id = ${params.meterId}
      and r.interval_start >= ${new Date(rangeStart).toISOString()}::timestamptz
      and r.interval_start < ${new Date(rangeEnd).toISOString()}::timestamptz`;
  const byDay = new Map<string, Row[]>();
  for (const row of rows) {
    const day = localDay(row.intervalStart.getTime(), meter.timeZone);
    const list = byDay.get(day);
    if (list === undefined) byDay.set(day, [row]);
    else list.push(row);
  }
  const stepMs = meter.intervalMinutes * 60_000;
  const reporting = meter.status !== 'inactive' && !(meter.status === 'removed' && meter.removedAt === null);
  return days.map((day) => {
    const { endMs } = localDayBounds(day, meter.timeZone);
    const expected = reporting
      ? intervalStartsOfLocalDay(day, meter.timeZone, meter.intervalMinutes).filter(
          (start) =>
            start + stepMs > meter.installedAt.getTime() &&
            (meter.removedAt === null || start < meter.removedAt.getTime()),
        ).length
      : 0;
    const readings = byDay.get(day) ?? [];
    const arrivedBy = (days: number) =>
      readings.filter((row) => row.arrivedAt !== null && row.arrivedAt.getTime() <= endMs + days * 86_400_000)
        .length;
    return {
      meterId: params.meterId,
      day,
      ...figures({
        expected,
        actual: readings.filter((row) => row.quality === 'actual').length,
        estimated: readings.filter((row) => row.quality === 'estimated').length,
        edited: readings.filter((row) => row.quality === 'edited').length,
        actualByD1: arrivedBy(1),
        actualByD5: arrivedBy(5),
      }),
    };
  });
}

/**
 * Per region and local day of [from, to], from the aggregates: expected counts cover every meter of
 * the region that should report (also silent ones), and the arrival figures come from the per-meter
 * counts of the daily rows, kept by ingest and recounted by the batch layer (null while a meter-day of
 * the region lacks them: written before ingest kept them, and not through the batch layer since).
 */
export async function regionCompleteness(
  sql: Sql,
  params: { from: string; to: string; region?: string },
): Promise<RegionDayCompleteness[]> {
  const rows = await sql<
    {
      region: string;
      day: string;
      status: 'provisional' | 'final';
      expected: number;
      actual: number;
      estimated: number;
      edited: number;
      meters: number;
      byD1: number | null;
      byD5: number | null;
      pending: number;
    }[]
  >`
    select d.key as region, d.day::text as day, d.status, d.expected_intervals as expected,
           d.actual_intervals as actual, d.estimated_intervals as estimated, d.edited_intervals as edited,
           coalesce(m.meters, 0)::int as meters, m.by_d1::int as "byD1", m.by_d5::int as "byD5",
           coalesce(m.pending, 0)::int as pending
    from dimension_usage_daily d
    left join lateral (
      select count(*) as meters, sum(u.actual_by_d1_intervals) as by_d1, sum(u.actual_by_d5_intervals) as by_d5,
             count(*) filter (where u.actual_by_d1_intervals is null) as pending
      from meter_usage_daily u join meters mm on mm.id = u.meter_id
      where u.day = d.day and mm.region = d.key
    ) m on true
    where d.dimension = 'region' and d.day between ${params.from}::date and ${params.to}::date
      ${params.region === undefined ? sql`` : sql`and d.key = ${params.region}`}
    order by d.day, d.key`;
  return rows.map((row) => ({
    region: row.region,
    day: row.day,
    status: row.status,
    meters: row.meters,
    ...figures({
      expected: row.expected,
      actual: row.actual,
      estimated: row.estimated,
      edited: row.edited,
      actualByD1: row.pending > 0 ? null : (row.byD1 ?? 0),
      actualByD5: row.pending > 0 ? null : (row.byD5 ?? 0),
    }),
  }));
}
