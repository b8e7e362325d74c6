// Found while making the robustness run work on etcd: a lock's enqueue Txn
// whose answer is lost (a member killed after applying it) is resent by
// etcd3 to another member and applied twice. The key keeps the first
// revision; the lock must use that one as its fencing token, or its holder's
// commits are refused as if its lease had run out, and its release leaves the
// key behind on a live lease, locking the task until the process exits.
import { afterEach, describe, expect, it } from 'vitest';
import { EtcdStateStore } from '../../engine/etcd/index.ts';
import { freshNamespace, sharedCluster } from '../etcd/cluster.ts';
import { CutProxy } from '../etcd/cut-proxy.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

describe('etcd lock whose enqueue answer was lost', () => {
  it('commits under the lock, releases it, and leaves no key behind', async () => {
    const cluster = await sharedCluster();
    const ns = freshNamespace('resend');
    const member = new URL(cluster.endpoints[0]!);
    const proxy = new CutProxy({ host: member.hostname, port: Number(member.port) });
    // One endpoint through the proxy, two direct: etcd3 resends a cut request to any of them.
    const holder = new EtcdStateStore({
      etcd: { endpoints: [await proxy.start(), ...cluster.endpoints.slice(1)], namespace: ns },
      lease_ms: 10_000,
    });
    const other = new EtcdStateStore({ etcd: { endpoints: cluster.endpoints.slice(1), namespace: ns } });
    cleanups.push(
      () => proxy.stop(),
      () => holder.close(),
      () => other.close(),
    );
    await holder.updateTaskState('t', { n: 0 });
    await holder.releaseLock(await holder.acquireLock('t', 'write')); // the lease exists: the next acquire is one Txn

    // etcd3 picks a member per request: aim the cut at the enqueue (the one request that carries a new
    // lock record under the task's lock prefix), and ask again until etcd3 sends one through the proxy.
    // Nothing else is cut, so etcd3 never marks the proxied member as failing and keeps choosing it.
    const enqueue = (chunk: Buffer) => chunk.includes(`${ns}/tasks/t/locks/`) && chunk.includes('"acquired_at"');
    for (let attempt = 1; ; attempt++) {
      const before = proxy.cuts;
      proxy.arm(enqueue);
      const asked = Date.now();
      const lock = await holder.acquireLock('t', 'write', { timeout: 5000 });
      proxy.disarm();
      // Nobody else holds it: a wait means a key of ours was left behind (as from an earlier resent enqueue).
      expect(Date.now() - asked, `a free lock took ${Date.now() - asked} ms (attempt ${attempt})`).toBeLessThan(3000);
      if (proxy.cuts > before) {
        expect(await holder.updateTaskState('t', { n: 1 }, { lock })).toMatchObject({ version: 2, n: 1 });
        expect(await holder.releaseLock(lock)).toBe(true);
        break;
      }
      await holder.releaseLock(lock);
      expect(attempt, 'etcd3 never sent an enqueue through the proxy').toBeLessThan(200);
    }
    expect(await other.lockSummaries(['t'])).toEqual([]);
    const started = Date.now();
    await other.releaseLock(await other.acquireLock('t', 'write', { timeout: 5000 }));
    // A key of ours left behind would block it until the 5 s time-out (the holder's lease is still alive);
    // 3 s rather than 1 s leaves room for this store's first lease grant and Txn on a loaded machine.
    expect(Date.now() - started).toBeLessThan(3000);
  }, 120_000);
});
