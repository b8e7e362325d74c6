// openStateStore() picks the backend from its options. The etcd backend's
// module loads on first use, yet bad options still fail at open, and the
// store's location and settings are known before anything is loaded.
import { describe, expect, it } from 'vitest';
import { FileStateStore, InvalidInputError, openStateStore } from '../engine/index.ts';
import { makeTempDir } from './helpers.ts';
import { freshNamespace, sharedCluster } from './etcd/cluster.ts';

describe('openStateStore', () => {
  it('opens a folder with { root }', () => {
    const root = makeTempDir();
    const store = openStateStore({ root });
    expect(store).toBeInstanceOf(FileStateStore);
    expect(store.location).toEqual({ kind: 'files', root });
  });

  it('checks etcd options at open, before the backend is loaded or a connection tried', () => {
    expect(() => openStateStore({ etcd: { endpoints: [] } })).toThrow(InvalidInputError);
    expect(() => openStateStore({ etcd: { endpoints: ['http://127.0.0.1:2379'], namespace: 'no/slashes' } })).toThrow(InvalidInputError);
    expect(() => openStateStore({ etcd: { endpoints: ['http://127.0.0.1:2379'] }, lease_ms: 1 })).toThrow(InvalidInputError);
  });

  it("knows an etcd store's location and settings at once, and reports an unreachable cluster on first use", async () => {
    const store = openStateStore({ etcd: { endpoints: ['http://127.0.0.1:9/'], namespace: 'team-a' }, max_history: 3 });
    expect(store.location).toEqual({ kind: 'etcd', endpoints: ['http://127.0.0.1:9'], namespace: 'team-a' });
    expect(store.config.max_history).toBe(3);
    const failure = await store.listTaskIds().catch((err: unknown) => err);
    expect(failure).toMatchObject({ code: 'UNAVAILABLE' });
    expect(String((failure as Error).message)).toContain('127.0.0.1:9');
    await store.close();
  }, 30_000);

  it('hands listeners registered before loading over to the etcd store', async () => {
    const cluster = await sharedCluster();
    const store = openStateStore({ etcd: { endpoints: cluster.endpoints, namespace: freshNamespace('open') }, owner: 'open-test' });
    const updates: number[] = [];
    const off = store.on('state.task_updated', (e) => updates.push(e.new_version)); // before anything is loaded
    await store.init();
    await store.updateTaskState('t1', { n: 1 });
    await store.updateTaskState('t1', { n: 2 });
    off();
    await store.updateTaskState('t1', { n: 3 });
    expect(updates).toEqual([1, 2]);
    const reader = store.openLogReader('audit');
    expect((await reader.readNew()).filter((e) => e.task_id === 't1').map((e) => e.new_version)).toEqual([1, 2, 3]);
    await store.close();
  }, 60_000);
});
