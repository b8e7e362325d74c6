// The same host on the etcd backend: it reads only through the store's
// contract and its change feed, so a cluster's tasks, sessions, locks and
// audit entries reach the dashboard like a folder's.
import { afterEach, describe, expect, it } from 'vitest';
import { openStateStore, type StateStore } from '../../engine/index.ts';
import { freshNamespace, sharedCluster } from '../etcd/cluster.ts';
import { StateHost } from '../../host/state-host.ts';

let host: StateHost | null = null;
const stores: StateStore[] = [];

afterEach(async () => {
  await host?.close();
  host = null;
  await Promise.allSettled(stores.splice(0).map((s) => s.close()));
});

async function until(check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A fresh namespace on the shared cluster, and an initialised client writing there (closed after the test). */
async function namespaceWithWriter(prefix: string) {
  const cluster = await sharedCluster();
  const etcd = { endpoints: cluster.endpoints, namespace: freshNamespace(prefix) };
  const writer = openStateStore({ etcd, owner: 'agent-1' });
  stores.push(writer);
  await writer.init();
  return { cluster, etcd, writer };
}

describe('StateHost on an etcd cluster', () => {
  it('shows a task, a session, a lock holder and the activity written by another client, live', async () => {
    const { cluster, etcd, writer } = await namespaceWithWriter('host');
    await writer.updateTaskState('before', { status: 'todo' }); // in the first snapshot

    host = new StateHost({ etcd });
    await host.start();
    expect(host.root).toBe(`etcd://${cluster.endpoints.join(',')}/${etcd.namespace}`);
    expect(host.snapshot().tasks.map((t) => t.task_id)).toEqual(['before']);
    await host.whenWatching();

    const session = await writer.createSession({ branch: 'feature/etcd' });
    await writer.updateTaskState('build', { status: 'in_progress' }, { session: session.id });
    await until(() => host!.snapshot().tasks.some((t) => t.task_id === 'build' && t.status === 'in_progress'));
    await until(() => host!.snapshot().sessions.find((s) => s.id === session.id)?.metrics.in_progress === 1);
    await until(() => host!.snapshot().activity.some((a) => a.change_type === 'task_updated' && a.task_id === 'build'));

    const lock = await writer.acquireLock('build', 'write');
    await until(() => host!.snapshot().locks.find((l) => l.task_id === 'build')?.writer?.owner === 'agent-1');
    await writer.releaseLock(lock);
    await until(() => !host!.snapshot().locks.some((l) => l.task_id === 'build'));
    expect(host.snapshot().legacyFile).toBeNull();
  }, 60_000);

  it('closed while it reads its first snapshot from the cluster: no watch starts on the closed store, nothing goes unhandled', async () => {
    const { etcd, writer } = await namespaceWithWriter('host-close');
    for (let i = 0; i < 10; i++) await writer.updateTaskState(`t${i}`, { n: i });
    const unhandled: unknown[] = [];
    const note = (err: unknown) => unhandled.push(err);
    process.on('unhandledRejection', note);
    try {
      const h = new StateHost({ etcd });
      const starting = h.start();
      // The window (CI, the app quitting while it opened a cluster): the feed exists, created before the
      // snapshot and started after it, and the snapshot is being read over the network. Nothing public
      // says when that is, so the private field is looked at on every tick.
      const feedOf = () => (h as unknown as { feed: unknown }).feed;
      while (feedOf() === null) await new Promise((r) => setImmediate(r));
      await h.close();
      await starting.catch(() => {}); // a read cut short by the close may fail: that is not the point
      await new Promise((r) => setTimeout(r, 500)); // a late rejection surfaces within a few ticks
    } finally {
      process.off('unhandledRejection', note);
    }
    expect(unhandled.map(String)).toEqual([]);
  }, 60_000);
});
