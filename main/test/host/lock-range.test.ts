// StateStore.readLockEvents: a time range of the lock log read back, on both
// backends, bounded by its limit (the host's getLockEvents uses it for
// ranges older than its in-memory tail: lock-history.test.ts).
import { expect, it } from 'vitest';
import type { LockEvent } from '../../../shared/model.ts';
import { describeBackends } from '../backends.ts';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const label = (e: LockEvent) => `${e.task_id} ${e.outcome}`;
const ms = (e: LockEvent) => Date.parse(e.ts);

/**
 * `events` are the `expected` lines, oldest first. On etcd, lines stamped in the same millisecond may come
 * in either order: their keys are `<ms>-<random op id>`, so a range read returns them in op-id order (a
 * hold's acquisition and release share a millisecond when the release's round trip takes less than one:
 * rare here, seen in CI by the contract test); wherever the times differ, the order is the expected one.
 * A folder's log keeps the order of its appends, so there it is exact (`exact`).
 */
function expectOldestFirst(events: LockEvent[], expected: string[], exact: boolean): void {
  expect(events.map(ms)).toEqual(events.map(ms).sort((a, b) => a - b));
  const rank = (e: LockEvent) => expected.indexOf(label(e));
  expect([...events].sort((a, b) => ms(a) - ms(b) || rank(a) - rank(b)).map(label)).toEqual(expected);
  if (exact) expect(events.map(label)).toEqual(expected);
}

describeBackends('lock log read back by time range', (backend) => {
  it('returns the lines of the range oldest first, of one task if asked, and keeps the newest when over the limit', async () => {
    const store = await backend.open({ owner: 'agent-1' });
    // Real lock lines: each hold logs its acquisition and its release (the release line may land just after the call returns).
    const hold = async (task: string) => store.releaseLock(await store.acquireLock(task));
    const lines = async (fromMs: number, n: number) => {
      for (let tries = 0; tries < 100; tries++) {
        if ((await store.readLockEvents({ fromMs, toMs: Date.now() + 1000, limit: 100 })).total >= n) return;
        await pause(20);
      }
    };
    const start = Date.now();
    await hold('early');
    await lines(start, 2);
    await pause(30);
    const middle = Date.now();
    await pause(30);
    await hold('late-a');
    await hold('late-b');
    await lines(start, 6);
    const end = Date.now() + 1;

    const all = await store.readLockEvents({ fromMs: middle - 60_000, toMs: end, limit: 100 });
    const exact = backend.name === 'files';
    expect(all.total).toBe(6);
    expectOldestFirst(
      all.events,
      ['early acquired', 'early released', 'late-a acquired', 'late-a released', 'late-b acquired', 'late-b released'],
      exact,
    );
    const later = await store.readLockEvents({ fromMs: middle, toMs: end, limit: 100 });
    expectOldestFirst(later.events, ['late-a acquired', 'late-a released', 'late-b acquired', 'late-b released'], exact);
    expect(await store.readLockEvents({ fromMs: middle, toMs: end, limit: 100, taskId: 'late-b' })).toMatchObject({ total: 2 });
    const capped = await store.readLockEvents({ fromMs: middle - 60_000, toMs: end, limit: 2 });
    expect(capped.total).toBe(6);
    // The newest two: late-b's, unless late-a's release shares a millisecond with late-b's acquisition;
    // then the two kept are still two of the newest to the millisecond.
    const times = all.events.map(ms).sort((a, b) => a - b);
    expect(capped.events.map(ms).sort((a, b) => a - b)).toEqual(times.slice(-2));
    if (exact || times.at(-3)! < times.at(-2)!) expectOldestFirst(capped.events, ['late-b acquired', 'late-b released'], exact);
    expect(await store.readLockEvents({ fromMs: end + 1000, toMs: end + 2000, limit: 10 })).toEqual({ events: [], total: 0 });
  });
});
