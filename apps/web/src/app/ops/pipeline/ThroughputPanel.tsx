'use client';

import { useMemo } from 'react';
import { EChart } from '../../../components/charts/EChart';
import { baseOption, chartColors, timeAxis, type ChartOption } from '../../../components/charts/echarts';
import { formatCount } from '../../../lib/format';
import type { RouterOutputs } from '../../../trpc/client';

type Throughput = RouterOutputs['pipeline']['throughput'];

/** Readings in against readings out over the range, with totals. */
export function ThroughputView({ data }: { data: Throughput }) {
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
