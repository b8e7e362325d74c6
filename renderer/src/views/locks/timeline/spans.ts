// Lock log lines → what the timeline draws: holds (a wait bar from request to
// grant, then a hold bar until release), waits that ended in a time-out, and
// marks for time-outs and broken locks. Pure, so it is unit-tested and the
// canvas only paints.
//
// A released line carries its own wait and hold, so a hold whose acquisition
// fell outside the window is still whole. An acquisition with no release yet
// is open: still held (or its holder died and nobody has broken it yet).
import type { LockEvent, LockMode, TaskLocks } from '../../../../../shared/model.ts';
import { lowerBound } from '../../../../../shared/sorted.ts';

export interface Party {
  task: string;
  owner: string;
  pid: number;
  host: string;
  mode: LockMode;
}

export interface Hold extends Party {
  requested: number;
  granted: number;
  /** null: not released yet. */
  released: number | null;
  /** How it ended: released, taken over while stopped (lost), broken as stale, or still open. */
  end: 'released' | 'lost' | 'broken' | 'open';
}

export interface Mark extends Party {
  /** timeout, broken: when it happened; waiting: when the wait began (it runs to now). */
  at: number;
  kind: 'timeout' | 'broken' | 'waiting';
  /** timeout: how long it waited (from at - wait to at). */
  wait: number;
  reason?: string;
}

export interface Spans {
  holds: Hold[];
  marks: Mark[];
}

const partyOf = (e: LockEvent): Party => ({ task: e.task_id, owner: e.owner || 'unnamed', pid: e.pid, host: e.host ?? '', mode: e.mode });

/** Events in any order; spans come out sorted by request time. Session locks are left out (they are not tasks). */
export function buildSpans(events: readonly LockEvent[]): Spans {
  const sorted = [...events].sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  const holds: Hold[] = [];
  const marks: Mark[] = [];
  const open = new Map<string, Hold>();
  const seenReleases = new Set<string>();
  for (const e of sorted) {
    if (e.task_id.startsWith('session:')) continue;
    const t = Date.parse(e.ts);
    if (Number.isNaN(t)) continue;
    const key = e.token ? `${e.host ?? ''}\u0000${e.token}` : null;
    switch (e.outcome) {
      case 'acquired': {
        if (key && seenReleases.has(key)) break; // its release came first (same millisecond): already whole
        // Lines from before releases were logged have no token: their hold length is unknown, shown as an instant.
        const hold: Hold = {
          ...partyOf(e),
          requested: t - e.wait_ms,
          granted: t,
          released: key ? null : t,
          end: key ? 'open' : 'released',
        };
        holds.push(hold);
        if (key) open.set(key, hold);
        break;
      }
      case 'released': {
        const end = e.lost ? 'lost' : 'released';
        const hold = key ? open.get(key) : undefined;
        if (hold) {
          hold.released = t;
          hold.end = end;
          open.delete(key!);
        } else {
          const granted = t - (e.hold_ms ?? 0);
          holds.push({ ...partyOf(e), requested: granted - e.wait_ms, granted, released: t, end });
          if (key) seenReleases.add(key);
        }
        break;
      }
      case 'timeout':
        marks.push({ ...partyOf(e), at: t, kind: 'timeout', wait: e.wait_ms });
        break;
      case 'broken': {
        const hold = key ? open.get(key) : undefined;
        if (hold) {
          hold.released = t;
          hold.end = 'broken';
          open.delete(key!);
        }
        marks.push({ ...partyOf(e), at: t, kind: 'broken', wait: 0, reason: e.reason });
        break;
      }
    }
  }
  holds.sort((a, b) => a.requested - b.requested);
  return { holds, marks };
}

let cached: { events: readonly LockEvent[]; spans: Spans } | null = null;

/** buildSpans for the feed's current lines, computed once however many views ask. */
export function spansOf(events: readonly LockEvent[]): Spans {
  if (cached?.events !== events) cached = { events, spans: buildSpans(events) };
  return cached.spans;
}

export interface Blocking {
  holder: string;
  waiter: string;
  task: string;
  /** Total time the waiter waited while the holder held the task, in the window. */
  ms: number;
  /** How many of the waiter's waits the holder was part of. */
  waits: number;
}

/**
 * Who blocked whom: for every wait (request → grant, or → time-out) on a
 * task, the time each other holder of that task held it meanwhile, clipped
 * to [from, to]. Most time first. Holders blocking themselves (two async
 * paths of one process) are not counted.
 */
export function whoBlocksWhom(spans: Spans, from: number, to: number, now: number): Blocking[] {
  const byTask = holdsByTask(spans);
  const totals = new Map<string, Blocking>();
  const add = (h: Hold, waiter: Party, a: number, b: number) => {
    if (h.pid === waiter.pid && h.host === waiter.host) return;
    const overlap = Math.min(b, h.released ?? now) - Math.max(a, h.granted);
    if (overlap <= 0) return;
    const key = `${h.owner}\u0000${waiter.owner}\u0000${waiter.task}`;
    const row = totals.get(key) ?? { holder: h.owner, waiter: waiter.owner, task: waiter.task, ms: 0, waits: 0 };
    row.ms += overlap;
    row.waits += 1;
    totals.set(key, row);
  };
  const count = (waiter: Party, start: number, end: number) => {
    const a = Math.max(start, from);
    const b = Math.min(end, to);
    const entry = byTask.get(waiter.task);
    if (b <= a || !entry) return;
    const { released, open } = entry;
    for (let i = firstRequestedAtOrAfter(released, a - entry.longest); i < released.length; i++) {
      const h = released[i]!;
      if (h.requested >= b) break; // requested after the wait ended: granted after it too
      add(h, waiter, a, b);
    }
    for (const h of open) if (h.requested < b) add(h, waiter, a, b);
  };
  for (const h of spans.holds) if (h.granted > h.requested) count(h, h.requested, h.granted);
  for (const m of spans.marks) if (m.kind === 'timeout' && m.wait > 0) count(m, m.at - m.wait, m.at);
  return [...totals.values()].sort((x, y) => y.ms - x.ms || x.holder.localeCompare(y.holder));
}

/** A task's released holds (sorted by request) with the longest of them, and its open ones (they reach to now). */
interface TaskHolds {
  released: Hold[];
  longest: number;
  open: Hold[];
}

const taskHolds = new WeakMap<Spans, Map<string, TaskHolds>>();

/**
 * Per task, so that each wait looks only at holds that can overlap it, not at every hold of the
 * task. Built once per set of spans: who blocked whom is asked again every second (its window
 * moves), and rebuilding this for 50,000 holds each time was most of that second's work.
 */
function holdsByTask(spans: Spans): Map<string, TaskHolds> {
  let byTask = taskHolds.get(spans);
  if (byTask) return byTask;
  byTask = new Map();
  for (const h of spans.holds) {
    let entry = byTask.get(h.task);
    if (!entry) byTask.set(h.task, (entry = { released: [], longest: 0, open: [] }));
    if (h.released === null) entry.open.push(h);
    else {
      entry.released.push(h);
      entry.longest = Math.max(entry.longest, h.released - h.requested);
    }
  }
  taskHolds.set(spans, byTask);
  return byTask;
}

/** Index of the first hold (sorted by `requested`) requested at or after `t`: a binary search. */
export function firstRequestedAtOrAfter(holds: readonly Hold[], t: number): number {
  return lowerBound(holds.length, (i) => holds[i]!.requested < t);
}

/** Waits going on now (from the live lock model): not in the log until they end, drawn from their start to now. */
export function liveWaits(locks: Iterable<TaskLocks>, taskId?: string): Mark[] {
  const out: Mark[] = [];
  for (const l of locks) {
    if (taskId !== undefined && l.task_id !== taskId) continue;
    for (const w of l.waiters) {
      const at = Date.parse(w.since);
      if (!Number.isNaN(at))
        out.push({ task: l.task_id, owner: w.owner || 'unnamed', pid: w.pid, host: w.host, mode: w.mode, at, kind: 'waiting', wait: 0 });
    }
  }
  return out;
}
