/**
 * An end customer's own usage. Every function takes the customer id from the signed-in session and puts
 * it in the WHERE of every statement, beside the meter id the customer asked for: a meter of another
 * customer is simply not found, whatever id is sent.
 */
import { addDays, intervalStartsOfLocalDay, isoWeekday, localDayBounds } from '@meterops/domain/time';
import type { Sql } from '../client';

export type UsageGranularity = 'day' | 'week' | 'month' | 'year';
export type AggregateStatus = 'provisional' | 'final';
export type ReadingQuality = 'actual' | 'estimated' | 'edited';

export interface CustomerMeter {
  id: string;
  region: string;
  segment: 'residential' | 'commercial';
  tariffId: string;
  tariffName: string;
  intervalMinutes: number;
  timeZone: string;
  status: 'active' | 'inactive' | 'removed';
  installedAt: Date;
  removedAt: Date | null;
  /** Newest local day with a daily aggregate; null before any data arrived. */
  lastDay: string | null;
}

export interface CustomerProfile {
  id: string;
  name: string;
  meters: CustomerMeter[];
}

/** The customer and their meters, active ones first; null when the customer does not exist. */
export async function getCustomerProfile(
  sql: Sql,
  params: { customerId: string },
): Promise<CustomerProfile | null> {
  const [customer] = await sql<{ id: string; name: string }[]>`
    select id, name from customers where id = ${params.customerId}`;
  if (customer === undefined) return null;
  const meters = await sql<CustomerMeter[]>`
    select m.id, m.region, m.segment, m.tariff_id as "tariffId", t.name as "tariffName",
           m.interval_minutes as "intervalMinutes", m.time_zone as "timeZone", m.status,
           m.installed_at as "installedAt", m.removed_at as "removedAt",
           (select to_char(max(u.day), 'YYYY-MM-DD') from meter_usage_daily u where u.meter_id = m.id) as "lastDay"
    from meters m join tariffs t on t.id = m.tariff_id
    where m.customer_id = ${params.customerId}
    order by m.status = 'active' desc, m.id`;
  return { ...customer, meters };
}

/** One meter of the customer, or null when the customer has no meter with that id. */
export async function findCustomerMeter(
  sql: Sql,
  params: { customerId: string; meterId: string },
): Promise<CustomerMeter | null> {
  const [meter] = await sql<CustomerMeter[]>`
    select m.id, m.region, m.segment, m.tariff_id as "tariffId", t.name as "tariffName",
           m.interval_minutes as "intervalMinutes", m.time_zone as "timeZone", m.status,
           m.installed_at as "installedAt", m.removed_at as "removedAt",
           (select to_char(max(u.day), 'YYYY-MM-DD') from meter_usage_daily u where u.meter_id = m.id) as "lastDay"
    from meters m join tariffs t on t.id = m.tariff_id
    where m.id = ${params.meterId} and m.customer_id = ${params.customerId}`;
  return meter ?? null;
}

/** The local days a view covers: the day itself, its ISO week (Monday to Sunday), its month or its year. */
export function usagePeriod(granularity: UsageGranularity, day: string): { from: string; to: string } {
  switch (granularity) {
    case 'day':
      return { from: day, to: day };
    case 'week': {
      const from = addDays(day, 1 - isoWeekday(day));
      return { from, to: addDays(from, 6) };
    }
    case 'month': {
      const from = `${day.slice(0, 7)}-01`;
      const next = addDays(from, 32);
      return { from, to: addDays(`${next.slice(0, 7)}-01`, -1) };
    }
    case 'year':
      return { from: `${day.slice(0, 4)}-01-01`, to: `${day.slice(0, 4)}-12-31` };
  }
}

/** One bar of a week, month or year view: a local day, or a month of local days. */
export interface UsagePeriodRow {
  /** `YYYY-MM-DD`: the day, or the first day of the month. */
  period: string;
  /** Exact decimal kWh; null when nothing has been received for the period yet. */
  kwh: string | null;
  /** Final only when every day in it is final; null without data. */
  status: AggregateStatus | null;
  /** Days of the period with data, and how many of them are final (months); 1/0 for a day. */
  days: number;
  finalDays: number;
  expected: number;
  actual: number;
  estimated: number;
  edited: number;
  /** When the newest of its numbers was computed (speed layer or batch). */
  computedAt: Date | null;
  /** When its final days were last finalized; null while none is. */
  finalizedAt: Date | null;
}

/** One interval of a day view. */
export interface UsageInterval {
  intervalStart: Date;
  /** Null for an interval the meter has not sent yet (and nothing estimated it). */
  kwh: string | null;
  quality: ReadingQuality | null;
  estimationMethod: string | null;
}

export interface DayAggregate {
  kwh: string;
  status: AggregateStatus;
  expected: number;
  actual: number;
  estimated: number;
  edited: number;
  computedAt: Date;
  finalizedAt: Date | null;
}

interface RawPeriodRow {
  period: string;
  kwh: string;
  days: number;
  finalDays: number;
  expected: number;
  actual: number;
  estimated: number;
  edited: number;
  computedAt: Date;
  finalizedAt: Date | null;
}

/**
 * Daily rows (week, month) or monthly sums of daily rows (year) of the customer's meter, one entry for
 * every day or month of the period, with null kWh where nothing has arrived.
 */
export async function customerUsagePeriods(
  sql: Sql,
  params: {
    customerId: string;
    meterId: string;
    granularity: Exclude<UsageGranularity, 'day'>;
    from: string;
    to: string;
  },
): Promise<UsagePeriodRow[]> {
  const { customerId, meterId, from, to } = params;
  const byMonth = params.granularity === 'year';
  const rows = await sql<RawPeriodRow[]>`
    select ${byMonth ? sql`to_char(date_trunc('month', u.day), 'YYYY-MM-DD')` : sql`to_char(u.day, 'YYYY-MM-DD')`} as period,
           sum(u.kwh)::text as kwh, count(*)::int as days,
           (count(*) filter (where u.status = 'final'))::int as "finalDays",
           sum(u.expected_intervals)::int as expected, sum(u.actual_intervals)::int as actual,
           sum(u.estimated_intervals)::int as estimated, sum(u.edited_intervals)::int as edited,
           max(u.computed_at) as "computedAt", max(u.finalized_at) filter (where u.status = 'final') as "finalizedAt"
    from meters m
    join meter_usage_daily u on u.meter_id = m.id
    where m.id = ${meterId} and m.customer_id = ${customerId}
      and u.day between ${from}::date and ${to}::date
    group by 1
    order by 1`;
  const found = new Map(rows.map((row) => [row.period, row]));
  const periods: string[] = [];
  if (byMonth) {
    for (let month = 1; month <= 12; month++)
      periods.push(`${from.slice(0, 4)}-${String(month).padStart(2, '0')}-01`);
  } else {
    for (let day = from; day <= to; day = addDays(day, 1)) periods.push(day);
  }
  return periods.map((period) => {
    const row = found.get(period);
    if (row === undefined) {
      return {
        period,
        kwh: null,
        status: null,
        days: 0,
        finalDays: 0,
        expected: 0,
        actual: 0,
        estimated: 0,
        edited: 0,
        computedAt: null,
        finalizedAt: null,
      };
    }
    return { ...row, status: row.finalDays === row.days ? 'final' : 'provisional' };
  });
}

/**
 * The intervals of one local day of the customer's meter, every expected interval once (missing ones
 * with null kWh), and the day's aggregate row when there is one. `archivedReadings` are the day's
 * readings from archived months (Postgres no longer holds them); the caller has already checked the
 * meter is the customer's.
 */
export async function customerUsageDay(
  sql: Sql,
  params: {
    customerId: string;
    meter: Pick<CustomerMeter, 'id' | 'timeZone' | 'intervalMinutes'>;
    day: string;
    archivedReadings?: {
      intervalStart: Date;
      kwh: string;
      quality: ReadingQuality;
      estimationMethod: string | null;
    }[];
  },
): Promise<{ intervals: UsageInterval[]; aggregate: DayAggregate | null }> {
  const { customerId, meter, day } = params;
  const bounds = localDayBounds(day, meter.timeZone);
  const [readings, aggregates] = await Promise.all([
    sql<{ intervalStart: Date; kwh: string; quality: ReadingQuality; estimationMethod: string | null }[]>`
      select r.interval_start as "intervalStart", r.kwh::text as kwh, r.quality, r.estimation_method as "estimationMethod"
      from meters m
      join readings r on r.meter_id = m.id
      where m.id = ${meter.id} and m.customer_id = ${customerId}
        and r.interval_start >= ${new Date(bounds.startMs)} and r.interval_start < ${new Date(bounds.endMs)}
      order by r.interval_start`,
    sql<DayAggregate[]>`
      select u.kwh::text as kwh, u.status, u.expected_intervals as expected, u.actual_intervals as actual,
             u.estimated_intervals as estimated, u.edited_intervals as edited,
             u.computed_at as "computedAt", u.finalized_at as "finalizedAt"
      from meters m
      join meter_usage_daily u on u.meter_id = m.id
      where m.id = ${meter.id} and m.customer_id = ${customerId} and u.day = ${day}::date`,
  ]);
  // Postgres last: a reading that arrived after its month was archived (its partition came back) wins.
  const byStart = new Map(
    [...(params.archivedReadings ?? []), ...readings].map((reading) => [
      reading.intervalStart.getTime(),
      reading,
    ]),
  );
  const starts = new Set(intervalStartsOfLocalDay(day, meter.timeZone, meter.intervalMinutes));
  // A reading off the grid (a meter whose interval length changed) is still shown.
  for (const at of byStart.keys()) starts.add(at);
  const intervals = [...starts]
    .sort((a, b) => a - b)
    .map((start): UsageInterval => {
      const reading = byStart.get(start);
      return reading ?? { intervalStart: new Date(start), kwh: null, quality: null, estimationMethod: null };
    });
  return { intervals, aggregate: aggregates[0] ?? null };
}

/** One meter's typical use over a period, for comparing homes of a region and segment. */
export interface MeterDailyKwh {
  meterId: string;
  region: string;
  segment: 'residential' | 'commercial';
  /** kWh per hour covered by intervals × 24, so gaps and interval lengths do not skew it. */
  dailyKwh: number;
}

/**
 * Every meter's kWh per day over [from, to] with its region and segment, or only those of one region and
 * segment: the population the portal compares a home with. Not customer-facing by itself (it names no
 * customer and carries no customer's rows beyond a meter id); the web app keeps it in memory per period
 * and group and answers a customer only with their own meter's percentile and the group's quartiles.
 */
export async function dailyKwhByMeter(
  sql: Sql,
  params: { from: string; to: string; group?: { region: string; segment: 'residential' | 'commercial' } },
): Promise<MeterDailyKwh[]> {
  const group = params.group;
  return sql<MeterDailyKwh[]>`
    select m.id as "meterId", m.region, m.segment, x.daily_kwh as "dailyKwh"
    from (
      select u.meter_id,
             sum(u.kwh)::float8 * 24
               / nullif(sum((u.actual_intervals + u.estimated_intervals + u.edited_intervals) * mi.interval_minutes) / 60.0, 0)
               as daily_kwh
      from meter_usage_daily u
      join meters mi on mi.id = u.meter_id
      where u.day between ${params.from}::date and ${params.to}::date
        ${group === undefined ? sql`` : sql`and mi.region = ${group.region} and mi.segment = ${group.segment}`}
      group by u.meter_id
    ) x
    join meters m on m.id = x.meter_id
    where x.daily_kwh is not null`;
}
