import 'server-only';
import { stringify } from 'csv-stringify/sync';
import type { Db, Sql } from '@meterops/db/client';
import { utcOffsetMs } from '@meterops/domain/time';
import { usageSelectionSchema } from '../../lib/usage-params';
import { readSessionToken } from '../auth/cookie';
import { validateSessionToken } from '../auth/session';
import { loadUsageReport, type UsageReport } from './report';

/** `2026-11-20T14:00:00+01:00`: the wall-clock time of the meter's zone with its offset. */
export function localIso(date: Date, timeZone: string): string {
  const offsetMs = utcOffsetMs(date.getTime(), timeZone);
  const local = new Date(date.getTime() + offsetMs).toISOString().slice(0, 19);
  const sign = offsetMs < 0 ? '-' : '+';
  const minutes = Math.abs(offsetMs) / 60_000;
  return `${local}${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

const iso = (date: Date | null) => (date === null ? '' : date.toISOString());

/** The rows of the CSV file for what the usage page shows. */
export function usageCsv(report: UsageReport): string {
  if (report.kind === 'intervals') {
    return stringify(
      report.intervals.map((interval) => [
        iso(interval.intervalStart),
        localIso(interval.intervalStart, report.meter.timeZone),
        interval.kwh ?? '',
        interval.quality ?? 'missing',
        interval.estimationMethod ?? '',
        report.totals.status === 'final' ? 'final' : 'provisional',
      ]),
      {
        header: true,
        columns: [
          'interval_start_utc',
          'interval_start_local',
          'kwh',
          'quality',
          'estimation_method',
          'day_status',
        ],
        record_delimiter: 'windows',
      },
    );
  }
  return stringify(
    report.periods.map((period) => [
      period.period,
      period.kwh ?? '',
      period.status ?? 'no data',
      period.days,
      period.finalDays,
      period.expected,
      period.actual,
      period.estimated,
      period.edited,
      Math.max(0, period.expected - period.actual - period.estimated - period.edited),
      iso(period.computedAt),
      iso(period.finalizedAt),
    ]),
    {
      header: true,
      columns: [
        report.view === 'year' ? 'month' : 'day',
        'kwh',
        'status',
        'days_with_data',
        'final_days',
        'expected_intervals',
        'measured_intervals',
        'estimated_intervals',
        'corrected_intervals',
        'missing_intervals',
        'computed_at_utc',
        'finalized_at_utc',
      ],
      record_delimiter: 'windows',
    },
  );
}

function plain(status: number, message: string): Response {
  return new Response(message, {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
  });
}

/**
 * GET /usage/export?meter=…&view=…&day=…: the period the usage page shows, as CSV. The session and role
 * are checked here (the proxy only redirects requests without a cookie), and the customer id comes from
 * the session, so another customer's meter answers 404 like one that does not exist.
 */
export async function handleUsageCsv(request: Request, deps: { db: Db; sql: Sql }): Promise<Response> {
  const token = readSessionToken(request.headers.get('cookie'));
  const validated = token === null ? null : await validateSessionToken(deps.db, token);
  if (validated === null) return plain(401, 'Sign in to download your usage.');
  const { user } = validated;
  if (user.role !== 'customer' || user.customerId === null)
    return plain(403, 'Only customers can download usage.');

  const url = new URL(request.url);
  const parsed = usageSelectionSchema.safeParse({
    meterId: url.searchParams.get('meter') ?? '',
    view: url.searchParams.get('view') ?? '',
    day: url.searchParams.get('day') ?? '',
  });
  if (!parsed.success)
    return plain(400, 'Expected meter, view (day, week, month or year) and day (YYYY-MM-DD).');

  const report = await loadUsageReport(deps.sql, { customerId: user.customerId, selection: parsed.data });
  if (report === null) return plain(404, 'You have no meter with that id.');

  const filename = `usage-${report.meter.id}-${report.view}-${report.from}${report.to === report.from ? '' : `-to-${report.to}`}.csv`;
  return new Response(usageCsv(report), {
    status: 200,
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${filename}"`,
      'cache-control': 'private, no-store',
    },
  });
}
