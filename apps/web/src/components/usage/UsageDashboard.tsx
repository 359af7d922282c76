'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useMemo, useState, type FormEvent } from 'react';
import { EChart } from '../charts/EChart';
import { ArchivedNote } from '../ui/Badges';
import { Panel } from '../ui/Panel';
import { Segmented } from '../ui/Segmented';
import { Stat, StatGrid } from '../ui/Stat';
import { EmptyState, ErrorState, LoadingState, QueryView } from '../ui/States';
import { formatCount, formatDecimal, formatUtc } from '../../lib/format';
import {
  formatLocalInterval,
  formatLocalTime,
  formatLongDay,
  formatLongMonth,
  formatShortDay,
  zoneLabel,
} from '../../lib/local-time';
import { daySchema, meterIdSchema } from '../../lib/ops-params';
import { usageViewLabels, usageViews, usageViewSchema, type UsageView } from '../../lib/usage-params';
import { useUrlState } from '../../lib/use-url-state';
import { useTRPC, type RouterOutputs } from '../../trpc/client';
import { QualityBadge, StatusNote } from './UsageBadges';
import { intervalBarOption, periodBarOption } from './usage-chart';
import { MonthOutlook } from './MonthOutlook';
import { SimilarHomes } from './SimilarHomes';

type Report = RouterOutputs['usage']['report'];
type MeterInfo = RouterOutputs['usage']['meters']['meters'][number];

const parseState = (params: URLSearchParams) => ({
  meter: meterIdSchema.safeParse(params.get('meter')).data ?? null,
  view: usageViewSchema.catch('week').parse(params.get('view') ?? undefined),
  day: daySchema.safeParse(params.get('day')).data ?? null,
});

const viewOptions = usageViews.map((view) => ({ value: view, label: usageViewLabels[view] }));

const stepNames: Record<UsageView, string> = { day: 'day', week: 'week', month: 'month', year: 'year' };

function periodTitle(report: Pick<Report, 'view' | 'from' | 'to'>): string {
  switch (report.view) {
    case 'day':
      return formatLongDay(report.from);
    case 'week':
      return `Week of ${formatShortDay(report.from)} – ${formatShortDay(report.to)}`;
    case 'month':
      return formatLongMonth(report.from);
    case 'year':
      return report.from.slice(0, 4);
  }
}

function dayLabel(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString('en-GB', {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    timeZone: 'UTC',
  });
}

function monthLabel(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString('en-GB', { month: 'short', timeZone: 'UTC' });
}

export function UsageDashboard() {
  const [state, setState] = useUrlState(parseState);
  const trpc = useTRPC();
  const profile = useQuery(trpc.usage.meters.queryOptions(undefined, { staleTime: 60_000 }));

  if (profile.data === undefined) {
    return profile.error ? (
      <ErrorState error={profile.error} onRetry={() => void profile.refetch()} />
    ) : (
      <LoadingState label="Finding your meters…" height={420} />
    );
  }
  const meters = profile.data.meters;
  if (meters.length === 0) {
    return (
      <EmptyState title="No meter is registered to your account yet">
        When one is installed, its usage appears here.
      </EmptyState>
    );
  }
  const meterId = state.meter ?? meters[0]?.id ?? '';
  const meter = meters.find((candidate) => candidate.id === meterId) ?? null;
  const day = state.day ?? meter?.lastDay ?? new Date().toISOString().slice(0, 10);

  return (
    <div className="dashboard">
      <UsageToolbar
        key={`${meterId}/${day}`}
        meters={meters}
        meterId={meterId}
        view={state.view}
        day={day}
        onChange={(patch) => setState(patch)}
      />
      <UsageReport
        meterId={meterId}
        view={state.view}
        day={day}
        meter={meter}
        onChange={(patch) => setState(patch)}
      />
    </div>
  );
}

function UsageToolbar({
  meters,
  meterId,
  view,
  day,
  onChange,
}: {
  meters: readonly MeterInfo[];
  meterId: string;
  view: UsageView;
  day: string;
  onChange: (patch: Record<string, string | null>) => void;
}) {
  const [typedDay, setTypedDay] = useState(day);
  const [dayProblem, setDayProblem] = useState<string | null>(null);
  const goTo = (event: FormEvent) => {
    event.preventDefault();
    if (!daySchema.safeParse(typedDay).success) return setDayProblem('Enter a day as YYYY-MM-DD.');
    setDayProblem(null);
    onChange({ day: typedDay });
  };
  const csvHref = `/usage/export?${new URLSearchParams({ meter: meterId, view, day }).toString()}`;
  return (
    <div className="toolbar">
      <div className="toolbar__group">
        {meters.length > 1 ? (
          <div className="control">
            <label htmlFor="usage-meter">Meter</label>
            <select
              id="usage-meter"
              value={meterId}
              onChange={(event) => onChange({ meter: event.target.value, day: null })}
            >
              {meters.map((meter) => (
                <option key={meter.id} value={meter.id}>
                  {meter.id}
                  {meter.status === 'active' ? '' : ` (${meter.status})`}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <Segmented
          label="Show"
          value={view}
          options={viewOptions}
          onChange={(next) => onChange({ view: next === 'week' ? null : next })}
        />
        <form className="toolbar__group" onSubmit={goTo} aria-label="Go to a day">
          <div className="control">
            <label htmlFor="usage-day">Day</label>
            <input
              id="usage-day"
              type="date"
              value={typedDay}
              onChange={(event) => setTypedDay(event.target.value)}
              aria-invalid={dayProblem !== null}
              aria-describedby={dayProblem ? 'usage-day-problem' : undefined}
            />
          </div>
          <button type="submit" className="button button--small">
            Show
          </button>
          {dayProblem ? (
            <p id="usage-day-problem" className="control__error" role="alert">
              {dayProblem}
            </p>
          ) : null}
        </form>
      </div>
      <a className="button button--small" href={csvHref} download>
        Download CSV
      </a>
    </div>
  );
}

function UsageReport({
  meterId,
  view,
  day,
  meter,
  onChange,
}: {
  meterId: string;
  view: UsageView;
  day: string;
  meter: MeterInfo | null;
  onChange: (patch: Record<string, string | null>) => void;
}) {
  const trpc = useTRPC();
  const selection = { meterId, view, day };
  const report = useQuery(
    trpc.usage.report.queryOptions(selection, { placeholderData: keepPreviousData, refetchInterval: 60_000 }),
  );
  // Asked once the report is there, so the two are not batched into one request that waits for the slower.
  const comparison = useQuery(
    trpc.usage.comparison.queryOptions(selection, {
      placeholderData: keepPreviousData,
      staleTime: 60_000,
      enabled: report.data !== undefined,
    }),
  );
  if (report.error && (report.data === undefined || report.data.meter.id !== meterId)) {
    return <ErrorState title="This usage cannot be shown" error={report.error} />;
  }
  return (
    <QueryView query={report} loadingLabel="Adding up your usage…" height={420}>
      {(data) => (
        <div
          className={`stack${report.isPlaceholderData ? ' is-updating' : ''}`}
          aria-busy={report.isPlaceholderData}
        >
          <div className="period-bar">
            <button
              type="button"
              className="button button--small"
              onClick={() => onChange({ day: data.previousDay })}
            >
              ← Previous {stepNames[data.view]}
            </button>
            <h2 className="period-bar__title" aria-live="polite">
              {periodTitle(data)}
            </h2>
            <button
              type="button"
              className="button button--small"
              onClick={() => onChange({ day: data.nextDay })}
            >
              Next {stepNames[data.view]} →
            </button>
          </div>
          <StatusNote
            status={data.totals.status}
            finalAsOf={data.totals.finalAsOf}
            provisionalAsOf={data.totals.provisionalAsOf}
            days={data.totals.days}
            finalDays={data.totals.finalDays}
          />
          <ArchivedNote
            months={data.archivedMonths}
            explain={(months) =>
              data.kind === 'intervals'
                ? `This day's readings (${months}) are read from the long-term archive.`
                : `The meter readings of ${months} are in the long-term archive; these totals are kept as they were.`
            }
          />
          <UsageStats report={data} />
          {data.kind === 'intervals' ? (
            <IntervalsView report={data} />
          ) : (
            <PeriodsView
              report={data}
              onOpenDay={(next) => onChange({ view: 'day', day: next })}
              onOpenMonth={(next) => onChange({ view: 'month', day: next })}
            />
          )}
          {data.view === 'year' ? null : <MonthOutlook meterId={meterId} month={data.to.slice(0, 7)} />}
          <SimilarHomes query={comparison} meter={meter} view={data.view} />
        </div>
      )}
    </QueryView>
  );
}

function UsageStats({ report }: { report: Report }) {
  const { totals } = report;
  const perDay = totals.days > 0 && report.view !== 'day' ? Number(totals.kwh) / totals.days : null;
  return (
    <StatGrid label="Your usage in this period">
      <Stat
        name="total"
        label="Total"
        value={`${formatDecimal(totals.kwh)} kWh`}
        detail={
          totals.days > 0
            ? `${formatCount(totals.days)} ${totals.days === 1 ? 'day' : 'days'} with readings`
            : 'No readings yet'
        }
      />
      {perDay !== null ? (
        <Stat
          name="per-day"
          label="Per day"
          value={`${perDay.toLocaleString('en-GB', { maximumFractionDigits: 1 })} kWh`}
          detail="Average over the days with readings"
        />
      ) : null}
      <Stat
        name="estimated"
        label="Estimated"
        value={formatCount(totals.estimated)}
        detail={
          totals.estimated === 0
            ? 'Every interval was measured'
            : 'Intervals your meter did not send; we estimated them'
        }
        tone={totals.estimated > 0 ? 'warn' : 'neutral'}
      />
      {totals.edited > 0 ? (
        <Stat
          name="corrected"
          label="Corrected"
          value={formatCount(totals.edited)}
          detail="Intervals our service team corrected"
        />
      ) : null}
      <Stat
        name="missing"
        label="Not received"
        value={formatCount(totals.missing)}
        detail={totals.missing === 0 ? 'Nothing outstanding' : 'Intervals still to come from your meter'}
      />
    </StatGrid>
  );
}

function IntervalsView({ report }: { report: Extract<Report, { kind: 'intervals' }> }) {
  const { timeZone, intervalMinutes } = report.meter;
  const rows = useMemo(
    () =>
      report.intervals.map((interval) => ({
        ...interval,
        label: formatLocalTime(interval.intervalStart, timeZone),
      })),
    [report.intervals, timeZone],
  );
  const option = useMemo(() => intervalBarOption(rows), [rows]);
  const estimated = rows.filter((row) => row.quality === 'estimated').length;
  return (
    <Panel
      title="Your usage through the day"
      description={`kWh per ${intervalMinutes}-minute interval, ${zoneLabel(timeZone)}. Estimated intervals are orange and hatched; corrected ones purple.`}
      name="usage"
    >
      <EChart
        name="usage"
        option={option}
        height={300}
        label={`kWh per interval on ${report.day}; ${estimated} estimated intervals`}
      />
      <details className="disclosure" open={rows.length <= 48}>
        <summary>Show the {rows.length} intervals as a table</summary>
        <div className="table-scroll table-scroll--tall">
          <table className="table table--compact" data-table="usage">
            <caption className="visually-hidden">kWh per interval on {report.day}</caption>
            <thead>
              <tr>
                <th scope="col">Time ({zoneLabel(timeZone)})</th>
                <th scope="col" className="num">
                  kWh
                </th>
                <th scope="col">Reading</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr
                  key={row.intervalStart.toISOString()}
                  data-interval={row.intervalStart.toISOString()}
                  data-quality={row.quality ?? 'missing'}
                >
                  <th scope="row">{formatLocalInterval(row.intervalStart, intervalMinutes, timeZone)}</th>
                  <td className="num">
                    {row.kwh === null ? <span className="muted">–</span> : formatDecimal(row.kwh)}
                  </td>
                  <td>
                    <QualityBadge quality={row.quality} method={row.estimationMethod} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </Panel>
  );
}

function PeriodsView({
  report,
  onOpenDay,
  onOpenMonth,
}: {
  report: Extract<Report, { kind: 'periods' }>;
  onOpenDay: (day: string) => void;
  onOpenMonth: (day: string) => void;
}) {
  const byMonth = report.view === 'year';
  const rows = useMemo(
    () =>
      report.periods.map((period) => ({
        ...period,
        label: byMonth ? monthLabel(period.period) : dayLabel(period.period),
      })),
    [report.periods, byMonth],
  );
  const option = useMemo(() => periodBarOption(rows), [rows]);
  return (
    <Panel
      title={byMonth ? 'Your usage by month' : 'Your usage by day'}
      description={`Final ${byMonth ? 'months' : 'days'} are solid; provisional ones striped. Select a ${byMonth ? 'month' : 'day'} in the table to see it in detail.`}
      name="usage"
    >
      <EChart
        name="usage"
        option={option}
        height={300}
        label={`kWh per ${byMonth ? 'month' : 'day'}, ${periodTitle(report)}; provisional values striped`}
      />
      <div className="table-scroll">
        <table className="table table--compact" data-table="usage">
          <caption className="visually-hidden">
            kWh per {byMonth ? 'month' : 'day'}, {periodTitle(report)}
          </caption>
          <thead>
            <tr>
              <th scope="col">{byMonth ? 'Month' : 'Day'}</th>
              <th scope="col" className="num">
                kWh
              </th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Estimated
              </th>
              <th scope="col" className="num">
                Not received
              </th>
              <th scope="col">As of</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => {
              const missing = Math.max(0, row.expected - row.actual - row.estimated - row.edited);
              const asOf = row.status === 'final' ? (row.finalizedAt ?? row.computedAt) : row.computedAt;
              return (
                <tr key={row.period} data-period={row.period} data-status={row.status ?? 'none'}>
                  <th scope="row">
                    <button
                      type="button"
                      className="link-button"
                      onClick={() => (byMonth ? onOpenMonth(row.period) : onOpenDay(row.period))}
                    >
                      {byMonth ? formatLongMonth(row.period) : dayLabel(row.period)}
                    </button>
                  </th>
                  <td className={`num${row.status === 'provisional' ? ' cell--provisional' : ''}`}>
                    {row.kwh === null ? <span className="muted">–</span> : formatDecimal(row.kwh)}
                  </td>
                  <td>
                    {row.status === null ? (
                      <span className="muted">No data</span>
                    ) : byMonth && row.status === 'provisional' && row.finalDays > 0 ? (
                      <span
                        className="badge badge--provisional"
                        title={`${row.finalDays} of ${row.days} days final`}
                      >
                        {row.finalDays}/{row.days} days final
                      </span>
                    ) : (
                      <span className={`badge badge--${row.status}`}>
                        {row.status === 'final' ? 'Final' : 'Provisional'}
                      </span>
                    )}
                  </td>
                  <td className="num">
                    {row.estimated > 0 ? (
                      <span className="quality quality--estimated">{formatCount(row.estimated)}</span>
                    ) : row.status === null ? (
                      ''
                    ) : (
                      '0'
                    )}
                  </td>
                  <td className="num">{row.status === null ? '' : formatCount(missing)}</td>
                  <td className="muted small-cell">{asOf ? formatUtc(asOf, { seconds: false }) : ''}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </Panel>
  );
}
