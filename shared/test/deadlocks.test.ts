import { describe, expect, it } from 'vitest';
import { describeDeadlock, findDeadlocks, queuesOf, type LockParty, type LockQueue } from '../deadlocks.ts';
import type { HolderInfo, TaskLocks } from '../model.ts';

const p = (pid: number, mode: LockParty['mode'] = 'write', owner = `agent-${pid}`): LockParty => ({ pid, host: 'h', owner, mode });
const q = (task_id: string, holders: LockParty[], waiters: LockParty[] = []): LockQueue => ({ task_id, holders, waiters });

describe('findDeadlocks', () => {
  it('finds a 2-cycle: each holds one task and waits for the other', () => {
    const cycles = findDeadlocks([q('t1', [p(1)], [p(2)]), q('t2', [p(2)], [p(1)])]);
    expect(cycles).toEqual([
      [
        { owner: 'agent-1', pid: 1, host: 'h', holds: 't1', waits_for: 't2', mode: 'write' },
        { owner: 'agent-2', pid: 2, host: 'h', holds: 't2', waits_for: 't1', mode: 'write' },
      ],
    ]);
    expect(describeDeadlock(cycles[0]!)).toBe(
      'agent-1 (pid 1) holds t1, waits for t2 → agent-2 (pid 2) holds t2, waits for t1 → agent-1 (pid 1)',
    );
  });

  it('finds a 3-cycle in order, starting at its smallest member', () => {
    const cycles = findDeadlocks([q('a', [p(3)], [p(5)]), q('b', [p(5)], [p(4)]), q('c', [p(4)], [p(3)])]);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]!.map((m) => [m.pid, m.holds, m.waits_for])).toEqual([
      [3, 'a', 'c'],
      [4, 'c', 'b'],
      [5, 'b', 'a'],
    ]);
  });

  it('a chain of waits is no deadlock, nor are readers sharing a lock', () => {
    expect(findDeadlocks([q('t1', [p(1)], [p(2)]), q('t2', [p(2)], [p(3)])])).toEqual([]);
    // 1 reads t1 and waits to read t2; 2 reads t2 and waits to read t1: readers do not block readers.
    expect(findDeadlocks([q('t1', [p(1, 'read')], [p(2, 'read')]), q('t2', [p(2, 'read')], [p(1, 'read')])])).toEqual([]);
  });

  it('a reader queued behind a waiting writer waits for it (first come, first served)', () => {
    // t1 is read by 3; writer 2 queues, then reader 1 (who could share with 3, but must wait behind 2).
    // 2 also waits for t2, which 1 holds: 1 → 2 → 1.
    const cycles = findDeadlocks([q('t1', [p(3, 'read')], [p(2, 'write'), p(1, 'read')]), q('t2', [p(1)], [p(2)])]);
    expect(cycles.map((c) => c.map((m) => m.pid))).toEqual([[1, 2]]);
  });

  it('never reports a process waiting for itself', () => {
    expect(findDeadlocks([q('t1', [p(1, 'read')], [p(1, 'write')])])).toEqual([]);
  });

  it('reports separate deadlocks separately', () => {
    const cycles = findDeadlocks([q('a', [p(1)], [p(2)]), q('b', [p(2)], [p(1)]), q('c', [p(7)], [p(8)]), q('d', [p(8)], [p(7)])]);
    expect(cycles.map((c) => c.map((m) => m.pid))).toEqual([
      [1, 2],
      [7, 8],
    ]);
  });

  it('the same pid on two hosts is two processes', () => {
    const other = { ...p(2), host: 'other' };
    expect(findDeadlocks([q('t1', [p(1)], [other]), q('t2', [p(2)], [p(1)])])).toEqual([]);
  });

  it('handles a long ring of agents without deep recursion', () => {
    const n = 5000;
    const queues = Array.from({ length: n }, (_, i) => q(`t${i}`, [p(i + 1)], [p(((i + n - 1) % n) + 1)]));
    const cycles = findDeadlocks(queues);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toHaveLength(n);
  });
});

describe('queuesOf', () => {
  const holder = (pid: number, extra: Partial<HolderInfo> = {}): HolderInfo => ({
    task_id: '',
    mode: 'write',
    token: `tok${pid}`,
    pid,
    host: 'h',
    start: null,
    owner: `agent-${pid}`,
    acquired_at: new Date().toISOString(),
    expires_at: new Date(Date.now() + 60_000).toISOString(),
    alive: 'alive',
    expired: false,
    pending: false,
    ...extra,
  });
  const waiter = (task_id: string, pid: number) => ({
    task_id,
    mode: 'write' as const,
    pid,
    host: 'h',
    owner: `agent-${pid}`,
    since: new Date().toISOString(),
  });
  const locks = (task_id: string, writer: HolderInfo, waiters: ReturnType<typeof waiter>[]): TaskLocks => ({
    task_id,
    writer: { ...writer, task_id },
    readers: [],
    waiters,
  });

  it('a cycle through a dead or expired holder is no deadlock: its lock is reclaimed', () => {
    const live = [locks('t1', holder(1), [waiter('t1', 2)]), locks('t2', holder(2), [waiter('t2', 1)])];
    expect(findDeadlocks(queuesOf(live))).toHaveLength(1);
    const dead = [locks('t1', holder(1, { alive: 'dead' }), [waiter('t1', 2)]), locks('t2', holder(2), [waiter('t2', 1)])];
    expect(findDeadlocks(queuesOf(dead))).toEqual([]);
    const expired = [locks('t1', holder(1, { expired: true }), [waiter('t1', 2)]), locks('t2', holder(2), [waiter('t2', 1)])];
    expect(findDeadlocks(queuesOf(expired))).toEqual([]);
  });
});
