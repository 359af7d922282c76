/**
 * Reads of one meter for outside systems (the REST API): its readings over a range, what they were at a
 * past instant, and its usage per month; and every meter's usage of one month, for billing. Meters of
 * another customer are never read when a customer is given.
 */
import type { Sql } from '../client';

export type ReadingQuality = 'actual' | 'estimated' | 'edited';

export interface MeterReading {
  intervalStart: Date;
  kwh: string;
  quality: ReadingQuality;
  estimationMethod: string | null;
  flags: string[];
  source: string;
  version: number;
  receivedAt: Date;
  revisedAt: Date | null;
  firstReceivedAt: Date;
}

/** Readings of the meter in [from, to) after `after` (exclusive), oldest first, at most `limit`. */
export async function meterReadings(
  sql: Sql,
  params: { meterId: string; from: Date; to: Date; after?: Date; limit: number },
): Promise<MeterReading[]> {
  const from = params.after !== undefined && params.after >= params.from ? params.after : params.from;
  return sql<MeterReading[]>`
    select interval_start as "intervalStart", kwh::text as kwh, quality, estimation_method as "estimationMethod",
           flags, source, version, received_at as "receivedAt", revised_at as "revisedAt",
           first_received_at as "firstReceivedAt"
    from readings
    where meter_id = ${params.meterId} and interval_start < ${params.to}
      and ${params.after !== undefined && params.after >= params.from ? sql`interval_start > ${from}` : sql`interval_start >= ${from}`}
    order by interval_start
    limit ${params.limit}`;
}

/** The first revision after `after` of each interval of the meter in [from, to): what was replaced then. */
export interface FirstRevisionAfter {
  intervalStart: Date;
  oldKwh: string | null;
  oldQuality: ReadingQuality | null;
  oldVersion: number | null;
  createdAt: Date;
}

export async function firstRevisionsAfter(
  sql: Sql,
  params: { meterId: string; from: Date; to: Date; after: Date },
): Promise<FirstRevisionAfter[]> {
  return sql<FirstRevisionAfter[]>`
    select distinct on (interval_start) interval_start as "intervalStart", old_kwh::text as "oldKwh",
           old_quality as "oldQuality", old_version as "oldVersion", created_at as "createdAt"
    from reading_revisions
    where meter_id = ${params.meterId} and interval_start >= ${params.from} and interval_start < ${params.to}
      and created_at > ${params.after}
    order by interval_start, created_at, id`;
}

/**
 * A reading as it stood at `asOf`, from the reading now and the first revision after `asOf` (which
 * names the value it replaced): null when the interval had no value then. Flags and the estimation
 * method of a replaced value are not in the history, so they are null for such a value.
 */
export function readingAsOf(
  reading: MeterReading | undefined,
  firstRevisionAfter: FirstRevisionAfter | undefined,
  asOf: Date,
): (Omit<MeterReading, 'flags'> & { flags: string[] | null }) | null {
  if (reading === undefined || reading.firstReceivedAt > asOf) return null;
  if (firstRevisionAfter !== undefined) {
    const { oldKwh, oldQuality, oldVersion } = firstRevisionAfter;
    if (oldKwh === null || oldQuality === null || oldVersion === null) return null;
    return {
      ...reading,
      kwh: oldKwh,
      quality: oldQuality,
      version: oldVersion,
      estimationMethod: null,
      flags: null,
      revisedAt: null,
      receivedAt: reading.firstReceivedAt,
    };
  }
  return reading;
}

export interface MonthUsage {
  /** `YYYY-MM`. */
  month: string;
  kwh: string;
  /** Final only when every day of the month that has data is final and every day of the month has data. */
  status: 'provisional' | 'final';
  days: number;
  finalDays: number;
  /** Days in the calendar month. */
  daysInMonth: number;
  expected: number;
  actual: number;
  estimated: number;
  edited: number;
  computedAt: Date;
  finalizedAt: Date | null;
}

type RawMonth = Omit<MonthUsage, 'status'>;

const monthColumns = (sql: Sql) => sql`
  sum(u.kwh)::text as kwh, count(*)::int as days,
  (count(*) filter (where u.status = 'final'))::int as "finalDays",
  extract(day from (date_trunc('month', min(u.day)) + interval '1 month - 1 day'))::int as "daysInMonth",
  sum(u.expected_intervals)::int as expected, sum(u.actual_intervals)::int as actual,
  sum(u.estimated_intervals)::int as estimated, sum(u.edited_intervals)::int as edited,
  max(u.computed_at) as "computedAt", max(u.finalized_at) filter (where u.status = 'final') as "finalizedAt"`;

const withStatus = (row: RawMonth): MonthUsage => ({
  ...row,
  status: row.finalDays === row.days && row.days === row.daysInMonth ? 'final' : 'provisional',
});

/** The meter's months from `fromMonth` to `toMonth` (`YYYY-MM`, inclusive) that have any daily row. */
export async function meterUsageMonths(
  sql: Sql,
  params: { meterId: string; fromMonth: string; toMonth: string },
): Promise<MonthUsage[]> {
  const rows = await sql<RawMonth[]>`
    select to_char(date_trunc('month', u.day), 'YYYY-MM') as month, ${monthColumns(sql)}
    from meter_usage_daily u
    where u.meter_id = ${params.meterId}
      and u.day >= ${`${params.fromMonth}-01`}::date
      and u.day < (${`${params.toMonth}-01`}::date + interval '1 month')
    group by 1
    order by 1`;
  return rows.map(withStatus);
}

export interface MeterMonthUsage extends MonthUsage {
  meterId: string;
  customerId: string;
}

/**
 * Every meter's usage of one month (`YYYY-MM`), by meter id after `afterMeterId`, at most `limit`;
 * only final ones with `status: 'final'`, and only the customer's meters with `customerId`.
 */
export async function monthlyUsageByMeter(
  sql: Sql,
  params: {
    month: string;
    status?: 'provisional' | 'final';
    customerId?: string;
    afterMeterId?: string;
    limit: number;
  },
): Promise<MeterMonthUsage[]> {
  const first = `${params.month}-01`;
  const rows = await sql<(RawMonth & { meterId: string; customerId: string })[]>`
    select u.meter_id as "meterId", m.customer_id as "customerId", ${params.month} as month, ${monthColumns(sql)}
    from meter_usage_daily u
    join meters m on m.id = u.meter_id
    where u.day >= ${first}::date and u.day < (${first}::date + interval '1 month')
      ${params.customerId === undefined ? sql`` : sql`and m.customer_id = ${params.customerId}`}
      ${params.afterMeterId === undefined ? sql`` : sql`and u.meter_id > ${params.afterMeterId}`}
    group by u.meter_id, m.customer_id
    ${
      params.status === 'final'
        ? sql`having count(*) filter (where u.status = 'final') = extract(day from (${first}::date + interval '1 month - 1 day'))`
        : params.status === 'provisional'
          ? sql`having count(*) filter (where u.status = 'final') < extract(day from (${first}::date + interval '1 month - 1 day'))`
          : sql``
    }
    order by u.meter_id
    limit ${params.limit}`;
  return rows.map((row) => ({ ...withStatus(row), meterId: row.meterId, customerId: row.customerId }));
}

export interface MeterDayUsage {
  meterId: string;
  customerId: string;
  day: string;
  kwh: string;
  status: 'provisional' | 'final';
  expected: number;
  actual: number;
  estimated: number;
  edited: number;
  computedAt: Date;
  finalizedAt: Date | null;
  finalVersion: number;
}

/**
 * Every meter's usage of one local day, by meter id after `afterMeterId`, at most `limit`; only final
 * days with `status: 'final'`, and only the customer's meters with `customerId`. What a `day.finalized`
 * event's `usagePath` serves.
 */
export async function dailyUsageByMeter(
  sql: Sql,
  params: {
    day: string;
    status?: 'provisional' | 'final';
    customerId?: string;
    afterMeterId?: string;
    limit: number;
  },
): Promise<MeterDayUsage[]> {
  return sql<MeterDayUsage[]>`
    select u.meter_id as "meterId", m.customer_id as "customerId", to_char(u.day, 'YYYY-MM-DD') as day,
           u.kwh::text as kwh, u.status, u.expected_intervals as expected, u.actual_intervals as actual,
           u.estimated_intervals as estimated, u.edited_intervals as edited, u.computed_at as "computedAt",
           u.finalized_at as "finalizedAt", u.final_version as "finalVersion"
    from meter_usage_daily u
    join meters m on m.id = u.meter_id
    where u.day = ${params.day}::date
      ${params.status === undefined ? sql`` : sql`and u.status = ${params.status}`}
      ${params.customerId === undefined ? sql`` : sql`and m.customer_id = ${params.customerId}`}
      ${params.afterMeterId === undefined ? sql`` : sql`and u.meter_id > ${params.afterMeterId}`}
    order by u.meter_id
    limit ${params.limit}`;
}

/** Whether the meter exists (and, with `customerId`, is that customer's). */
export async function meterVisible(
  sql: Sql,
  params: { meterId: string; customerId: string | null },
): Promise<{ id: string; timeZone: string; intervalMinutes: number } | null> {
  const [row] = await sql<{ id: string; timeZone: string; intervalMinutes: number }[]>`
    select id, time_zone as "timeZone", interval_minutes as "intervalMinutes" from meters
    where id = ${params.meterId}
      ${params.customerId === null ? sql`` : sql`and customer_id = ${params.customerId}`}`;
  return row ?? null;
}
