/**
 * The ECharts build of the portal: the core plus exactly the charts and components the pages use, so
 * the browser downloads a fraction of the full library.
 */
import { BarChart, HeatmapChart, LineChart } from 'echarts/charts';
import type { BarSeriesOption, HeatmapSeriesOption, LineSeriesOption } from 'echarts/charts';
import {
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components';
import type {
  GridComponentOption,
  LegendComponentOption,
  MarkLineComponentOption,
  TooltipComponentOption,
  VisualMapComponentOption,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import type { ComposeOption } from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([
  BarChart,
  LineChart,
  HeatmapChart,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TooltipComponent,
  VisualMapComponent,
  CanvasRenderer,
]);

export type ChartOption = ComposeOption<
  | BarSeriesOption
  | LineSeriesOption
  | HeatmapSeriesOption
  | GridComponentOption
  | LegendComponentOption
  | MarkLineComponentOption
  | TooltipComponentOption
  | VisualMapComponentOption
>;

export { echarts };

/** Categorical colours (Tableau 10): distinct for colour-blind readers and in print. */
export const palette = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#e15759',
  '#76b7b2',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

export const chartColors = {
  text: '#1b2430',
  muted: '#5b6675',
  grid: '#e6eaf0',
  axis: '#b7c1ce',
  good: '#12703a',
  warn: '#b26a00',
  bad: '#b3261e',
  accent: '#1d6fd1',
};

/** Diagonal stripes over a series colour: how every chart marks provisional numbers. */
export const provisionalDecal = {
  symbol: 'rect',
  symbolSize: 1,
  color: 'rgba(255, 255, 255, 0.55)',
  dashArrayX: [1, 0],
  dashArrayY: [3, 5],
  rotation: -Math.PI / 4,
};

/** Axis, grid and tooltip defaults shared by the portal's charts. */
export const baseOption: ChartOption = {
  // Times on axes and in tooltips are UTC, like every time the portal shows.
  useUTC: true,
  color: palette,
  textStyle: {
    fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    color: chartColors.text,
  },
  grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
  tooltip: { trigger: 'axis', confine: true },
  legend: { top: 0, type: 'scroll', icon: 'roundRect', itemWidth: 14, itemHeight: 10 },
};

/** A UTC time axis over exactly the range asked for, with labels that never overlap. */
export function timeAxis(from: Date, to: Date) {
  return {
    type: 'time' as const,
    min: from.getTime(),
    max: to.getTime(),
    axisLabel: { hideOverlap: true },
  };
}
