'use client';

import { useMemo } from 'react';
import { EChart } from '../../../components/charts/EChart';
import { baseOption, chartColors, timeAxis, type ChartOption } from '../../../components/charts/echarts';
import { formatCount, formatDuration } from '../../../lib/format';
import type { RouterOutputs } from '../../../trpc/client';

type Latency = RouterOutputs['pipeline']['latency'];

/** Batch latency percentiles over the range, as a table and two charts. */
export function LatencyView({ data }: { data: Latency }) {
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
            <th scope="col">
              Over {formatCount(summary.batches)} batches{data.hourly ? ' (worst hour)' : ''}
            </th>
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
      <p className="footnote" data-latency-source={data.hourly ? 'hourly' : 'batches'}>
        {data.hourly
          ? 'Over long ranges the percentiles come from hourly series: each is the highest hourly nearest-rank PERCENTILE in the period (the worst hour), since percentiles of different hours do not add up.'
          : 'Percentiles are InfluxDB’s nearest-rank PERCENTILE over batches.'}{' '}
        End to end includes how late a head-end sent the data: a backfill of old days shows days here.
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
