// Lock waits over time, all tasks together: wait p50 and p95 (left axis, ms)
// and acquisitions per bucket (bars, right axis). Shown above the contention
// table, over the same window.
import { useMemo } from 'react';
import type { Options } from 'uplot';
import uPlot from 'uplot';
import type { Series } from '../timeline/series.ts';
import { axisTicks } from '../../../lib/format.ts';
import { UPlot } from './UPlot.tsx';

/** Canvas strokes cannot use CSS variables: the theme's colours are read once per chart. */
function cssColour(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

const P50 = '#4e79a7';
const P95 = '#e15759';
const ACQ = 'rgba(128, 136, 150, 0.35)';

export function WaitChart({ series }: { series: Series }) {
  const options = useMemo<Omit<Options, 'width'>>(() => {
    const muted = cssColour('--muted', '#6a7280');
    const grid = cssColour('--border', '#e2e5ea');
    return {
      height: 150,
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: true },
        ms: { auto: true, range: (_u, _min, max) => [0, Math.max(1, max)] },
        n: { auto: true, range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] },
      },
      axes: [
        // uPlot's own labels use a 12-hour clock (7:01pm); the rest of the dashboard reads 19:01.
        { stroke: muted, grid: { stroke: grid }, ticks: { show: false }, values: (_u, vals, _axis, _space, step) => axisTicks(vals, step) },
        {
          scale: 'ms',
          stroke: muted,
          grid: { stroke: grid },
          values: (_u, vals) => vals.map((v) => (v >= 1000 ? `${v / 1000} s` : `${v} ms`)),
          size: 60,
        },
        { scale: 'n', side: 1, stroke: muted, grid: { show: false }, size: 40 },
      ],
      series: [
        {},
        {
          label: 'acquisitions',
          scale: 'n',
          fill: ACQ,
          stroke: ACQ,
          width: 0,
          paths: uPlot.paths.bars?.({ size: [0.8, 40] }),
          points: { show: false },
        },
        { label: 'wait p50', scale: 'ms', stroke: P50, width: 1.5, spanGaps: false, points: { show: false } },
        { label: 'wait p95', scale: 'ms', stroke: P95, width: 1.5, spanGaps: false, points: { show: false } },
      ],
    };
  }, []);
  const data = useMemo(() => [series.times, series.acquisitions, series.p50, series.p95] as uPlot.AlignedData, [series]);
  const total = series.acquisitions.reduce((a, b) => a + b, 0);
  return (
    <UPlot
      options={options}
      data={data}
      className="wait-chart"
      label={`Lock waits over time: ${total} acquisitions and time-outs, wait p50 and p95 per interval`}
    />
  );
}

/** p95 wait of one task over the window: a 24 px line in its contention row. */
export function WaitSparkline({ series, task }: { series: Series | undefined; task: string }) {
  const options = useMemo<Omit<Options, 'width'>>(
    () => ({
      height: 24,
      legend: { show: false },
      cursor: { show: false },
      select: { show: false, left: 0, top: 0, width: 0, height: 0 },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [{ show: false }, { show: false }],
      series: [{}, { stroke: P95, width: 1.25, fill: 'rgba(225, 87, 89, 0.12)', spanGaps: true, points: { show: false } }],
      padding: [2, 0, 2, 0],
    }),
    [],
  );
  const data = useMemo(() => (series ? [series.times, series.p95] : [[], []]) as uPlot.AlignedData, [series]);
  return <UPlot options={options} data={data} className="sparkline" label={`${task}: wait p95 over the window`} />;
}
