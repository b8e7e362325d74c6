// Narrow, memo-friendly reads of the mirror. Selectors that derive new
// arrays or objects memoize on their inputs' identity, so zustand sees the
// same value when nothing relevant changed and does not re-render.
import type { TaskRow } from '../../../shared/contract.ts';
import type { HolderInfo, LockWaiter, TaskLocks } from '../../../shared/model.ts';
import { statusBucket, type StatusBucket } from '../../../shared/metrics.ts';
import { holdersOf, isStale } from '../lib/locks.ts';
import type { MirrorData } from './mirror-data.ts';

export interface OverviewCounts {
  activeSessions: number;
  sessions: number;
  tasks: number;
  /** Tasks with at least one holder. */
  lockedTasks: number;
  holders: number;
  waiters: number;
  staleLocks: number;
  issues: number;
}

function memo1<A, R>(compute: (a: A) => R): (a: A) => R {
  let lastArg: A | undefined;
  let lastResult: R | undefined;
  let has = false;
  return (a) => {
    if (!has || a !== lastArg) {
      lastResult = compute(a);
      lastArg = a;
      has = true;
    }
    return lastResult as R;
  };
}

const countActive = memo1((sessions: MirrorData['sessions']) => {
  let n = 0;
  for (const s of sessions.values()) if (s.status === 'active') n++;
  return n;
});

const countLocks = memo1((locks: MirrorData['locks']) => {
  let holders = 0;
  let waiters = 0;
  let stale = 0;
  const now = Date.now();
  for (const lock of locks.values()) {
    const list = holdersOf(lock);
    holders += list.length;
    waiters += lock.waiters.length;
    stale += list.filter((h) => isStale(h, now)).length;
  }
  return { holders, waiters, stale };
});

export function selectCounts(s: MirrorData): OverviewCounts {
  const locks = countLocks(s.locks);
  return {
    activeSessions: countActive(s.sessions),
    sessions: s.sessions.size,
    tasks: s.tasks.size,
    lockedTasks: s.locks.size,
    holders: locks.holders,
    waiters: locks.waiters,
    staleLocks: locks.stale,
    issues: s.issues.length,
  };
}

export type BucketCounts = Record<StatusBucket, number>;

export const selectBuckets = memo1((statusCounts: MirrorData['statusCounts']): BucketCounts => {
  const counts: BucketCounts = { completed: 0, in_progress: 0, failed: 0, other: 0 };
  for (const [status, n] of statusCounts) counts[statusBucket(status || null)] += n;
  return counts;
});

/** Distinct status values, most common first: the status filter's options. */
export const selectStatuses = memo1((statusCounts: MirrorData['statusCounts']): string[] =>
  [...statusCounts.entries()]
    .filter(([status]) => status !== '')
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([status]) => status),
);

/** One row of the holders table: a holder, and the waiters of its task. */
export interface HolderRowData {
  holder: HolderInfo;
  waiters: readonly LockWaiter[];
}

/** Every holder, flattened: tasks with stale holders first, then by task id order. */
export const selectHolders = memo1((locks: MirrorData['locks']): HolderRowData[] => {
  const all = [...locks.values()].flatMap((lock) => holdersOf(lock).map((holder) => ({ holder, waiters: lock.waiters })));
  const now = Date.now();
  return all.sort(
    ({ holder: a }, { holder: b }) =>
      Number(isStale(b, now)) - Number(isStale(a, now)) ||
      a.task_id.localeCompare(b.task_id, 'en', { numeric: true }) ||
      a.mode.localeCompare(b.mode),
  );
});

export function selectTask(id: string): (s: MirrorData) => TaskRow | undefined {
  return (s) => s.tasks.get(id);
}

export function selectTaskLocks(id: string): (s: MirrorData) => TaskLocks | undefined {
  return (s) => s.locks.get(id);
}

export function isEmptyRoot(s: MirrorData): boolean {
  return s.ready && s.tasks.size === 0 && s.sessions.size === 0;
}
