// What a task's lock looks like at a glance, from the one summary per task
// the host sends (shared/model.ts TaskLocks).
import type { HolderInfo, LockWaiter, TaskLocks } from '../../../shared/model.ts';

export interface TaskLockSummary {
  /** The writer, if any (pending: still waiting for readers to drain). */
  writer: HolderInfo | null;
  readers: number;
  waiters: LockWaiter[];
  /** Some holder is dead or past its expiry: it blocks others for nothing. */
  stale: boolean;
}

export const NO_LOCK: TaskLockSummary = { writer: null, readers: 0, waiters: [], stale: false };

/** Expired by the clock now, not only when main last looked. */
export function isExpired(holder: HolderInfo, now: number): boolean {
  if (holder.expired) return true;
  const at = Date.parse(holder.expires_at);
  return Number.isFinite(at) && at <= now;
}

export function isStale(holder: HolderInfo, now: number): boolean {
  return holder.alive === 'dead' || isExpired(holder, now);
}

export function summarizeLock(locks: TaskLocks | undefined, now: number): TaskLockSummary {
  if (!locks) return NO_LOCK;
  const { writer, readers, waiters } = locks;
  const stale = (writer !== null && isStale(writer, now)) || readers.some((h) => isStale(h, now));
  return { writer, readers: readers.length, waiters, stale };
}

/** Every holder of a task's lock, the writer first. */
export function holdersOf(locks: TaskLocks): HolderInfo[] {
  return locks.writer ? [locks.writer, ...locks.readers] : locks.readers;
}
/** Sort weight: write held > writer pending > readers > none; waiters break ties. */
export function lockWeight(summary: TaskLockSummary): number {
  const base = summary.writer ? (summary.writer.pending ? 3 : 4) : summary.readers > 0 ? 2 : 0;
  return base * 10_000 + Math.min(9_999, summary.waiters.length * 100 + summary.readers);
}
