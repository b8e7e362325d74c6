// The recent lock log in memory, for the dashboard's lock timeline: every
// acquisition, release, time-out and broken lock the host has read, newest
// last, within the timeline's longest window (24 h) and a fixed count, so a
// busy root cannot grow the host without bound (at 200 commits/s, 24 h would
// be 34 million lines; the timeline then shows the newest ones and says so).
//
// The host starts from the log's recent tail, so older lines of a window
// may be missing from memory: a range reaching back before what the history
// holds whole is read back from the store instead (answerLockEvents).
import type { LockEvent } from '../../shared/model.ts';
import { lowerBound } from '../../shared/sorted.ts';
import type { LockEventRange, StateStore } from '../engine/public.ts';

export const LOCK_HISTORY_MS = 24 * 3600_000;
export const LOCK_HISTORY_MAX = 250_000;
const TRIM_CHUNK = 4096;

export class LockHistory {
  private events: LockEvent[] = [];
  private times: number[] = [];
  private readonly max: number;
  /** From this time (ms) on, every line of the log is here; null before the first read. */
  private whole: number | null = null;

  constructor(max = LOCK_HISTORY_MAX) {
    this.max = max;
  }

  add(batch: readonly LockEvent[]): void {
    const start = this.times.length;
    const first = this.whole === null;
    for (const e of batch) {
      const t = Date.parse(e.ts);
      if (Number.isNaN(t)) continue; // a torn or hand-edited line
      this.events.push(e);
      this.times.push(t);
    }
    // Lines of several processes interleave within a few ms: merge only the batch, and only when needed.
    if (!isSortedFrom(this.times, start)) this.mergeBatchFrom(start);
    // The first read is the log's tail: whole from its oldest line on (from now, if it was empty).
    if (first) this.whole = this.times.length ? this.times[0]! : Date.now();
    const drop = Math.max(firstAtOrAfter(this.times, Date.now() - LOCK_HISTORY_MS), this.events.length - this.max);
    // Trimmed in chunks: copying a quarter-million entries on every patch would cost more than the lines.
    if (drop >= TRIM_CHUNK) {
      this.whole = Math.max(this.whole ?? 0, this.times[drop - 1]! + 1);
      this.events = this.events.slice(drop);
      this.times = this.times.slice(drop);
    }
  }

  /** The newest `limit` events at or after `sinceMs`, oldest first; `total` counts all of them. */
  since(sinceMs: number, limit: number, taskId?: string): LockEventRange {
    return this.range(sinceMs, Number.POSITIVE_INFINITY, limit, taskId);
  }

  /** The newest `limit` events in [fromMs, toMs], oldest first; `total` counts all of them. */
  range(fromMs: number, toMs: number, limit: number, taskId?: string): LockEventRange {
    let list = this.events.slice(firstAtOrAfter(this.times, fromMs), firstAtOrAfter(this.times, toMs + 1));
    if (taskId !== undefined) list = list.filter((e) => e.task_id === taskId);
    return { events: list.slice(Math.max(0, list.length - limit)), total: list.length };
  }

  /** Whether every line of the log from `fromMs` on is in memory. */
  holdsWholeFrom(fromMs: number): boolean {
    return this.whole !== null && fromMs >= this.whole;
  }

  clear(): void {
    this.events = [];
    this.times = [];
    this.whole = null;
  }

  /**
   * Put the batch at [start, end) in time order among the sorted lines before it. Only the lines
   * newer than the batch's oldest move: sorting the whole history on every out-of-order batch cost
   * the host 1.7 s of CPU in a 40 s bench:ui run whose root held a day of lock lines (84,000).
   */
  private mergeBatchFrom(start: number): void {
    const batch = this.events.slice(start).map((e, i) => ({ e, t: this.times[start + i]! }));
    batch.sort((a, b) => a.t - b.t); // stable: equal times keep the order they were read in
    // Lines at the batch's oldest time or earlier stay; equal times keep the earlier read first.
    const from = lowerBound(start, (i) => this.times[i]! <= batch[0]!.t);
    const kept = { events: this.events.slice(from, start), times: this.times.slice(from, start) };
    this.events.length = from;
    this.times.length = from;
    let k = 0;
    let b = 0;
    while (k < kept.times.length || b < batch.length) {
      if (b >= batch.length || (k < kept.times.length && kept.times[k]! <= batch[b]!.t)) {
        this.events.push(kept.events[k]!);
        this.times.push(kept.times[k++]!);
      } else {
        this.events.push(batch[b]!.e);
        this.times.push(batch[b++]!.t);
      }
    }
  }
}

/** Whether the entries from `start` on (a new batch) keep the order; earlier ones are sorted already. */
function isSortedFrom(times: number[], start: number): boolean {
  for (let i = Math.max(1, start); i < times.length; i++) if (times[i]! < times[i - 1]!) return false;
  return true;
}

/** First index whose time is >= t. */
function firstAtOrAfter(times: number[], t: number): number {
  return lowerBound(times.length, (i) => times[i]! < t);
}

export interface LockEventsRequest {
  /** The last `windowMs`, up to now… */
  windowMs?: number;
  /** …or a range the user picked (ms since the epoch). */
  from?: number;
  to?: number;
  taskId?: string;
  limit: number;
}

/** getLockEvents: from memory when it holds the whole range, else read back from the store. */
export function answerLockEvents(
  history: LockHistory,
  store: StateStore,
  request: LockEventsRequest,
  now = Date.now(),
): Promise<LockEventRange> {
  const fromMs = request.from ?? now - (request.windowMs ?? 0);
  const toMs = request.to ?? now;
  if (history.holdsWholeFrom(fromMs)) return Promise.resolve(history.range(fromMs, toMs, request.limit, request.taskId));
  return store.readLockEvents({ fromMs, toMs, limit: request.limit, taskId: request.taskId });
}
