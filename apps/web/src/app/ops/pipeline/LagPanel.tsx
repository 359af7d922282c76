'use client';

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
import { formatAgo, formatCount, formatDuration, formatUtc } from '../../../lib/format';
import { useNow } from '../../../lib/use-now';
import type { RouterOutputs } from '../../../trpc/client';

type Consumers = RouterOutputs['pipeline']['consumers'];

/** Consumer lag over the range and now, and each partition's status, commit and stored position. */
export function LagView({ data }: { data: Consumers }) {
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
