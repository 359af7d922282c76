'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { EChart } from '../../../components/charts/EChart';
import { DayRangeControls, resolveDayRange } from '../../../components/ops/DayRangeControls';
import { UsagePivot, type PivotCell } from '../../../components/ops/UsagePivot';
import { usageBarOption } from '../../../components/ops/usage-chart';
import { AggregateLegend } from '../../../components/ui/Badges';
import { Panel } from '../../../components/ui/Panel';
import { Segmented } from '../../../components/ui/Segmented';
import { Stat, StatGrid } from '../../../components/ui/Stat';
import { EmptyState, QueryView } from '../../../components/ui/States';
import { sumDecimals } from '../../../lib/decimal';
import {
  formatDay,
  formatDecimal,
  formatKey,
  formatKwhShort,
  formatMonth,
  formatUtc,
  formatUtcTime,
} from '../../../lib/format';
import {
  addDays,
  daySchema,
  maxUsageDays,
  periodsOf,
  regionSchema,
  usageDimensionSchema,
  usageGranularitySchema,
} from '../../../lib/ops-params';
import { useUrlState } from '../../../lib/use-url-state';
import { useTRPC, type RouterOutputs } from '../../../trpc/client';

const REFRESH_MS = 60_000;

type Dimension = 'region' | 'segment' | 'tariff';
type Granularity = 'hour' | 'day' | 'month';

const parseState = (params: URLSearchParams) => ({
  dimension: usageDimensionSchema.catch('region').parse(params.get('dimension') ?? undefined),
  granularity: usageGranularitySchema.catch('day').parse(params.get('granularity') ?? undefined),
  from: daySchema.safeParse(params.get('from')).data ?? null,
  to: daySchema.safeParse(params.get('to')).data ?? null,
  settlementDay: daySchema.safeParse(params.get('sday')).data ?? null,
  settlementRegion: regionSchema.safeParse(params.get('sregion')).data ?? null,
});

const dimensionOptions = [
  { value: 'region', label: 'Region' },
  { value: 'segment', label: 'Segment' },
  { value: 'tariff', label: 'Tariff' },
] as const satisfies readonly { value: Dimension; label: string }[];

const granularityOptions = [
  { value: 'hour', label: 'Hour' },
  { value: 'day', label: 'Day' },
  { value: 'month', label: 'Month' },
] as const satisfies readonly { value: Granularity; label: string }[];

/** How many days each granularity shows when the URL does not say. */
const defaultDays: Record<Granularity, number> = { hour: 1, day: 14, month: 365 };

type UsageRows = RouterOutputs['consumption']['byDimension']['rows'];

function periodLabel(granularity: Granularity, period: string): string {
  if (granularity === 'month') return formatMonth(period);
  if (granularity === 'day') return formatDay(period);
  return `${formatDay(period.slice(0, 10))} ${period.slice(11, 16)}`;
}

export function ConsumptionDashboard() {
  const [state, setState] = useUrlState(parseState);
  const trpc = useTRPC();
  const filters = useQuery(trpc.consumption.filters.queryOptions(undefined, { staleTime: REFRESH_MS }));
  const lastDay = filters.data ? filters.data.lastDay : undefined;
  const maxDays = maxUsageDays(state.granularity);
  const range = resolveDayRange(state, lastDay, Math.min(defaultDays[state.granularity], maxDays), maxDays);
  const usage = useQuery(
    trpc.consumption.byDimension.queryOptions(
      {
        dimension: state.dimension,
        granularity: state.granularity,
        from: range?.from ?? '',
        to: range?.to ?? '',
      },
      { enabled: range !== null, refetchInterval: REFRESH_MS, placeholderData: keepPreviousData },
    ),
  );

  return (
    <div className="dashboard">
      <div className="toolbar">
        <div className="toolbar__group">
          <Segmented
            label="By"
            value={state.dimension}
            options={dimensionOptions}
            onChange={(dimension) => setState({ dimension: dimension === 'region' ? null : dimension })}
          />
          <Segmented
            label="Per"
            value={state.granularity}
            options={granularityOptions}
            // Each granularity has its own sensible range; the old one may be too long for hours.
            onChange={(granularity) =>
              setState({ granularity: granularity === 'day' ? null : granularity, from: null, to: null })
            }
          />
        </div>
        <DayRangeControls
          range={range}
          lastDay={lastDay ?? null}
          maxDays={maxDays}
          presetDays={
            state.granularity === 'hour'
              ? [1, 3, 7]
              : state.granularity === 'day'
                ? [7, 14, 30, 90]
                : [90, 365, 730]
          }
          onChange={(next) => setState(next)}
        />
      </div>
      <AggregateLegend />

      {range === null ? (
        <QueryView query={filters} loadingLabel="Finding the days with data…" height={420}>
          {() => null}
        </QueryView>
      ) : (
        <QueryView
          query={usage}
          loadingLabel="Summing kWh…"
          height={420}
          isEmpty={(data) => data.rows.length === 0}
          empty={
            <EmptyState title="No consumption in this range" height={240}>
              {filters.data?.firstDay
                ? `Data exists from ${filters.data.firstDay} to ${filters.data.lastDay ?? ''}.`
                : 'No day has data yet.'}
            </EmptyState>
          }
        >
          {(data) => (
            <UsageView
              rows={data.rows}
              range={range}
              dimension={state.dimension}
              granularity={state.granularity}
              keys={filters.data?.keys[state.dimension] ?? []}
            />
          )}
        </QueryView>
      )}

      <SettlementPanel
        day={state.settlementDay ?? lastDay ?? null}
        region={state.settlementRegion}
        regions={filters.data?.keys.region ?? []}
        onChange={(patch) => setState(patch)}
      />
    </div>
  );
}

function UsageView({
  rows,
  range,
  dimension,
  granularity,
  keys: knownKeys,
}: {
  rows: UsageRows;
  range: { from: string; to: string };
  dimension: Dimension;
  granularity: Granularity;
  keys: readonly string[];
}) {
  const model = useMemo(() => {
    // Every period of the range, so a day without data shows as a gap rather than disappearing.
    const ids = new Set([...periodsOf(granularity, range.from, range.to), ...rows.map((row) => row.period)]);
    const periods = [...ids].sort().map((id) => ({ id, label: periodLabel(granularity, id) }));
    const present = new Set(rows.map((row) => row.key));
    const keys = [
      ...knownKeys.filter((key) => present.has(key)),
      ...[...present].filter((key) => !knownKeys.includes(key)).sort(),
    ];
    const cells = new Map<string, PivotCell>(
      rows.map((row) => [
        `${row.period}\u0000${row.key}`,
        { kwh: row.kwh, status: row.status, computedAt: row.computedAt },
      ]),
    );
    return { periods, keys, cells };
  }, [rows, range, granularity, knownKeys]);
  const option = useMemo(() => usageBarOption(model), [model]);
  const finalRows = rows.filter((row) => row.status === 'final').length;
  const latest = rows.reduce((max, row) => (row.computedAt > max ? row.computedAt : max), new Date(0));
  const oldest = rows.reduce(
    (min, row) => (row.oldestComputedAt < min ? row.oldestComputedAt : min),
    new Date(8.64e15),
  );
  const granularityText =
    granularity === 'hour' ? 'UTC hour' : granularity === 'day' ? 'local day' : 'month of local days';
  return (
    <>
      <StatGrid label="Consumption in the range">
        <Stat
          name="total-kwh"
          label="Total"
          value={`${formatDecimal(sumDecimals(rows.map((row) => row.kwh)))} kWh`}
          detail={`${model.keys.length} ${dimension === 'region' ? 'regions' : dimension === 'segment' ? 'segments' : 'tariffs'}, ${new Set(rows.map((row) => row.period)).size} of ${model.periods.length} periods with data`}
        />
        <Stat
          name="final"
          label="Final"
          value={`${finalRows} of ${rows.length}`}
          detail={
            finalRows === rows.length
              ? 'Every value is final'
              : `${rows.length - finalRows} values still provisional`
          }
          tone={finalRows === rows.length ? 'good' : 'neutral'}
        />
        <Stat
          name="computed"
          label="Computed"
          value={formatUtcTime(latest)}
          detail={`Newest ${formatUtc(latest, { seconds: false })}; oldest ${formatUtc(oldest, { seconds: false })}`}
        />
      </StatGrid>
      <Panel
        title={`kWh by ${dimension} per ${granularityText}`}
        description={
          granularity === 'hour'
            ? 'Hours are UTC, up to 7 days. Regions sum their half-hourly settlement periods; segments and tariffs read their hourly aggregates.'
            : 'Days are each meter’s local calendar day. A month is final when all its days are.'
        }
        name="usage"
      >
        <EChart
          name="usage"
          option={option}
          height={340}
          label={`Stacked kWh by ${dimension} per ${granularityText}; provisional values striped`}
        />
        <UsagePivot
          name="usage"
          caption={`kWh by ${dimension} per ${granularityText}`}
          periodHeader={granularity === 'hour' ? 'Hour (UTC)' : granularity === 'day' ? 'Day' : 'Month'}
          periods={model.periods}
          keys={model.keys}
          cells={model.cells}
        />
      </Panel>
    </>
  );
}

function SettlementPanel({
  day,
  region,
  regions,
  onChange,
}: {
  day: string | null;
  region: string | null;
  regions: readonly string[];
  onChange: (patch: Record<string, string | null>) => void;
}) {
  const trpc = useTRPC();
  const settlement = useQuery(
    trpc.consumption.settlement.queryOptions(
      { day: day ?? '', ...(region ? { region } : {}) },
      { enabled: day !== null, refetchInterval: REFRESH_MS, placeholderData: keepPreviousData },
    ),
  );
  // The day-ahead forecast of the same periods: issued the day before, summed over segments.
  const forecast = useQuery(
    trpc.consumption.forecast.queryOptions(
      { day: day ?? '', horizonDays: 1, ...(region ? { region } : {}) },
      { enabled: day !== null, refetchInterval: REFRESH_MS, placeholderData: keepPreviousData },
    ),
  );
  const model = useMemo(() => {
    const rows = settlement.data?.rows ?? [];
    const periods = Array.from({ length: 48 }, (_, index) => {
      const start = new Date(Date.parse(`${day ?? '2000-01-01'}T00:00:00Z`) + index * 30 * 60_000);
      return { id: start.toISOString(), label: formatUtcTime(start) };
    });
    const present = new Set(rows.map((row) => row.region));
    const keys = regions.filter((key) => present.has(key));
    const cells = new Map<string, PivotCell>(
      rows.map((row) => [
        `${row.periodStart.toISOString()}\u0000${row.region}`,
        { kwh: row.kwh, status: row.status, computedAt: row.computedAt },
      ]),
    );
    return { periods, keys, cells };
  }, [settlement.data, day, regions]);
  const forecastLine = useMemo(() => {
    const rows = forecast.data?.rows ?? [];
    if (rows.length === 0) return null;
    const byPeriod = new Map<string, number>();
    for (const row of rows) {
      const id = row.periodStart.toISOString();
      byPeriod.set(id, (byPeriod.get(id) ?? 0) + Number(row.kwh));
    }
    const first = rows[0];
    return {
      name: 'Forecast (day-ahead)',
      values: model.periods.map((period) => byPeriod.get(period.id) ?? null),
      total: [...byPeriod.values()].reduce((sum, kwh) => sum + kwh, 0),
      modelVersion: first?.modelVersion ?? '',
      issueDay: first?.issueDay ?? '',
    };
  }, [forecast.data, model]);
  const option = useMemo(
    () => usageBarOption({ ...model, ...(forecastLine ? { forecast: forecastLine } : {}) }),
    [model, forecastLine],
  );
  return (
    <Panel
      title="Half-hourly settlement periods"
      description="kWh per region in each UTC half hour of a day, as settlement uses them."
      name="settlement"
      actions={
        <>
          <div className="control">
            <label htmlFor="settlement-day">Day (UTC)</label>
            <input
              id="settlement-day"
              type="date"
              value={day ?? ''}
              onChange={(event) => {
                if (daySchema.safeParse(event.target.value).success) onChange({ sday: event.target.value });
              }}
            />
          </div>
          <div className="control">
            <label htmlFor="settlement-region">Region</label>
            <select
              id="settlement-region"
              value={region ?? ''}
              onChange={(event) =>
                onChange({ sregion: event.target.value === '' ? null : event.target.value })
              }
            >
              <option value="">All regions</option>
              {(region && !regions.includes(region) ? [...regions, region] : regions).map((key) => (
                <option key={key} value={key}>
                  {formatKey(key)}
                </option>
              ))}
            </select>
          </div>
          {day ? (
            <div className="day-steps" role="group" aria-label="Step the day">
              <button
                type="button"
                className="button button--small"
                onClick={() => onChange({ sday: addDays(day, -1) })}
              >
                ← Previous day
              </button>
              <button
                type="button"
                className="button button--small"
                onClick={() => onChange({ sday: addDays(day, 1) })}
              >
                Next day →
              </button>
            </div>
          ) : null}
        </>
      }
    >
      {day === null ? (
        <EmptyState title="No day with data yet" />
      ) : (
        <QueryView
          query={settlement}
          loadingLabel="Reading settlement periods…"
          height={320}
          isEmpty={(data) => data.rows.length === 0}
          empty={<EmptyState title={`No settlement periods on ${day}`} height={200} />}
        >
          {() => (
            <>
              <EChart
                name="settlement"
                option={option}
                height={300}
                label={`kWh per region in each half hour of ${day}; provisional values striped${forecastLine ? '; dashed line: day-ahead forecast' : ''}`}
              />
              <p className="footnote" data-forecast={forecastLine ? 'shown' : 'none'}>
                {forecastLine
                  ? `Dashed line: forecast, not measured — the day-ahead forecast issued ${forecastLine.issueDay} (model ${forecastLine.modelVersion}), ${formatKwhShort(forecastLine.total)} for the day.`
                  : 'No day-ahead forecast was issued for this day.'}
              </p>
              <details className="disclosure">
                <summary>Show the 48 periods as a table</summary>
                <UsagePivot
                  name="settlement"
                  caption={`kWh per region and settlement period on ${day}`}
                  periodHeader="Period start (UTC)"
                  periods={model.periods}
                  keys={model.keys}
                  cells={model.cells}
                />
              </details>
            </>
          )}
        </QueryView>
      )}
    </Panel>
  );
}
