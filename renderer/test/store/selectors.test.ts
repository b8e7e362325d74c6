import { describe, expect, it } from 'vitest';
import { holder, locks, row, session, snapshot } from '../fixtures.ts';
import { lockWeight, NO_LOCK, summarizeLock } from '../../src/lib/locks.ts';
import { fromSnapshot } from '../../src/store/mirror-data.ts';
import { isEmptyRoot, selectBuckets, selectCounts, selectHolders, selectStatuses } from '../../src/store/selectors.ts';

const waiter = { task_id: 'a', mode: 'write' as const, pid: 7, host: 'h', owner: 'agent-3', since: '2026-01-01T00:00:00Z' };

describe('selectors', () => {
  const data = fromSnapshot(
    snapshot({
      tasks: [
        row('a', { status: 'completed' }),
        row('b', { status: 'in_progress' }),
        row('c', { status: 'in_progress' }),
        row('d', { status: 'blocked' }),
      ],
      sessions: [session('s1'), session('s2', { status: 'completed' })],
      locks: [locks('a', [holder('a'), holder('a', { mode: 'read', token: 'r' })], [waiter]), locks('b', [holder('b', { alive: 'dead' })])],
      issues: [{ kind: 'stale_lock', path: '/x', message: 'dead', task_id: 'b', recoverable: true }],
    }),
  );

  it('counts sessions, tasks, holders, waiters, stale locks and issues', () => {
    expect(selectCounts(data)).toEqual({
      activeSessions: 1,
      sessions: 2,
      tasks: 4,
      lockedTasks: 2,
      holders: 3,
      waiters: 1,
      staleLocks: 1,
      issues: 1,
    });
  });

  it('buckets statuses and lists distinct statuses by frequency', () => {
    expect(selectBuckets(data.statusCounts)).toEqual({ completed: 1, in_progress: 2, failed: 0, other: 1 });
    expect(selectStatuses(data.statusCounts)).toEqual(['in_progress', 'blocked', 'completed']);
  });

  it('memoizes on input identity', () => {
    expect(selectStatuses(data.statusCounts)).toBe(selectStatuses(data.statusCounts));
    expect(selectHolders(data.locks)).toBe(selectHolders(data.locks));
  });

  it('puts stale holders first', () => {
    expect(selectHolders(data.locks)[0]?.holder.task_id).toBe('b');
    expect(selectHolders(data.locks).find((r) => r.holder.task_id === 'a')?.waiters).toEqual([waiter]);
  });

  it('knows an empty root', () => {
    expect(isEmptyRoot(fromSnapshot(snapshot()))).toBe(true);
    expect(isEmptyRoot(data)).toBe(false);
  });
});

describe('lock summaries', () => {
  it('summarizes writer, readers, waiters and staleness', () => {
    const now = Date.parse('2026-06-01T00:00:00Z');
    const s = summarizeLock(locks('a', [holder('a', { pending: true }), holder('a', { mode: 'read', token: 'r' })], [waiter]), now);
    expect(s.writer?.pending).toBe(true);
    expect(s.readers).toBe(1);
    expect(s.waiters).toHaveLength(1);
    expect(s.stale).toBe(false);
    expect(summarizeLock(locks('a', [holder('a', { mode: 'read', expires_at: '2026-01-01T00:00:00Z' })]), now).stale).toBe(true);
    expect(summarizeLock(undefined, now)).toBe(NO_LOCK);
  });

  it('weights write > pending write > readers > none', () => {
    const now = 0;
    const write = lockWeight(summarizeLock(locks('a', [holder('a')]), now));
    const pending = lockWeight(summarizeLock(locks('a', [holder('a', { pending: true })]), now));
    const read = lockWeight(summarizeLock(locks('a', [holder('a', { mode: 'read' })]), now));
    expect(write).toBeGreaterThan(pending);
    expect(pending).toBeGreaterThan(read);
    expect(read).toBeGreaterThan(lockWeight(NO_LOCK));
  });
});
