// Per-task lock contention from lock-log events: one code path for the
// engine (`lockstep contention`, store.getContention, exact figures over the
// events of a window) and the dashboard host (kept incrementally as events
// arrive, over sliding windows of 5 min to 1 h).
//
// Events are folded into one-minute buckets per task, with a wait-time
// histogram, so a host's query costs O(tasks × minutes), not a sort of
// every event in the window (at 200 commits/s a 15-minute window holds
// 180,000 events). Its percentiles are read from the histogram: each is the
// upper edge of the bin that holds it (capped by the largest wait seen).
// An exact tracker also keeps every wait, and reads percentiles from them.
import { countsForContention, type ContentionStats, type LockEvent } from './model.ts';

export const WAIT_BIN_EDGES_MS = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 30_000, Infinity];
const MINUTE = 60_000;

interface Bucket {
  acquisitions: number;
  waited: number;
  timeouts: number;
  maxWait: number;
  bins: number[];
  /** Every wait, in an exact tracker. */
  waits: number[] | null;
}

function emptyBucket(exact: boolean): Bucket {
  return {
    acquisitions: 0,
    waited: 0,
    timeouts: 0,
    maxWait: 0,
    bins: new Array<number>(WAIT_BIN_EDGES_MS.length).fill(0),
    waits: exact ? [] : null,
  };
}

function binOf(waitMs: number): number {
  return WAIT_BIN_EDGES_MS.findIndex((edge) => waitMs <= edge);
}

/** The p-th percentile of sorted values (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function percentileFromBins(b: Bucket, p: number): number {
  const total = b.bins.reduce((x, y) => x + y, 0);
  if (total === 0) return 0;
  const rank = Math.ceil((p / 100) * total);
  let seen = 0;
  for (let i = 0; i < b.bins.length; i++) {
    seen += b.bins[i]!;
    if (seen >= rank) return Math.min(WAIT_BIN_EDGES_MS[i]!, b.maxWait);
  }
  return b.maxWait;
}

/**
 * The sums over one window (minutes from `firstMinute` on), kept up to date as
 * events arrive and minutes leave it: a host asks for the same window every
 * 2 s, and summing its minutes anew cost 130-160 ms at 10,000 busy tasks.
 */
interface WindowSums {
  firstMinute: number;
  totals: Map<string, Bucket>;
}

/** Windows kept summed at once (the dashboard asks for 5 min, 15 min and 1 h). */
const MAX_WINDOWS = 4;

export class ContentionTracker {
  /** minute → task → bucket */
  private readonly minutes = new Map<number, Map<string, Bucket>>();
  private readonly horizonMs: number;
  private readonly exact: boolean;
  /** window (ms) → its running sums; not kept by an exact tracker (its queries are one-off). */
  private readonly windows = new Map<number, WindowSums>();

  /**
   * `horizonMs`: the longest window ever asked for; older minutes are dropped.
   * `exact`: keep every wait for exact percentiles (for one-off queries; a host uses the histogram).
   */
  constructor(horizonMs: number, options: { exact?: boolean } = {}) {
    this.horizonMs = horizonMs;
    this.exact = options.exact ?? false;
  }

  /** Count one lock-log line (releases, broken locks and session locks are not task contention). */
  add(event: LockEvent): void {
    if (!countsForContention(event) || event.task_id.startsWith('session:')) return;
    const t = Date.parse(event.ts);
    if (Number.isNaN(t)) return;
    const minute = Math.floor(t / MINUTE);
    let tasks = this.minutes.get(minute);
    if (!tasks) this.minutes.set(minute, (tasks = new Map()));
    let b = tasks.get(event.task_id);
    if (!b) tasks.set(event.task_id, (b = emptyBucket(this.exact)));
    count(b, event);
    for (const w of this.windows.values()) {
      if (minute < w.firstMinute) continue;
      let sum = w.totals.get(event.task_id);
      if (!sum) w.totals.set(event.task_id, (sum = emptyBucket(false)));
      count(sum, event);
    }
  }

  /** Most contended first: time-outs, then p95 wait, then acquisitions (then id, so the order is stable). */
  stats(windowMs: number, limit = Number.POSITIVE_INFINITY, now = Date.now()): ContentionStats[] {
    const horizonMinute = Math.floor((now - this.horizonMs) / MINUTE);
    // Minutes before the horizon are dropped below, so a wider window sums the same minutes.
    const firstMinute = Math.max(Math.floor((now - windowMs) / MINUTE), horizonMinute);
    const totals = this.exact ? null : this.advance(windowMs, firstMinute);
    for (const minute of this.minutes.keys()) if (minute < horizonMinute) this.minutes.delete(minute);
    // A window not asked for since the horizon passed its start has lost minutes it never subtracted.
    for (const [ms, w] of this.windows) if (w.firstMinute < horizonMinute) this.windows.delete(ms);
    const out: ContentionStats[] = [];
    for (const [taskId, b] of totals ?? this.sum(firstMinute)) {
      const sorted = b.waits?.sort((x, y) => x - y);
      out.push({
        task_id: taskId,
        acquisitions: b.acquisitions,
        waited: b.waited,
        timeouts: b.timeouts,
        wait_p50_ms: sorted ? percentile(sorted, 50) : percentileFromBins(b, 50),
        wait_p95_ms: sorted ? percentile(sorted, 95) : percentileFromBins(b, 95),
        wait_max_ms: b.maxWait,
      });
    }
    out.sort(
      (a, b) =>
        b.timeouts - a.timeouts || b.wait_p95_ms - a.wait_p95_ms || b.acquisitions - a.acquisitions || (a.task_id < b.task_id ? -1 : 1),
    );
    return out.slice(0, limit);
  }

  /** Every task's sums over the minutes from `firstMinute` on. */
  private sum(firstMinute: number): Map<string, Bucket> {
    const totals = new Map<string, Bucket>();
    for (const [minute, tasks] of this.minutes) {
      if (minute < firstMinute) continue;
      for (const [taskId, b] of tasks) {
        let sum = totals.get(taskId);
        if (!sum) totals.set(taskId, (sum = emptyBucket(this.exact)));
        merge(sum, b);
      }
    }
    return totals;
  }

  /** The running sums of a window, moved on to start at `firstMinute` (or summed anew). */
  private advance(windowMs: number, firstMinute: number): Map<string, Bucket> {
    const w = this.windows.get(windowMs);
    if (!w || firstMinute < w.firstMinute) {
      // New, or the clock went back: sum it once.
      if (!w && this.windows.size >= MAX_WINDOWS) this.windows.clear();
      const totals = this.sum(firstMinute);
      this.windows.set(windowMs, { firstMinute, totals });
      return totals;
    }
    // Take out the minutes that left the window. A maximum cannot be taken out:
    // it is looked up again for the tasks whose largest wait may have left.
    const maxLeft = new Set<string>();
    for (const [minute, tasks] of this.minutes) {
      if (minute < w.firstMinute || minute >= firstMinute) continue;
      for (const [taskId, b] of tasks) {
        const sum = w.totals.get(taskId);
        if (!sum) continue;
        unmerge(sum, b);
        if (sum.acquisitions + sum.timeouts === 0) w.totals.delete(taskId);
        else if (b.maxWait >= sum.maxWait) maxLeft.add(taskId);
      }
    }
    w.firstMinute = firstMinute;
    for (const taskId of maxLeft) {
      const sum = w.totals.get(taskId);
      if (!sum) continue;
      sum.maxWait = 0;
      for (const [minute, tasks] of this.minutes)
        if (minute >= firstMinute) sum.maxWait = Math.max(sum.maxWait, tasks.get(taskId)?.maxWait ?? 0);
    }
    return w.totals;
  }
}

function count(b: Bucket, event: LockEvent): void {
  if (event.outcome === 'timeout') b.timeouts++;
  else b.acquisitions++;
  if (event.wait_ms > 0) b.waited++;
  b.maxWait = Math.max(b.maxWait, event.wait_ms);
  b.bins[binOf(event.wait_ms)]!++;
  b.waits?.push(event.wait_ms);
}

function merge(sum: Bucket, b: Bucket): void {
  sum.acquisitions += b.acquisitions;
  sum.waited += b.waited;
  sum.timeouts += b.timeouts;
  sum.maxWait = Math.max(sum.maxWait, b.maxWait);
  for (let i = 0; i < b.bins.length; i++) sum.bins[i]! += b.bins[i]!;
  if (b.waits) sum.waits!.push(...b.waits);
}

/** The counts of `merge`, taken out again (not the maximum, nor exact waits: running sums keep neither). */
function unmerge(sum: Bucket, b: Bucket): void {
  sum.acquisitions -= b.acquisitions;
  sum.waited -= b.waited;
  sum.timeouts -= b.timeouts;
  for (let i = 0; i < b.bins.length; i++) sum.bins[i]! -= b.bins[i]!;
}

/** Exact per-task contention of the events at or after `sinceMs`: `lockstep contention`, store.getContention. */
export function contentionSince(events: Iterable<LockEvent>, sinceMs: number): ContentionStats[] {
  const tracker = new ContentionTracker(Number.POSITIVE_INFINITY, { exact: true });
  for (const e of events) if (Date.parse(e.ts) >= sinceMs) tracker.add(e);
  return tracker.stats(Number.POSITIVE_INFINITY);
}
