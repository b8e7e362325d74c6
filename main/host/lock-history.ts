// The recent lock log in memory, for the dashboard's lock timeline: every
// acquisition, release, time-out and broken lock the host has read, newest
// last, within the timeline's longest window (24 h) and a fixed count, so a
// busy root cannot grow the host without bound (at 200 commits/s, 24 h would
// be 34 million lines; the timeline then shows the newest ones and says so).
import type { LockEvent } from '../../shared/model.ts';

export const LOCK_HISTORY_MS = 24 * 3600_000;
export const LOCK_HISTORY_MAX = 250_000;
const TRIM_CHUNK = 4096;

export class LockHistory {
  private events: LockEvent[] = [];
  private times: number[] = [];
  private readonly max: number;

  constructor(max = LOCK_HISTORY_MAX) {
    this.max = max;
  }

  add(batch: readonly LockEvent[]): void {
    const start = this.times.length;
    for (const e of batch) {
      const t = Date.parse(e.ts);
      if (Number.isNaN(t)) continue; // a torn or hand-edited line
      this.events.push(e);
      this.times.push(t);
    }
    // Lines of several processes interleave within a few ms: sort only when needed.
    if (!isSortedFrom(this.times, start)) this.sortByTime();
    const drop = Math.max(lowerBound(this.times, Date.now() - LOCK_HISTORY_MS), this.events.length - this.max);
    // Trimmed in chunks: copying a quarter-million entries on every patch would cost more than the lines.
    if (drop >= TRIM_CHUNK) {
      this.events = this.events.slice(drop);
      this.times = this.times.slice(drop);
    }
  }

  /** The newest `limit` events at or after `sinceMs`, oldest first; `total` counts all of them. */
  since(sinceMs: number, limit: number, taskId?: string): { events: LockEvent[]; total: number } {
    let from = lowerBound(this.times, sinceMs);
    let list = this.events.slice(from);
    if (taskId !== undefined) list = list.filter((e) => e.task_id === taskId);
    from = Math.max(0, list.length - limit);
    return { events: list.slice(from), total: list.length };
  }

  clear(): void {
    this.events = [];
    this.times = [];
  }

  private sortByTime(): void {
    const order = this.events.map((e, i) => ({ e, t: this.times[i]! }));
    order.sort((a, b) => a.t - b.t);
    this.events = order.map((o) => o.e);
    this.times = order.map((o) => o.t);
  }
}

/** Whether the entries from `start` on (a new batch) keep the order; earlier ones are sorted already. */
function isSortedFrom(times: number[], start: number): boolean {
  for (let i = Math.max(1, start); i < times.length; i++) if (times[i]! < times[i - 1]!) return false;
  return true;
}

/** First index whose time is >= t. */
function lowerBound(times: number[], t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
