import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client';

export type UsageDimension = 'region' | 'segment' | 'tariff';
export type UsageGranularity = 'hour' | 'day' | 'month';
export type AggregateStatus = 'provisional' | 'final';

/** Interval counts of an aggregate; missing = expected - actual - estimated - edited. */
export type IntervalCounts = {
  expected: number;
  actual: number;
  estimated: number;
  edited: number;
};

/** Consumption of one key (a region, segment or tariff) in one period. */
export interface UsageRow extends IntervalCounts {
  /**
   * Start of the period: `YYYY-MM-DDTHH:00:00Z` for a UTC hour, `YYYY-MM-DD` for a local day, and the
   * first local day of the month for a month.
   */
  period: string;
  key: string;
  /** Exact decimal, kWh. */
  kwh: string;
  /** Aggregate rows summed into this one (days of a month, half hours of a region's hour, else 1). */
  parts: number;
  /** How many of those are final; the row is final only when all of them are. */
  finalParts: number;
  status: AggregateStatus;
  /** When the newest of the summed rows was computed. */
  computedAt: Date;
  /** When the oldest of the summed rows was computed. */
  oldestComputedAt: Date;
}

/** Epoch milliseconds as float8, which postgres.js parses to a number (drizzle leaves timestamps as text). */
const epochMs = (column: SQL) => sql`(extract(epoch from ${column}) * 1000)::float8`;

const countColumns = sql`
  sum(expected_intervals)::int as expected, sum(actual_intervals)::int as actual,
  sum(estimated_intervals)::int as estimated, sum(edited_intervals)::int as edited,
  count(*)::int as parts, (count(*) filter (where status = 'final'))::int as "finalParts",
  ${epochMs(sql`max(computed_at)`)} as "computedAtMs", ${epochMs(sql`min(computed_at)`)} as "oldestComputedAtMs"`;

type RawUsageRow = IntervalCounts & {
  period: string;
  key: string;
  kwh: string;
  parts: number;
  finalParts: number;
  computedAtMs: number;
  oldestComputedAtMs: number;
};

function toUsageRow(row: RawUsageRow): UsageRow {
  return {
    period: row.period,
    key: row.key,
    kwh: row.kwh,
    expected: row.expected,
    actual: row.actual,
    estimated: row.estimated,
    edited: row.edited,
    parts: row.parts,
    finalParts: row.finalParts,
    status: row.parts > 0 && row.finalParts === row.parts ? 'final' : 'provisional',
    computedAt: new Date(row.computedAtMs),
    oldestComputedAt: new Date(row.oldestComputedAtMs),
  };
}

/**
 * Consumption per key of one dimension and period.
 *
 * - `day` and `month` read `dimension_usage_daily` (days are each meter's local calendar day).
 * - `hour` is a UTC hour: regions sum their two half-hourly settlement periods; segments and tariffs read
 *   `dimension_usage_hourly` (one row per hour and key).
 *
 * `from` and `to` are inclusive days (`YYYY-MM-DD`); for hours they are UTC days.
 */
export async function usageByDimension(
  db: Db,
  params: { dimension: UsageDimension; granularity: UsageGranularity; from: string; to: string },
): Promise<UsageRow[]> {
  const { dimension, granularity, from, to } = params;
  let query: SQL;
  if (granularity === 'day' || granularity === 'month') {
    const period =
      granularity === 'day'
        ? sql`to_char(day, 'YYYY-MM-DD')`
        : sql`to_char(date_trunc('month', day), 'YYYY-MM-DD')`;
    query = sql`
      select ${period} as period, key, sum(kwh)::text as kwh, ${countColumns}
      from dimension_usage_daily
      where dimension = ${dimension}::usage_dimension and day between ${from}::date and ${to}::date
      group by 1, 2
      order by 1, 2`;
  } else if (dimension === 'region') {
    query = sql`
      select to_char(date_bin('1 hour', period_start, '2000-01-01T00:00:00Z') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as period,
             region as key, sum(kwh)::text as kwh, ${countColumns}
      from settlement_period_usage
      where period_start >= ${from}::date::timestamp at time zone 'UTC'
        and period_start < (${to}::date + 1)::timestamp at time zone 'UTC'
      group by 1, 2
      order by 1, 2`;
  } else {
    query = sql`
      select to_char(hour_start at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as period, key,
             sum(kwh)::text as kwh, ${countColumns}
      from dimension_usage_hourly
      where hour_start >= ${from}::date::timestamp at time zone 'UTC'
        and hour_start < (${to}::date + 1)::timestamp at time zone 'UTC'
        and dimension = ${dimension}::usage_dimension
      group by hour_start, key
      order by hour_start, key`;
  }
  const rows = await db.execute<RawUsageRow>(query);
  return rows.map(toUsageRow);
}

/** One half-hourly settlement period of a region. */
export interface SettlementPeriodRow extends IntervalCounts {
  region: string;
  periodStart: Date;
  kwh: string;
  status: AggregateStatus;
  computedAt: Date;
}

/** The 48 settlement periods of one UTC day (`YYYY-MM-DD`), for one region or all. */
export async function settlementPeriods(
  db: Db,
  params: { day: string; region?: string },
): Promise<SettlementPeriodRow[]> {
  const rows = await db.execute<{
    region: string;
    periodStartMs: number;
    kwh: string;
    expected: number;
    actual: number;
    estimated: number;
    edited: number;
    status: AggregateStatus;
    computedAtMs: number;
  }>(sql`
    select region, ${epochMs(sql`period_start`)} as "periodStartMs", kwh::text as kwh,
           expected_intervals as expected, actual_intervals as actual, estimated_intervals as estimated,
           edited_intervals as edited, status, ${epochMs(sql`computed_at`)} as "computedAtMs"
    from settlement_period_usage
    where period_start >= ${params.day}::date::timestamp at time zone 'UTC'
      and period_start < (${params.day}::date + 1)::timestamp at time zone 'UTC'
      ${params.region === undefined ? sql`` : sql`and region = ${params.region}`}
    order by region, period_start`);
  return rows.map((row) => ({
    region: row.region,
    periodStart: new Date(row.periodStartMs),
    kwh: row.kwh,
    expected: row.expected,
    actual: row.actual,
    estimated: row.estimated,
    edited: row.edited,
    status: row.status,
    computedAt: new Date(row.computedAtMs),
  }));
}

/** First and last local day that has any daily aggregate, or nulls on an empty database. */
export async function usageDayBounds(db: Db): Promise<{ firstDay: string | null; lastDay: string | null }> {
  // Two index probes on the primary key (day first) instead of one scan for min and max together.
  const rows = await db.execute<{ firstDay: string | null; lastDay: string | null }>(sql`
    select (select to_char(day, 'YYYY-MM-DD') from dimension_usage_daily order by day asc limit 1) as "firstDay",
           (select to_char(day, 'YYYY-MM-DD') from dimension_usage_daily order by day desc limit 1) as "lastDay"`);
  return rows[0] ?? { firstDay: null, lastDay: null };
}

/** The keys of each dimension in the fleet, for filters and chart legends. */
export async function usageDimensionKeys(db: Db): Promise<Record<UsageDimension, string[]>> {
  const rows = await db.execute<{ dimension: UsageDimension; key: string }>(sql`
    select 'region' as dimension, region as key from (select distinct region from meters) r
    union all select 'segment', unnest(enum_range(null::segment))::text
    union all select 'tariff', id from tariffs
    order by 1, 2`);
  const keys: Record<UsageDimension, string[]> = { region: [], segment: [], tariff: [] };
  for (const row of rows) keys[row.dimension].push(row.key);
  return keys;
}
