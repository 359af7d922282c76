import 'server-only';
import type { Sql } from '@meterops/db/client';
import {
  customerUsageDay,
  customerUsagePeriods,
  findCustomerMeter,
  usagePeriod,
  type CustomerMeter,
  type UsageInterval,
  type UsagePeriodRow,
} from '@meterops/db/queries/usage';
import { addDays, localDayBounds } from '@meterops/domain/time';
import { sumDecimals } from '../../lib/decimal';
import type { UsageSelection, UsageView } from '../../lib/usage-params';
import { archivedReadings, archivedMonths } from '../archive';

type ReportStatus = 'final' | 'provisional' | 'partly-final' | 'no-data';

interface UsageTotals {
  /** Exact kWh of everything received in the period. */
  kwh: string;
  status: ReportStatus;
  /** Days with data, and how many of them are final. */
  days: number;
  finalDays: number;
  expected: number;
  estimated: number;
  edited: number;
  /** Expected intervals with no value yet. */
  missing: number;
  /** When the provisional numbers were last computed (null when none is provisional). */
  provisionalAsOf: Date | null;
  /** When the final numbers were finalized (null when none is final). */
  finalAsOf: Date | null;
}

export type UsageReport = {
  meter: Pick<
    CustomerMeter,
    'id' | 'region' | 'segment' | 'tariffName' | 'intervalMinutes' | 'timeZone' | 'status'
  >;
  view: UsageView;
  day: string;
  from: string;
  to: string;
  /** A day in the previous and the next period, for stepping through. */
  previousDay: string;
  nextDay: string;
  /**
   * `YYYY-MM` months of the period whose raw readings were moved to the archive. Day and month totals
   * still come from the aggregates in Postgres; a day's intervals are read from the archive.
   */
  archivedMonths: string[];
  totals: UsageTotals;
} & ({ kind: 'intervals'; intervals: UsageInterval[] } | { kind: 'periods'; periods: UsagePeriodRow[] });

function overallStatus(days: number, finalDays: number): ReportStatus {
  if (days === 0) return 'no-data';
  if (finalDays === days) return 'final';
  return finalDays === 0 ? 'provisional' : 'partly-final';
}

function maxDate(dates: (Date | null)[]): Date | null {
  return dates.reduce<Date | null>(
    (max, date) => (date !== null && (max === null || date > max) ? date : max),
    null,
  );
}

function stepDay(view: UsageView, from: string, to: string, direction: -1 | 1): string {
  if (view === 'year') return `${Number(from.slice(0, 4)) + direction}-01-01`;
  if (view === 'month') return direction === -1 ? `${addDays(from, -1).slice(0, 7)}-01` : addDays(to, 1);
  return direction === -1 ? addDays(from, -1) : addDays(to, 1);
}

/**
 * The customer's usage for one meter and view. The customer id comes from the session; a meter that is
 * not the customer's gives null, the same answer as a meter that does not exist.
 */
export async function loadUsageReport(
  sql: Sql,
  params: { customerId: string; selection: UsageSelection },
): Promise<UsageReport | null> {
  const { customerId, selection } = params;
  const meter = await findCustomerMeter(sql, { customerId, meterId: selection.meterId });
  if (meter === null) return null;
  const { from, to } = usagePeriod(selection.view, selection.day);
  const span = {
    from: new Date(localDayBounds(from, meter.timeZone).startMs),
    to: new Date(localDayBounds(to, meter.timeZone).endMs),
  };
  const base = {
    meter: {
      id: meter.id,
      region: meter.region,
      segment: meter.segment,
      tariffName: meter.tariffName,
      intervalMinutes: meter.intervalMinutes,
      timeZone: meter.timeZone,
      status: meter.status,
    },
    view: selection.view,
    day: selection.day,
    from,
    to,
    previousDay: stepDay(selection.view, from, to, -1),
    nextDay: stepDay(selection.view, from, to, 1),
  };

  if (selection.view === 'day') {
    const archived = await archivedReadings(sql, { meterId: meter.id, ...span });
    const { intervals, aggregate } = await customerUsageDay(sql, {
      customerId,
      meter,
      day: selection.day,
      archivedReadings: archived.readings,
    });
    const present = intervals.filter((interval) => interval.kwh !== null);
    const final = aggregate?.status === 'final';
    const days = present.length > 0 || aggregate !== null ? 1 : 0;
    return {
      ...base,
      archivedMonths: archived.months,
      kind: 'intervals',
      intervals,
      totals: {
        kwh: sumDecimals(present.map((interval) => interval.kwh ?? '0')),
        status: overallStatus(days, final ? 1 : 0),
        days,
        finalDays: final ? 1 : 0,
        expected: intervals.length,
        estimated: present.filter((interval) => interval.quality === 'estimated').length,
        edited: present.filter((interval) => interval.quality === 'edited').length,
        missing: intervals.length - present.length,
        provisionalAsOf: aggregate !== null && !final ? aggregate.computedAt : null,
        finalAsOf: final ? (aggregate.finalizedAt ?? aggregate.computedAt) : null,
      },
    };
  }

  const periods = await customerUsagePeriods(sql, {
    customerId,
    meterId: meter.id,
    granularity: selection.view,
    from,
    to,
  });
  const withData = periods.filter((period) => period.kwh !== null);
  const days = withData.reduce((sum, period) => sum + period.days, 0);
  const finalDays = withData.reduce((sum, period) => sum + period.finalDays, 0);
  const expected = withData.reduce((sum, period) => sum + period.expected, 0);
  const received = withData.reduce(
    (sum, period) => sum + period.actual + period.estimated + period.edited,
    0,
  );
  return {
    ...base,
    archivedMonths: [...(await archivedMonths(sql, span))],
    kind: 'periods',
    periods,
    totals: {
      kwh: sumDecimals(withData.map((period) => period.kwh ?? '0')),
      status: overallStatus(days, finalDays),
      days,
      finalDays,
      expected,
      estimated: withData.reduce((sum, period) => sum + period.estimated, 0),
      edited: withData.reduce((sum, period) => sum + period.edited, 0),
      missing: Math.max(0, expected - received),
      provisionalAsOf: maxDate(
        withData.filter((period) => period.status !== 'final').map((period) => period.computedAt),
      ),
      finalAsOf: maxDate(withData.map((period) => period.finalizedAt)),
    },
  };
}
