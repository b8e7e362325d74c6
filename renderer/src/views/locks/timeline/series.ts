// Wait time and acquisitions over time, per task and for all tasks together:
// what the contention chart and the per-row sparklines plot. Each bucket
// holds the waits of the acquisitions and time-outs logged in it.
import { countsForContention, type LockEvent } from '../../../../../shared/model.ts';

export interface Series {
  /** Bucket starts, in seconds (uPlot's time unit). */
  times: number[];
  acquisitions: number[];
  /** Wait percentiles in ms; null where the bucket has no acquisition. */
  p50: (number | null)[];
  p95: (number | null)[];
}

export interface WaitSeries {
  all: Series;
  byTask: Map<string, Series>;
}

export function waitSeries(events: readonly LockEvent[], from: number, to: number, buckets: number): WaitSeries {
  const width = Math.max(1, (to - from) / buckets);
  const times = Array.from({ length: buckets }, (_, i) => (from + i * width) / 1000);
  const all: number[][] = Array.from({ length: buckets }, () => []);
  const perTask = new Map<string, number[][]>();
  for (const e of events) {
    if (!countsForContention(e) || e.task_id.startsWith('session:')) continue;
    const i = Math.floor((Date.parse(e.ts) - from) / width);
    if (!(i >= 0 && i < buckets)) continue;
    all[i]!.push(e.wait_ms);
    let rows = perTask.get(e.task_id);
    if (!rows) perTask.set(e.task_id, (rows = Array.from({ length: buckets }, () => [])));
    rows[i]!.push(e.wait_ms);
  }
  const series = (rows: number[][]): Series => {
    const sorted = rows.map((r) => r.sort((a, b) => a - b));
    return {
      times,
      acquisitions: sorted.map((r) => r.length),
      p50: sorted.map((r) => percentile(r, 50)),
      p95: sorted.map((r) => percentile(r, 95)),
    };
  };
  return { all: series(all), byTask: new Map([...perTask].map(([task, rows]) => [task, series(rows)])) };
}

/** Nearest-rank percentile of sorted values; null when there are none. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
