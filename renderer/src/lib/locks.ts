// What a task's lock looks like at a glance, from its holders. The engine
// lists one holder per reader plus the writer, each carrying the same
// waiter list, so waiters are deduplicated here.
import type { LockHolder, LockWaiter } from '../../../shared/model.ts';

export interface TaskLockSummary {
  /** The writer, if any (pending: still waiting for readers to drain). */
  writer: LockHolder | null;
  readers: number;
  waiters: LockWaiter[];
  /** Some holder is dead or past its expiry: it blocks others for nothing. */
  stale: boolean;
}

export const NO_LOCK: TaskLockSummary = { writer: null, readers: 0, waiters: [], stale: false };

/** Expired by the clock now, not only when main last looked. */
export function isExpired(holder: LockHolder, now: number): boolean {
  if (holder.expired) return true;
  const at = Date.parse(holder.expires_at);
  return Number.isFinite(at) && at <= now;
}

export function isStale(holder: LockHolder, now: number): boolean {
  return holder.alive === 'dead' || isExpired(holder, now);
}

export function summarizeLock(holders: readonly LockHolder[] | undefined, now: number): TaskLockSummary {
  if (!holders || holders.length === 0) return NO_LOCK;
  let writer: LockHolder | null = null;
  let readers = 0;
  let stale = false;
  const waiters = new Map<string, LockWaiter>();
  for (const h of holders) {
    if (h.mode === 'write') writer = h;
    else readers++;
    if (isStale(h, now)) stale = true;
    for (const w of h.waiters) waiters.set(`${w.host}:${w.pid}:${w.mode}:${w.since}`, w);
  }
  return { writer, readers, waiters: [...waiters.values()], stale };
}

/** Sort weight: write held > writer pending > readers > none; waiters break ties. */
export function lockWeight(summary: TaskLockSummary): number {
  const base = summary.writer ? (summary.writer.pending ? 3 : 4) : summary.readers > 0 ? 2 : 0;
  return base * 10_000 + Math.min(9_999, summary.waiters.length * 100 + summary.readers);
}
