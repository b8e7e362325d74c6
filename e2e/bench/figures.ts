// How bench:ui measures and prints latencies. Kept apart from ui-bench.ts
// (which runs on import) so the unit tests can check them.

/**
 * Wall-clock time with sub-millisecond resolution that is comparable across
 * processes (the probe, this process's raw watcher, the page's
 * performance.timeOrigin + now()). Date.now() counts whole milliseconds, so a
 * raw file event — well under 1 ms — measured with it came out as 0.
 */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Latencies to 0.1 ms: finer than that is clock noise across processes. */
export function tenth(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** "16.7×", or why there is no ratio. */
export function ratio(value: number, raw: number): string {
  return raw >= 0.1 ? `${(value / raw).toFixed(1)}×` : 'n/a (raw under 0.1 ms)';
}
