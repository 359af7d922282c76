'use client';

import { useMemo } from 'react';
import Link from 'next/link';
import { EChart } from '../../../components/charts/EChart';
import { baseOption, chartColors, type ChartOption } from '../../../components/charts/echarts';
import { formatCount, formatRule } from '../../../lib/format';
import type { RouterOutputs } from '../../../trpc/client';

type Rules = RouterOutputs['pipeline']['rules'];

/** Readings rejected and flagged per VEE rule over the range, each linked to its rejects. */
export function RulesView({ data }: { data: Rules }) {
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
