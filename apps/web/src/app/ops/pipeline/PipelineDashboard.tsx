'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useMemo } from 'react';
import { EChart } from '../../../components/charts/EChart';
import {
  baseOption,
  chartColors,
  palette,
  timeAxis,
  type ChartOption,
} from '../../../components/charts/echarts';
import { StatusBadge } from '../../../components/ui/Badges';
import { Panel } from '../../../components/ui/Panel';
import { WorkersView } from './WorkersPanel';
import { Segmented } from '../../../components/ui/Segmented';
import { Stat, StatGrid, type Tone } from '../../../components/ui/Stat';
import { EmptyState, QueryView } from '../../../components/ui/States';
import {
  formatAgo,
  formatCount,
  formatDuration,
  formatRule,
  formatUtc,
  formatUtcTime,
} from '../../../lib/format';
import { pipelineRanges, pipelineRangeSchema, type PipelineRange } from '../../../lib/ops-params';
import { useNow } from '../../../lib/use-now';
import { useUrlState } from '../../../lib/use-url-state';
import { useTRPC, type RouterOutputs } from '../../../trpc/client';

const REFRESH_MS = 10_000;
const live = {
  refetchInterval: REFRESH_MS,
  placeholderData: keepPreviousData,
  staleTime: REFRESH_MS / 2,
} as const;

const parseState = (params: URLSearchParams) => ({
  range: pipelineRangeSchema.catch('1h').parse(params.get('range') ?? undefined),
});

const rangeOptions = (Object.keys(pipelineRanges) as PipelineRange[]).map((value) => ({
  value,
  label: pipelineRanges[value].label,
}));

type Consumers = RouterOutputs['pipeline']['consumers'];
type Throughput = RouterOutputs['pipeline']['throughput'];
type Latency = RouterOutputs['pipeline']['latency'];
type Rules = RouterOutputs['pipeline']['rules'];

const statusTone: Record<Consumers['status'], Tone> = {
  OK: 'good',
  WARN: 'warn',
  STALL: 'bad',
  STOP: 'bad',
  UNKNOWN: 'neutral',
};

export function PipelineDashboard() {
  const [{ range }, setState] = useUrlState(parseState);
  const trpc = useTRPC();
  const consumers = useQuery(trpc.pipeline.consumers.queryOptions({ range }, live));
  const throughput = useQuery(trpc.pipeline.throughput.queryOptions({ range }, live));
  const latency = useQuery(trpc.pipeline.latency.queryOptions({ range }, live));
  const rules = useQuery(trpc.pipeline.rules.queryOptions({ range }, live));
  const workers = useQuery(trpc.pipeline.workers.queryOptions({ range }, live));
  const updatedAt = Math.max(
    consumers.dataUpdatedAt,
    throughput.dataUpdatedAt,
    latency.dataUpdatedAt,
    rules.dataUpdatedAt,
  );

  return (
    <div className="dashboard">
      <div className="toolbar">
        <Segmented
          label="Time range"
          value={range}
          options={rangeOptions}
          onChange={(value) => setState({ range: value === '1h' ? null : value })}
        />
        <p className="toolbar__meta" aria-live="polite">
          {updatedAt > 0 ? <>Updated {formatUtcTime(updatedAt)} UTC · </> : null}refreshes every{' '}
          {REFRESH_MS / 1000} s
        </p>
      </div>

      <QueryView query={consumers} loadingLabel="Reading consumer lag…" height={120}>
        {(data) => <ConsumerSummary data={data} />}
      </QueryView>

      <div className="grid-2">
        <Panel
          title="Throughput"
          description="Readings in (consumed from Kafka) against readings out (stored in Postgres), per second."
          name="throughput"
        >
          <QueryView
            query={throughput}
            height={300}
            isEmpty={(data) => data.totals.messages === 0}
            empty={
              <EmptyState title="No batches in this range" height={300}>
                The worker committed nothing in the last {pipelineRanges[range].label}.
              </EmptyState>
            }
          >
            {(data) => <ThroughputView data={data} />}
          </QueryView>
        </Panel>
        <Panel
          title="Rejects by rule"
          description="Readings the VEE rules rejected (quarantined) or flagged (stored for review)."
          name="rules"
        >
          <QueryView
            query={rules}
            height={300}
            isEmpty={(data) => data.rules.length === 0}
            empty={
              <EmptyState title="Nothing rejected or flagged" height={300}>
                No rule fired in the last {pipelineRanges[range].label}.
              </EmptyState>
            }
          >
            {(data) => <RulesView data={data} />}
          </QueryView>
        </Panel>
      </div>

      <Panel
        title="Consumer lag"
        description="Messages between each partition's committed offset and its end, and the age of the oldest one."
        name="lag"
      >
        <QueryView
          query={consumers}
          height={360}
          isEmpty={(data) => data.partitions.length === 0}
          empty={
            <EmptyState title="No consumer has reported" height={200}>
              No lag or commits in InfluxDB for the last 7 days. Is a worker running?
            </EmptyState>
          }
        >
          {(data) => <LagView data={data} />}
        </QueryView>
      </Panel>

      <Panel
        title="Workers"
        description="Each ingest worker as it last reported: consuming, paused (and why), restarting its consumer, or silent. Below, the pauses of the range and when ingest resumed."
        name="workers"
      >
        <QueryView
          query={workers}
          height={160}
          isEmpty={(data) => data.workers.length === 0 && data.incidents.length === 0}
          empty={
            <EmptyState title="No worker has reported" height={120}>
              No worker reported in the last day. Start one with npm run worker.
            </EmptyState>
          }
        >
          {(data) => <WorkersView data={data} />}
        </QueryView>
      </Panel>

      <Panel
        title="Batch latency"
        description="Per batch: time in the Postgres transaction, and from the end of the newest interval to the commit (end to end)."
        name="latency"
      >
        <QueryView
          query={latency}
          height={300}
          isEmpty={(data) => data.summary.batches === 0}
          empty={<EmptyState title="No batches in this range" height={200} />}
        >
          {(data) => <LatencyView data={data} />}
        </QueryView>
      </Panel>
    </div>
  );
}

function ConsumerSummary({ data }: { data: Consumers }) {
  const now = useNow();
  const worst = data.partitions.find((partition) => partition.worst);
  const { trend } = data;
  const trendText =
    trend.trend === 'shrinking'
      ? 'Shrinking'
      : trend.trend === 'growing'
        ? 'Growing'
        : data.totalLagOffsets === 0
          ? 'Caught up'
          : 'Steady';
  const catchUp =
    trend.catchUpSeconds === null
      ? data.totalLagOffsets === 0
        ? 'Nothing to catch up'
        : 'Not catching up at the current rate'
      : trend.catchUpSeconds === 0
        ? 'Nothing to catch up'
        : `Caught up in about ${formatDuration(trend.catchUpSeconds * 1000)}`;
  const commitAge =
    data.freshness.lastCommitAt && now > 0 ? now - data.freshness.lastCommitAt.getTime() : null;
  return (
    <StatGrid label="Consumer group now">
      <Stat
        name="status"
        label="Consumer status"
        value={<StatusBadge status={data.status} />}
        detail={`${data.partitions.length} partition${data.partitions.length === 1 ? '' : 's'}, judged over ${formatDuration(data.windowMs)}`}
        tone={statusTone[data.status]}
      />
      <Stat
        name="total-lag"
        label="Total lag"
        value={`${formatCount(data.totalLagOffsets)} offsets`}
        detail={
          worst
            ? `Worst: partition ${worst.partition}, ${formatCount(worst.lagOffsets ?? 0)} offsets, ${formatDuration((worst.lagSeconds ?? 0) * 1000)}`
            : 'Every partition is caught up'
        }
        tone={data.totalLagOffsets === 0 ? 'good' : 'warn'}
      />
      <Stat
        name="trend"
        label="Lag trend"
        value={trendText}
        detail={`${catchUp} · ${trend.offsetsPerSecond >= 0 ? '+' : ''}${trend.offsetsPerSecond.toFixed(1)} offsets/s`}
        tone={trend.trend === 'growing' ? 'warn' : 'neutral'}
      />
      <Stat
        name="freshness"
        label="Freshness"
        value={
          data.freshness.lastCommitAt
            ? commitAge === null
              ? '…'
              : formatAgo(data.freshness.lastCommitAt, now)
            : 'No commit'
        }
        detail={
          data.freshness.lastCommitAt
            ? `Last commit ${formatUtc(data.freshness.lastCommitAt)}`
            : 'No offset committed in the last 7 days'
        }
        tone={commitAge !== null && commitAge > data.windowMs && data.totalLagOffsets > 0 ? 'bad' : 'neutral'}
      />
    </StatGrid>
  );
}

function ThroughputView({ data }: { data: Throughput }) {
  const option = useMemo<ChartOption>(() => {
    const perSecond = (value: number) => Math.round((value / (data.bucketMs / 1000)) * 100) / 100;
    const series = (
      name: string,
      key: 'readingsIn' | 'stored' | 'rejected',
      color: string,
      dashed = false,
    ) => ({
      name,
      type: 'line' as const,
      showSymbol: false,
      color,
      lineStyle: { width: 2, type: dashed ? ('dashed' as const) : ('solid' as const) },
      data: data.points.map((point) => [point.time, perSecond(point[key])]),
    });
    return {
      ...baseOption,
      tooltip: { ...baseOption.tooltip, valueFormatter: (value) => `${String(value)} readings/s` },
      xAxis: timeAxis(data.from, data.to),
      yAxis: { type: 'value', name: 'readings/s', nameTextStyle: { align: 'left' } },
      series: [
        series('In (consumed)', 'readingsIn', chartColors.accent),
        series('Out (stored)', 'stored', chartColors.good, true),
        series('Rejected', 'rejected', chartColors.bad),
      ],
    };
  }, [data]);
  const { totals } = data;
  return (
    <>
      <EChart
        name="throughput"
        option={option}
        height={260}
        label="Readings per second consumed, stored and rejected over the selected range"
      />
      <dl className="totals" aria-label="Totals in the range">
        <div data-total="messages">
          <dt>Messages</dt>
          <dd>{formatCount(totals.messages)}</dd>
        </div>
        <div data-total="in">
          <dt>Readings in</dt>
          <dd>{formatCount(totals.readingsIn)}</dd>
        </div>
        <div data-total="stored">
          <dt>Stored</dt>
          <dd>{formatCount(totals.stored)}</dd>
        </div>
        <div data-total="duplicates">
          <dt>Duplicates</dt>
          <dd>{formatCount(totals.duplicates)}</dd>
        </div>
        <div data-total="rejected">
          <dt>Rejected</dt>
          <dd>{formatCount(totals.rejected)}</dd>
        </div>
      </dl>
      <p className="footnote">
        In = stored + duplicates + rejected. Kafka&apos;s produced count is not a tracking metric; a producer
        outrunning the consumer shows up as growing lag below.
      </p>
    </>
  );
}

function RulesView({ data }: { data: Rules }) {
  const option = useMemo<ChartOption>(() => {
    const rules = [...data.rules].reverse();
    return {
      ...baseOption,
      grid: { ...baseOption.grid, top: 32 },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, confine: true },
      xAxis: { type: 'value', name: 'readings', nameLocation: 'middle', nameGap: 26, minInterval: 1 },
      yAxis: { type: 'category', data: rules.map((entry) => formatRule(entry.rule)) },
      series: [
        {
          name: 'Rejected',
          type: 'bar',
          stack: 'rule',
          color: chartColors.bad,
          data: rules.map((entry) => entry.rejected),
        },
        {
          name: 'Flagged',
          type: 'bar',
          stack: 'rule',
          color: '#edc948',
          data: rules.map((entry) => entry.flagged),
        },
      ],
    };
  }, [data]);
  return (
    <>
      <EChart
        name="rules"
        option={option}
        height={Math.max(160, 60 + data.rules.length * 32)}
        label="Readings rejected and flagged per validation rule"
      />
      <table className="table table--compact" data-table="rules">
        <caption className="visually-hidden">Readings per rule in the range</caption>
        <thead>
          <tr>
            <th scope="col">Rule</th>
            <th scope="col" className="num">
              Rejected
            </th>
            <th scope="col" className="num">
              Flagged
            </th>
          </tr>
        </thead>
        <tbody>
          {data.rules.map((entry) => (
            <tr key={entry.rule} data-rule={entry.rule}>
              <th scope="row">
                {entry.rejected > 0 ? (
                  <Link href={`/ops/rejects?rule=${encodeURIComponent(entry.rule)}`}>
                    {formatRule(entry.rule)}
                  </Link>
                ) : (
                  formatRule(entry.rule)
                )}
              </th>
              <td className="num" data-cell="rejected">
                {formatCount(entry.rejected)}
              </td>
              <td className="num" data-cell="flagged">
                {formatCount(entry.flagged)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function LagView({ data }: { data: Consumers }) {
  const now = useNow();
  const multipleTopics =
    new Set(data.partitions.map((partition) => `${partition.group}\u0000${partition.topic}`)).size > 1;
  const overTime = useMemo<ChartOption>(
    () => ({
      ...baseOption,
      tooltip: { ...baseOption.tooltip, valueFormatter: (value) => `${String(value)} offsets` },
      xAxis: timeAxis(data.from, data.to),
      yAxis: { type: 'value', name: 'offsets', minInterval: 1, nameTextStyle: { align: 'left' } },
      series: data.series.map((entry, index) => ({
        name: entry.label,
        type: 'line',
        stack: 'lag',
        showSymbol: false,
        areaStyle: { opacity: 0.35 },
        lineStyle: { width: 1 },
        color: palette[index % palette.length],
        data: entry.points.map((point) => [point.time, point.offsets]),
      })),
    }),
    [data],
  );
  const now_ = useMemo<ChartOption>(
    () => ({
      ...baseOption,
      legend: { show: false },
      grid: { ...baseOption.grid, top: 32 },
      tooltip: {
        trigger: 'axis',
        axisPointer: { type: 'shadow' },
        confine: true,
        formatter: (params) => {
          const first = Array.isArray(params) ? params[0] : params;
          const partition = data.partitions[first?.dataIndex ?? 0];
          if (!partition) return '';
          return `Partition ${partition.partition}<br/>${formatCount(partition.lagOffsets ?? 0)} offsets · ${formatDuration((partition.lagSeconds ?? 0) * 1000)}<br/>${partition.status}`;
        },
      },
      xAxis: {
        type: 'category',
        name: 'partition',
        data: data.partitions.map((partition) => String(partition.partition)),
      },
      yAxis: { type: 'value', name: 'offsets', minInterval: 1, nameTextStyle: { align: 'left' } },
      series: [
        {
          type: 'bar',
          name: 'Lag now',
          data: data.partitions.map((partition) => ({
            value: partition.lagOffsets ?? 0,
            itemStyle: { color: partition.worst ? chartColors.bad : chartColors.accent },
          })),
        },
      ],
    }),
    [data],
  );
  return (
    <>
      <div className="grid-2 grid-2--wide-first">
        <div>
          <h3 className="chart-title">
            Lag over time (highest per {formatDuration(data.bucketMs)}, stacked)
          </h3>
          <EChart
            name="lag-over-time"
            option={overTime}
            height={280}
            label="Consumer lag in offsets per partition over the selected range, stacked"
          />
        </div>
        <div>
          <h3 className="chart-title">Lag now per partition (worst in red)</h3>
          {data.totalLagOffsets === 0 ? (
            <div className="state state--good" style={{ minHeight: 280 }} data-caught-up="true">
              <p className="state__title">Every partition is caught up</p>
              <p className="state__detail">0 offsets behind on all {data.partitions.length} partitions.</p>
            </div>
          ) : (
            <EChart
              name="lag-now"
              option={now_}
              height={280}
              label="Current consumer lag in offsets per partition; the worst partition is red"
            />
          )}
        </div>
      </div>
      <div className="table-scroll">
        <table className="table" data-table="partitions">
          <caption className="visually-hidden">Consumer lag and status per partition</caption>
          <thead>
            <tr>
              <th scope="col">Partition</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Lag (offsets)
              </th>
              <th scope="col" className="num">
                Lag (s)
              </th>
              <th scope="col" className="num">
                Committed offset
              </th>
              <th scope="col">Last commit</th>
              <th scope="col" className="num">
                Stored up to
              </th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {data.partitions.map((partition) => (
              <tr
                key={partition.id}
                className={partition.worst ? 'row--worst' : undefined}
                data-partition={partition.partition}
              >
                <th scope="row">
                  {partition.partition}
                  {partition.worst ? <span className="tag tag--bad">worst</span> : null}
                  {multipleTopics ? (
                    <span className="muted">
                      {' '}
                      {partition.group} · {partition.topic}
                    </span>
                  ) : null}
                </th>
                <td>
                  <StatusBadge status={partition.status} title={partition.reason} />
                </td>
                <td className="num" data-cell="lag-offsets">
                  {partition.lagOffsets === null ? '–' : formatCount(partition.lagOffsets)}
                </td>
                <td className="num" data-cell="lag-seconds">
                  {partition.lagSeconds === null ? '–' : partition.lagSeconds.toFixed(1)}
                </td>
                <td className="num" data-cell="committed">
                  {partition.committedOffset === null ? '–' : formatCount(partition.committedOffset)}
                </td>
                <td>
                  {partition.lastCommitAt ? (
                    <time
                      dateTime={partition.lastCommitAt.toISOString()}
                      title={formatUtc(partition.lastCommitAt)}
                    >
                      {now > 0 ? formatAgo(partition.lastCommitAt, now) : formatUtc(partition.lastCommitAt)}
                    </time>
                  ) : (
                    '–'
                  )}
                </td>
                <td
                  className="num"
                  data-cell="stored"
                  title={
                    partition.storedAt
                      ? `Postgres position, moved ${formatUtc(partition.storedAt)}`
                      : undefined
                  }
                >
                  {partition.storedNextOffset === null
                    ? '–'
                    : formatCount(Number(partition.storedNextOffset))}
                </td>
                <td className="reason">{partition.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="footnote">
        Status as in LinkedIn&apos;s Burrow, over the last {formatDuration(data.windowMs)}: OK when lag is
        zero or falls; WARN when it only grows; STALL when commits continue but the offset does not move; STOP
        when nothing was committed for the whole window. &ldquo;Stored up to&rdquo; is the next offset the
        ingest transaction recorded in Postgres.
      </p>
    </>
  );
}

function LatencyView({ data }: { data: Latency }) {
  const dbOption = useMemo<ChartOption>(
    () => latencyOption(data, 'dbMs', 'ms', (value) => `${Math.round(value)} ms`),
    [data],
  );
  const e2eOption = useMemo<ChartOption>(
    () => latencyOption(data, 'e2eMs', 'duration', (value) => formatDuration(value)),
    [data],
  );
  const { summary } = data;
  const cell = (value: number | null, format: (value: number) => string) =>
    value === null ? '–' : format(value);
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  return (
    <>
      <table className="table table--compact" data-table="latency">
        <caption className="visually-hidden">Batch latency percentiles in the range</caption>
        <thead>
          <tr>
            <th scope="col">Over {formatCount(summary.batches)} batches</th>
            <th scope="col" className="num">
              p50
            </th>
            <th scope="col" className="num">
              p95
            </th>
            <th scope="col" className="num">
              p99
            </th>
          </tr>
        </thead>
        <tbody>
          <tr data-latency="db">
            <th scope="row">Postgres transaction (db_ms)</th>
            <td className="num" data-cell="p50">
              {cell(summary.dbMs.p50, ms)}
            </td>
            <td className="num" data-cell="p95">
              {cell(summary.dbMs.p95, ms)}
            </td>
            <td className="num" data-cell="p99">
              {cell(summary.dbMs.p99, ms)}
            </td>
          </tr>
          <tr data-latency="e2e">
            <th scope="row">End to end (e2e_ms)</th>
            <td className="num" data-cell="p50">
              {cell(summary.e2eMs.p50, formatDuration)}
            </td>
            <td className="num" data-cell="p95">
              {cell(summary.e2eMs.p95, formatDuration)}
            </td>
            <td className="num" data-cell="p99">
              {cell(summary.e2eMs.p99, formatDuration)}
            </td>
          </tr>
        </tbody>
      </table>
      <div className="grid-2">
        <div>
          <h3 className="chart-title">Postgres transaction, ms</h3>
          <EChart
            name="latency-db"
            option={dbOption}
            height={240}
            label="Percentiles of the Postgres transaction time per batch over the range"
          />
        </div>
        <div>
          <h3 className="chart-title">End to end, interval end to commit</h3>
          <EChart
            name="latency-e2e"
            option={e2eOption}
            height={240}
            label="Percentiles of end-to-end latency per batch over the range"
          />
        </div>
      </div>
      <p className="footnote">
        Percentiles are InfluxDB&apos;s nearest-rank PERCENTILE over batches. End to end includes how late a
        head-end sent the data: a backfill of old days shows days here.
      </p>
    </>
  );
}

function latencyOption(
  data: Latency,
  field: 'dbMs' | 'e2eMs',
  axis: 'ms' | 'duration',
  format: (value: number) => string,
): ChartOption {
  const line = (name: string, key: 'p50' | 'p95' | 'p99', color: string) => ({
    name,
    type: 'line' as const,
    showSymbol: data.points.length < 3,
    color,
    data: data.points.map((point) => [point.time, point[field][key]]),
  });
  return {
    ...baseOption,
    tooltip: {
      ...baseOption.tooltip,
      valueFormatter: (value) => (typeof value === 'number' ? format(value) : '–'),
    },
    xAxis: timeAxis(data.from, data.to),
    yAxis:
      axis === 'ms'
        ? { type: 'value', name: 'ms', nameTextStyle: { align: 'left' } }
        : { type: 'value', axisLabel: { formatter: (value: number) => formatDuration(value) } },
    series: [
      line('p50', 'p50', chartColors.accent),
      line('p95', 'p95', '#f28e2b'),
      line('p99', 'p99', chartColors.bad),
    ],
  };
}
