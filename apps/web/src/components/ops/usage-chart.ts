import { baseOption, palette, provisionalDecal, type ChartOption } from '../charts/echarts';
import { formatKey, formatUtc } from '../../lib/format';
import type { PivotCell } from './UsagePivot';

/** A forecast drawn over the bars: one value per period (null where none was made). */
export interface ForecastLine {
  name: string;
  values: readonly (number | null)[];
}

/**
 * Stacked kWh bars, one series per key. Provisional values are drawn striped and lighter, final ones
 * solid, and the tooltip names each value's status and when it was computed. A forecast, when given, is a
 * dashed line over the stack, so it never reads as measured usage.
 */
export function usageBarOption({
  periods,
  keys,
  cells,
  forecast,
}: {
  periods: readonly { id: string; label: string }[];
  keys: readonly string[];
  cells: ReadonlyMap<string, PivotCell>;
  forecast?: ForecastLine;
}): ChartOption {
  return {
    ...baseOption,
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      confine: true,
      formatter: (params) => {
        const items = Array.isArray(params) ? params : [params];
        const first = items[0];
        const period = periods[first?.dataIndex ?? 0];
        const lines = items
          .filter((item) => typeof item.value === 'number')
          .map((item) => {
            const cell = cells.get(`${period?.id ?? ''}\u0000${keys[item.seriesIndex ?? 0] ?? ''}`);
            const status = cell
              ? `${cell.status === 'final' ? 'final' : 'provisional'}, ${formatUtc(cell.computedAt, { seconds: false })}`
              : '';
            return `${typeof item.marker === 'string' ? item.marker : ''} ${item.seriesName}: <b>${Number(item.value).toLocaleString('en-GB', { maximumFractionDigits: 1 })} kWh</b> <span style="color:#5b6675">${status}</span>`;
          });
        return [`<b>${period?.label ?? ''}</b>`, ...lines].join('<br/>');
      },
    },
    xAxis: {
      type: 'category',
      data: periods.map((period) => period.label),
      axisLabel: { hideOverlap: true },
    },
    yAxis: { type: 'value', name: 'kWh', nameTextStyle: { align: 'left' } },
    series: [
      ...keys.map((key, index) => ({
        name: formatKey(key),
        type: 'bar' as const,
        stack: 'kwh',
        barMaxWidth: 48,
        color: palette[index % palette.length],
        emphasis: { focus: 'series' as const },
        data: periods.map((period) => {
          const cell = cells.get(`${period.id}\u0000${key}`);
          if (!cell) return null;
          const value = Number(cell.kwh);
          return cell.status === 'final'
            ? { value }
            : { value, itemStyle: { decal: provisionalDecal, opacity: 0.8 } };
        }),
      })),
      ...(forecast
        ? [
            {
              name: forecast.name,
              type: 'line' as const,
              data: [...forecast.values],
              symbol: 'none',
              connectNulls: false,
              z: 5,
              color: '#1f2933',
              lineStyle: { type: 'dashed' as const, width: 2 },
            },
          ]
        : []),
    ],
  };
}
