'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { EChart } from '../../../components/charts/EChart';
import { baseOption, chartColors, type ChartOption } from '../../../components/charts/echarts';
import { DayRangeControls, resolveDayRange } from '../../../components/ops/DayRangeControls';
import { AggregateBadge } from '../../../components/ui/Badges';
import { Pagination } from '../../../components/ui/Pagination';
import { Panel } from '../../../components/ui/Panel';
import { Stat, StatGrid } from '../../../components/ui/Stat';
import { EmptyState, QueryView } from '../../../components/ui/States';
import { countsByDay, missingOf, sumCounts } from '../../../lib/completeness';
import { formatCount, formatDay, formatKey, formatShare, formatUtc, sharePercent } from '../../../lib/format';
import { COMPLETENESS_MAX_DAYS, daySchema, regionSchema } from '../../../lib/ops-params';
import { useUrlState } from '../../../lib/use-url-state';
import { useTRPC, type RouterOutputs } from '../../../trpc/client';

const REFRESH_MS = 60_000;
const DEFAULT_DAYS = 14;

const parseState = (params: URLSearchParams) => ({
  from: daySchema.safeParse(params.get('from')).data ?? null,
  to: daySchema.safeParse(params.get('to')).data ?? null,
  region: regionSchema.safeParse(params.get('region')).data ?? null,
  day: daySchema.safeParse(params.get('day')).data ?? null,
  page: Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1),
});

type Overview = RouterOutputs['completeness']['overview'];

const sourceText: Record<RouterOutputs['completeness']['timeliness']['source'], string> = {
  counts: 'From the arrival counts kept per meter and day as readings came in.',
  'so-far': 'Everything received so far; the deadlines have not passed.',
  readings: 'Counted from the readings: some meters’ days have no arrival counts yet.',
};

export function CompletenessDashboard() {
  const [state, setState] = useUrlState(parseState);
  const trpc = useTRPC();
  const filters = useQuery(trpc.consumption.filters.queryOptions(undefined, { staleTime: REFRESH_MS }));
  const range = resolveDayRange(
    state,
    filters.data ? filters.data.lastDay : undefined,
    DEFAULT_DAYS,
    COMPLETENESS_MAX_DAYS,
  );
  const overview = useQuery(
    trpc.completeness.overview.queryOptions(range ?? { from: '', to: '' }, {
      enabled: range !== null,
      refetchInterval: REFRESH_MS,
      placeholderData: keepPreviousData,
    }),
  );

  return (
    <div className="dashboard">
      <div className="toolbar">
        <DayRangeControls
          range={range}
          lastDay={filters.data?.lastDay ?? null}
          maxDays={COMPLETENESS_MAX_DAYS}
          onChange={(next) => setState({ ...next, day: null, page: null })}
        />
        <p className="toolbar__meta">
          Days are each meter&apos;s local calendar day · refreshes every minute
        </p>
      </div>

      {range === null ? (
        <QueryView query={filters} loadingLabel="Finding the days with data…" height={480}>
          {() => null}
        </QueryView>
      ) : (
        <QueryView
          query={overview}
          loadingLabel="Counting intervals…"
          height={480}
          isEmpty={(data) => data.cells.length === 0}
          empty={
            <EmptyState title="No aggregates in this range" height={240}>
              No meter reported a reading for these days.
              {filters.data?.firstDay
                ? ` Data exists from ${filters.data.firstDay} to ${filters.data.lastDay ?? ''}.`
                : ' No day has data yet.'}
            </EmptyState>
          }
        >
          {(data) => (
            <OverviewView
              data={data}
              selected={state.region && state.day ? { region: state.region, day: state.day } : null}
              trendRegion={state.region}
              onSelect={(region, day) => setState({ region, day, page: null })}
              onTrendRegion={(region) => setState({ region, day: null, page: null })}
            />
          )}
        </QueryView>
      )}

      {state.region && state.day ? (
        <DrillDown
          region={state.region}
          day={state.day}
          page={state.page}
          onPage={(page) => setState({ page: page === 1 ? null : String(page) })}
          onClose={() => setState({ day: null, page: null })}
          cell={
            overview.data?.cells.find((cell) => cell.region === state.region && cell.day === state.day) ??
            null
          }
        />
      ) : null}
    </div>
  );
}

function OverviewView({
  data,
  selected,
  trendRegion,
  onSelect,
  onTrendRegion,
}: {
  data: Overview;
  selected: { region: string; day: string } | null;
  trendRegion: string | null;
  onSelect: (region: string, day: string) => void;
  onTrendRegion: (region: string | null) => void;
}) {
  const total = sumCounts(data.cells);
  const complete = data.cells.filter(
    (cell) => missingOf(cell) === 0 && cell.actual + cell.edited >= cell.expected,
  ).length;
  const worst = [...data.cells]
    .filter((cell) => cell.expected > 0)
    .sort((a, b) => a.actual / a.expected - b.actual / b.expected)[0];
  return (
    <>
      <StatGrid label="Completeness in the range">
        <Stat
          name="received"
          label="Received"
          value={formatShare(total.actual, total.expected)}
          detail={`${formatCount(total.actual)} of ${formatCount(total.expected)} expected intervals`}
          tone={
            total.actual >= total.expected
              ? 'good'
              : total.actual / Math.max(1, total.expected) > 0.99
                ? 'neutral'
                : 'warn'
          }
        />
        <Stat
          name="estimated"
          label="Estimated · edited"
          value={`${formatCount(total.estimated)} · ${formatCount(total.edited)}`}
          detail={`${formatShare(total.estimated + total.edited, total.expected)} of expected`}
        />
        <Stat
          name="missing"
          label="Missing"
          value={formatCount(missingOf(total))}
          detail={`${formatShare(missingOf(total), total.expected)} of expected intervals`}
          tone={missingOf(total) === 0 ? 'good' : 'warn'}
        />
        <Stat
          name="worst"
          label="Lowest region-day"
          value={worst ? formatShare(worst.actual, worst.expected) : '–'}
          detail={
            worst
              ? `${formatKey(worst.region)}, ${formatDay(worst.day)} · ${complete} of ${data.cells.length} region-days complete`
              : 'No data'
          }
        />
      </StatGrid>

      <Panel
        title="Received intervals by day and region"
        description="Share of the intervals the region's active meters should send that were received as actual readings. Select a cell for the meters behind it."
        name="heatmap"
      >
        <Heatmap data={data} selected={selected} onSelect={onSelect} />
        <details className="disclosure">
          <summary>Show as a table</summary>
          <HeatmapTable data={data} selected={selected} onSelect={onSelect} />
        </details>
      </Panel>

      <Panel
        title="Actual, estimated and missing"
        description="Expected intervals per day by what became of them."
        name="breakdown"
        actions={
          <div className="control">
            <label htmlFor="breakdown-region">Region</label>
            <select
              id="breakdown-region"
              value={trendRegion ?? ''}
              onChange={(event) => onTrendRegion(event.target.value === '' ? null : event.target.value)}
            >
              <option value="">All regions</option>
              {data.regions.map((region) => (
                <option key={region} value={region}>
                  {formatKey(region)}
                </option>
              ))}
            </select>
          </div>
        }
      >
        <Breakdown data={data} region={trendRegion} />
      </Panel>
    </>
  );
}

function Heatmap({
  data,
  selected,
  onSelect,
}: {
  data: Overview;
  selected: { region: string; day: string } | null;
  onSelect: (region: string, day: string) => void;
}) {
  const option = useMemo<ChartOption>(() => {
    const cellByKey = new Map(data.cells.map((cell) => [`${cell.region}\u0000${cell.day}`, cell]));
    const points = data.regions.flatMap((region, y) =>
      data.days.map((day, x) => {
        const cell = cellByKey.get(`${region}\u0000${day}`);
        const share = cell ? sharePercent(cell.actual, cell.expected) : null;
        const isSelected = selected?.region === region && selected.day === day;
        return {
          // -1 marks a day without an aggregate row: drawn grey, labelled "–".
          value: [x, y, share ?? -1],
          itemStyle: isSelected ? { borderColor: '#12324f', borderWidth: 3 } : undefined,
        };
      }),
    );
    const showLabels = data.days.length <= 21;
    return {
      ...baseOption,
      legend: { show: false },
      grid: { left: 8, right: 16, top: 8, bottom: 56, containLabel: true },
      tooltip: {
        trigger: 'item',
        confine: true,
        formatter: (params) => {
          const item = Array.isArray(params) ? params[0] : params;
          const [x, y] = (item?.value as [number, number, unknown] | undefined) ?? [0, 0];
          const day = data.days[x] ?? '';
          const region = data.regions[y] ?? '';
          const cell = cellByKey.get(`${region}\u0000${day}`);
          if (!cell) return `${formatKey(region)}, ${formatDay(day)}<br/>No data`;
          return `${formatKey(region)}, ${formatDay(day)}<br/><b>${formatShare(cell.actual, cell.expected)}</b> received<br/>${formatCount(cell.actual)} of ${formatCount(cell.expected)} intervals<br/>${cell.status === 'final' ? 'Final' : 'Provisional'}, computed ${formatUtc(cell.computedAt)}`;
        },
      },
      xAxis: {
        type: 'category',
        data: data.days.map(formatDay),
        splitArea: { show: false },
        axisLabel: { hideOverlap: true },
      },
      yAxis: { type: 'category', data: data.regions.map(formatKey), inverse: true },
      visualMap: {
        type: 'piecewise',
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        itemWidth: 14,
        itemHeight: 10,
        pieces: [
          { value: -1, label: 'No data', color: '#eef1f5' },
          { lt: 90, gte: 0, label: '< 90 %', color: '#b3261e' },
          { gte: 90, lt: 98, label: '90–98 %', color: '#e8772e' },
          { gte: 98, lt: 99.5, label: '98–99.5 %', color: '#edc948' },
          { gte: 99.5, lt: 100, label: '99.5–99.9 %', color: '#a6cf6b' },
          { value: 100, label: '100 %', color: '#2e8b57' },
        ],
      },
      series: [
        {
          type: 'heatmap',
          name: 'Received',
          data: points,
          label: {
            show: showLabels,
            fontSize: 11,
            formatter: (params) => {
              const value = (params.value as [number, number, number])[2];
              if (value < 0) return '–';
              return value === 100 ? '100' : value.toFixed(1);
            },
          },
          itemStyle: { borderColor: '#ffffff', borderWidth: 1 },
          emphasis: { itemStyle: { borderColor: '#12324f', borderWidth: 2 } },
        },
      ],
    };
  }, [data, selected]);
  return (
    <EChart
      name="heatmap"
      option={option}
      height={Math.max(260, 80 + data.regions.length * 34)}
      label="Heatmap of the share of expected intervals received per day and region"
      onItemClick={({ data: item }) => {
        const [x, y] = (item as { value: [number, number] }).value;
        const day = data.days[x];
        const region = data.regions[y];
        if (day && region) onSelect(region, day);
      }}
    />
  );
}

function HeatmapTable({
  data,
  selected,
  onSelect,
}: {
  data: Overview;
  selected: { region: string; day: string } | null;
  onSelect: (region: string, day: string) => void;
}) {
  const cellByKey = new Map(data.cells.map((cell) => [`${cell.region}\u0000${cell.day}`, cell]));
  return (
    <div className="table-scroll">
      <table className="table table--compact" data-table="heatmap">
        <caption className="visually-hidden">Share of expected intervals received per region and day</caption>
        <thead>
          <tr>
            <th scope="col">Region</th>
            {data.days.map((day) => (
              <th key={day} scope="col" className="num">
                {formatDay(day)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {data.regions.map((region) => (
            <tr key={region} data-region={region}>
              <th scope="row">{formatKey(region)}</th>
              {data.days.map((day) => {
                const cell = cellByKey.get(`${region}\u0000${day}`);
                const isSelected = selected?.region === region && selected.day === day;
                return (
                  <td key={day} className={`num${isSelected ? ' row--selected' : ''}`} data-day={day}>
                    {cell ? (
                      <button
                        type="button"
                        className="link-button"
                        aria-pressed={isSelected}
                        onClick={() => onSelect(region, day)}
                        aria-label={`${formatKey(region)}, ${formatDay(day)}: ${formatShare(cell.actual, cell.expected)} received; show meters`}
                      >
                        {formatShare(cell.actual, cell.expected)}
                      </button>
                    ) : (
                      <span className="muted">–</span>
                    )}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Breakdown({ data, region }: { data: Overview; region: string | null }) {
  const rows = useMemo(() => countsByDay(data.cells, data.days, region), [data, region]);
  const option = useMemo<ChartOption>(() => {
    const series = (name: string, color: string, pick: (row: (typeof rows)[number]) => number) => ({
      name,
      type: 'bar' as const,
      stack: 'share',
      color,
      barMaxWidth: 36,
      data: rows.map((row) => (row.hasData ? sharePercent(pick(row), row.expected) : null)),
    });
    return {
      ...baseOption,
      tooltip: {
        ...baseOption.tooltip,
        axisPointer: { type: 'shadow' },
        valueFormatter: (value) => (typeof value === 'number' ? `${value.toFixed(1)} %` : '–'),
      },
      xAxis: {
        type: 'category',
        data: rows.map((row) => formatDay(row.day)),
        axisLabel: { hideOverlap: true },
      },
      yAxis: { type: 'value', name: '% of expected', max: 100, nameTextStyle: { align: 'left' } },
      series: [
        series('Actual', chartColors.good, (row) => row.actual),
        series('Edited', '#76b7b2', (row) => row.edited),
        series('Estimated', '#edc948', (row) => row.estimated),
        series('Missing', chartColors.bad, (row) => missingOf(row)),
      ],
    };
  }, [rows]);
  return (
    <>
      <EChart
        name="breakdown"
        option={option}
        height={280}
        label="Share of expected intervals per day that were actual, edited, estimated or missing"
      />
      <details className="disclosure">
        <summary>Show as a table</summary>
        <div className="table-scroll">
          <table className="table table--compact" data-table="breakdown">
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col" className="num">
                  Expected
                </th>
                <th scope="col" className="num">
                  Actual
                </th>
                <th scope="col" className="num">
                  Edited
                </th>
                <th scope="col" className="num">
                  Estimated
                </th>
                <th scope="col" className="num">
                  Missing
                </th>
                <th scope="col" className="num">
                  Received
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.day} data-day={row.day}>
                  <th scope="row">{formatDay(row.day)}</th>
                  <td className="num">{row.hasData ? formatCount(row.expected) : '–'}</td>
                  <td className="num">{row.hasData ? formatCount(row.actual) : '–'}</td>
                  <td className="num">{row.hasData ? formatCount(row.edited) : '–'}</td>
                  <td className="num">{row.hasData ? formatCount(row.estimated) : '–'}</td>
                  <td className="num">{row.hasData ? formatCount(missingOf(row)) : '–'}</td>
                  <td className="num">{row.hasData ? formatShare(row.actual, row.expected) : '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </>
  );
}

function DrillDown({
  region,
  day,
  page,
  onPage,
  onClose,
  cell,
}: {
  region: string;
  day: string;
  page: number;
  onPage: (page: number) => void;
  onClose: () => void;
  cell: Overview['cells'][number] | null;
}) {
  const trpc = useTRPC();
  const gaps = useQuery(
    trpc.completeness.meterGaps.queryOptions(
      { region, day, page },
      { placeholderData: keepPreviousData, refetchInterval: REFRESH_MS },
    ),
  );
  const timeliness = useQuery(
    trpc.completeness.timeliness.queryOptions({ region, day }, { refetchInterval: REFRESH_MS }),
  );
  return (
    <Panel
      title={
        <>
          {formatKey(region)}, {formatDay(day)} {day.slice(0, 4)}
        </>
      }
      description="The day of one region: what arrived, how quickly, and which meters are behind the gaps."
      name="drilldown"
      actions={
        <button type="button" className="button button--small" onClick={onClose}>
          Close
        </button>
      }
    >
      <StatGrid label={`${formatKey(region)} on ${day}`}>
        {cell ? (
          <>
            <Stat
              name="cell-received"
              label="Received"
              value={formatShare(cell.actual, cell.expected)}
              detail={
                <>
                  {formatCount(cell.actual)} of {formatCount(cell.expected)} ·{' '}
                  <AggregateBadge status={cell.status} computedAt={cell.computedAt} />
                </>
              }
            />
            <Stat
              name="cell-missing"
              label="Missing · estimated · edited"
              value={`${formatCount(missingOf(cell))} · ${formatCount(cell.estimated)} · ${formatCount(cell.edited)}`}
              detail={`Computed ${formatUtc(cell.computedAt)}`}
            />
          </>
        ) : (
          <Stat name="cell-received" label="Received" value="–" detail="No aggregate for this day" />
        )}
        <QueryView query={timeliness} loadingLabel="Timing arrivals…">
          {(data) => {
            const now = Date.now();
            const pending = (deadline: Date, name: string) =>
              deadline.getTime() > now
                ? ` so far; ${name} ends ${formatUtc(deadline, { seconds: false })}`
                : '';
            return (
              <>
                <Stat
                  name="by-d1"
                  label="Actual by D+1"
                  value={formatShare(data.actualByD1, data.expected)}
                  detail={`${formatCount(data.actualByD1)} of ${formatCount(data.expected)} expected${pending(data.d1Deadline, 'D+1')}`}
                />
                <Stat
                  name="by-d5"
                  label="Actual by D+5"
                  value={formatShare(data.actualByD5, data.expected)}
                  detail={
                    <>
                      {`${formatCount(data.actualByD5)} of ${formatCount(data.expected)} expected${pending(data.d5Deadline, 'D+5')}`}
                      <span className="stat__source">{sourceText[data.source]}</span>
                    </>
                  }
                />
              </>
            );
          }}
        </QueryView>
      </StatGrid>

      <h3 className="section-title">Meters with gaps</h3>
      <QueryView
        query={gaps}
        loadingLabel="Finding meters with gaps…"
        isEmpty={(data) => data.total === 0}
        empty={
          <EmptyState title="No gaps">
            Every one of the region&apos;s {gaps.data?.meters ?? 0} active meters is complete for this day.
          </EmptyState>
        }
      >
        {(data) => (
          <>
            <p className="muted small" data-summary="gaps">
              {formatCount(data.total)} of {formatCount(data.meters)} active meters have missing intervals.
            </p>
            <div className="table-scroll">
              <table className="table" data-table="meter-gaps">
                <caption className="visually-hidden">
                  Meters of the region with missing intervals on the day
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Meter</th>
                    <th scope="col">Segment</th>
                    <th scope="col">Tariff</th>
                    <th scope="col" className="num">
                      Interval
                    </th>
                    <th scope="col" className="num">
                      Expected
                    </th>
                    <th scope="col" className="num">
                      Actual
                    </th>
                    <th scope="col" className="num">
                      Estimated
                    </th>
                    <th scope="col" className="num">
                      Edited
                    </th>
                    <th scope="col" className="num">
                      Missing
                    </th>
                    <th scope="col">Status</th>
                  </tr>
                </thead>
                <tbody>
                  {data.rows.map((row) => (
                    <tr key={row.meterId} data-meter={row.meterId}>
                      <th scope="row" className="mono">
                        {row.meterId}
                      </th>
                      <td>{formatKey(row.segment)}</td>
                      <td>{row.tariffId}</td>
                      <td className="num">{row.intervalMinutes} min</td>
                      <td className="num">{formatCount(row.expected)}</td>
                      <td className="num">{formatCount(row.actual)}</td>
                      <td className="num">{formatCount(row.estimated)}</td>
                      <td className="num">{formatCount(row.edited)}</td>
                      <td className="num" data-cell="missing">
                        {formatCount(row.missing)}
                      </td>
                      <td>
                        {row.status ? (
                          <AggregateBadge status={row.status} computedAt={row.computedAt ?? undefined} />
                        ) : (
                          <span className="muted">Nothing received</span>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pagination
              page={data.page}
              pageSize={data.pageSize}
              total={data.total}
              onPage={onPage}
              label="meters"
            />
          </>
        )}
      </QueryView>
    </Panel>
  );
}
