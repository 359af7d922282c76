import { baseOption, chartColors, palette, provisionalDecal, type ChartOption } from '../charts/echarts';

/** Colours of reading quality, the same in the chart, its legend and the table's badges. */
const qualityColors = {
  actual: palette[0] ?? '#4e79a7',
  estimated: palette[1] ?? '#f28e2b',
  edited: palette[6] ?? '#b07aa1',
};

const estimatedDecal = {
  symbol: 'rect',
  symbolSize: 1,
  color: 'rgba(255, 255, 255, 0.6)',
  dashArrayX: [1, 0],
  dashArrayY: [2, 3],
  rotation: Math.PI / 4,
};

const kwhText = (value: number) => `${value.toLocaleString('en-GB', { maximumFractionDigits: 3 })} kWh`;

/**
 * A day's intervals as bars, one series per quality so the legend explains the colours: measured solid,
 * estimated orange and hatched, corrected purple. Missing intervals have no bar.
 */
export function intervalBarOption(
  intervals: readonly {
    label: string;
    kwh: string | null;
    quality: 'actual' | 'estimated' | 'edited' | null;
  }[],
): ChartOption {
  const series = (['actual', 'estimated', 'edited'] as const).map((quality) => ({
    name: quality === 'actual' ? 'Measured' : quality === 'estimated' ? 'Estimated' : 'Corrected',
    type: 'bar' as const,
    stack: 'kwh',
    barCategoryGap: '15%',
    color: qualityColors[quality],
    itemStyle: quality === 'estimated' ? { decal: estimatedDecal } : undefined,
    data: intervals.map((interval) =>
      interval.quality === quality && interval.kwh !== null ? Number(interval.kwh) : null,
    ),
  }));
  return {
    ...baseOption,
    // The axis shows the meter's wall clock as labels, so no UTC conversion is involved.
    useUTC: false,
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      confine: true,
      valueFormatter: (value) => (typeof value === 'number' ? kwhText(value) : 'no reading'),
    },
    xAxis: {
      type: 'category',
      data: intervals.map((interval) => interval.label),
      axisLabel: { hideOverlap: true },
    },
    yAxis: { type: 'value', name: 'kWh', nameTextStyle: { align: 'left' } },
    series,
  };
}

/**
 * Days or months as bars: final ones solid, provisional ones striped (the portal's convention), with the
 * status in the legend and tooltip.
 */
export function periodBarOption(
  periods: readonly { label: string; kwh: string | null; status: 'provisional' | 'final' | null }[],
): ChartOption {
  const value = (status: 'provisional' | 'final') =>
    periods.map((period) => (period.status === status && period.kwh !== null ? Number(period.kwh) : null));
  return {
    ...baseOption,
    useUTC: false,
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      confine: true,
      valueFormatter: (amount) => (typeof amount === 'number' ? kwhText(amount) : '–'),
    },
    xAxis: {
      type: 'category',
      data: periods.map((period) => period.label),
      axisLabel: { hideOverlap: true },
    },
    yAxis: {
      type: 'value',
      name: 'kWh',
      nameTextStyle: { align: 'left' },
      splitLine: { lineStyle: { color: chartColors.grid } },
    },
    series: [
      {
        name: 'Final',
        type: 'bar',
        stack: 'kwh',
        barMaxWidth: 56,
        color: qualityColors.actual,
        data: value('final'),
      },
      {
        name: 'Provisional',
        type: 'bar',
        stack: 'kwh',
        barMaxWidth: 56,
        color: qualityColors.actual,
        itemStyle: { decal: provisionalDecal, opacity: 0.75 },
        data: value('provisional'),
      },
    ],
  };
}
