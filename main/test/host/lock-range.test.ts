// StateStore.readLockEvents: a time range of the lock log read back, on both
// backends, bounded by its limit (the host's getLockEvents uses it for
// ranges older than its in-memory tail: lock-history.test.ts).
import { expect, it } from 'vitest';
import { describeBackends } from '../backends.ts';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
    expect(all.total).toBe(6);
    expect(all.events.map((e) => `${e.task_id} ${e.outcome}`)).toEqual([
      'early acquired',
      'early released',
      'late-a acquired',
      'late-a released',
      'late-b acquired',
      'late-b released',
    ]);
    const later = await store.readLockEvents({ fromMs: middle, toMs: end, limit: 100 });
    expect(later.events.map((e) => e.task_id)).toEqual(['late-a', 'late-a', 'late-b', 'late-b']);
    expect(await store.readLockEvents({ fromMs: middle, toMs: end, limit: 100, taskId: 'late-b' })).toMatchObject({ total: 2 });
    const capped = await store.readLockEvents({ fromMs: middle - 60_000, toMs: end, limit: 2 });
    expect(capped.total).toBe(6);
    expect(capped.events.map((e) => `${e.task_id} ${e.outcome}`)).toEqual(['late-b acquired', 'late-b released']);
    expect(await store.readLockEvents({ fromMs: end + 1000, toMs: end + 2000, limit: 10 })).toEqual({ events: [], total: 0 });
  });
});
