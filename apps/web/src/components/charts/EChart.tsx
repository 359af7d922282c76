'use client';

import { useEffect, useRef } from 'react';
import { echarts, type ChartOption } from './echarts';

export interface EChartProps {
  option: ChartOption;
  /** What the chart shows, for screen readers; the exact numbers are in a table beside every chart. */
  label: string;
  /** Identifies the chart in tests: `[data-chart="throughput"]`. */
  name: string;
  height?: number | string;
  /** Clicks on a data item (a heatmap cell, a bar). */
  onItemClick?: (params: { dataIndex: number; seriesIndex: number; data: unknown; name: string }) => void;
}

/**
 * A thin React wrapper around one ECharts instance: sets the option, follows the container's size,
 * disposes on unmount, and reports in `data-chart-state` whether the chart has finished rendering
 * (`rendering` → `finished`), so tests and screenshots wait for the drawn chart instead of sleeping.
 * Animation is off when a browser is driven by automation (`navigator.webdriver`) or the user prefers
 * reduced motion.
 */
export function EChart({ option, label, name, height = 320, onItemClick }: EChartProps) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<ReturnType<typeof echarts.init> | null>(null);
  const clickHandler = useRef(onItemClick);

  useEffect(() => {
    clickHandler.current = onItemClick;
  }, [onItemClick]);

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const instance = echarts.init(element, undefined, { renderer: 'canvas' });
    chart.current = instance;
    instance.on('finished', () => {
      element.dataset.chartState = 'finished';
    });
    instance.on('click', (params) => {
      clickHandler.current?.({
        dataIndex: params.dataIndex,
        seriesIndex: params.seriesIndex ?? 0,
        data: params.data,
        name: params.name,
      });
    });
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(element);
    return () => {
      observer.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    const element = container.current;
    const instance = chart.current;
    if (!element || !instance) return;
    const still = navigator.webdriver || window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    element.dataset.chartState = 'rendering';
    const animation = still ? false : option.animation !== false;
    instance.setOption({ ...option, animation }, { notMerge: true });
  }, [option]);

  return (
    <div className="chart" role="img" aria-label={label}>
      <div
        ref={container}
        className="chart__canvas"
        style={{ height }}
        data-chart={name}
        data-chart-state="rendering"
      />
    </div>
  );
}
