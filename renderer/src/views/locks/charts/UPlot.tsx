// A uPlot chart as a React component. uPlot draws time series on one canvas
// per chart (tens of kB, no dependencies) and updates data in place, so a
// live chart and fifty sparklines cost little; it owns its DOM, which React
// only mounts and sizes.
import { useEffect, useRef } from 'react';
import uPlot, { type AlignedData, type Options } from 'uplot';
import 'uplot/dist/uPlot.min.css';
import '../timeline/timeline.css';

export function UPlot({
  options,
  data,
  label,
  className,
}: {
  options: Omit<Options, 'width'>;
  data: AlignedData;
  label: string;
  className?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);

  // Created once per set of options; data and width change in place.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const u = new uPlot({ ...options, width: Math.max(40, el.clientWidth) }, [[]], el);
    chart.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(40, el.clientWidth), height: options.height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      chart.current = null;
    };
  }, [options]);

  useEffect(() => {
    chart.current?.setData(data);
  }, [data, options]);

  return <div ref={box} className={className} role="img" aria-label={label} />;
}
