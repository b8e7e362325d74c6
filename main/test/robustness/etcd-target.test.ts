// The etcd run's evidence: the raw reads the observer makes, and the dump the
// checker judges, compared with what the store itself reports, on the run's
// shared cluster.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StateStore } from '../../engine/backend.ts';
import { freshNamespace, sharedCluster } from '../etcd/cluster.ts';
import { dumpNamespace, EtcdRawReader, loadDump } from './etcd-target.ts';
import { openRunStore, type Target } from './target.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

async function populated(): Promise<{
  target: Extract<Target, { backend: 'etcd' }>;
  store: StateStore;
  session: string;
  checkpoint: string;
}> {
  const cluster = await sharedCluster();
  const target = { backend: 'etcd' as const, endpoints: cluster.endpoints, namespace: freshNamespace('torture') };
  const store = openRunStore(target, 'test');
  cleanups.push(() => store.close());
  await store.init();
  const session = (await store.createSession({ purpose: 'dump test' })).id;
  await store.updateTaskState('t1', { counter: 0, ops: [] }, { session });
  await store.updateTaskState('t1', { counter: 1, ops: ['a'] });
  await store.updateTaskState('t2', { note: 'x' });
  const checkpoint = (await store.createCheckpoint(session, 'test')).id;
  await store.updateTaskState('t1', { counter: 2, ops: ['a', 'b'] });
  return { target, store, session, checkpoint };
}

describe('robustness run on etcd: raw reads and the dump', () => {
  it('reads the stored versions and the session without the engine; a missing task is missing', async () => {
    const { target, session } = await populated();
    const raw = new EtcdRawReader(target);
    cleanups.push(() => raw.close());
    expect(await raw.taskVersion('t1')).toEqual({ raw: 3 });
    expect(await raw.taskVersion('t2')).toEqual({ raw: 1 });
    expect(await raw.taskVersion('t9')).toEqual({ raw: null, raw_problem: 'missing' });
    expect(await raw.sessionTaskIds(session)).toEqual(['t1']);
  });

  it('dumps at one revision exactly the history, checkpoints and session the store reports, each version with its own write id', async () => {
    const { target, store, session, checkpoint } = await populated();
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-dump-test-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'etcd-dump.jsonl');
    const revision = await dumpNamespace(target, file);
    const dump = loadDump(file, target.namespace, ['t1', 't2'], session);

    expect(dump.revision).toBe(revision);
    expect(dump.raw_versions).toEqual({ t1: 3, t2: 1 });
    for (const task of ['t1', 't2']) {
      const versions = (await store.getTaskHistory(task)).reverse();
      expect(Object.values(dump.history[task]!)).toEqual(versions.map((state) => ({ ok: true, state })));
    }
    expect(new Set(Object.values(dump.write_ids.t1!)).size).toBe(3);
    expect(dump.session_task_ids).toEqual(['t1']);
    const saved = await store.getCheckpoint(checkpoint);
    expect(dump.checkpoints[checkpoint]).toEqual({ id: checkpoint, session_task_ids: ['t1'], tasks: saved.tasks });
  });

  it('reports a raw read no member answered as unreachable (not judged), not as a missing state', async () => {
    const raw = new EtcdRawReader({ backend: 'etcd', endpoints: ['http://127.0.0.1:9'], namespace: 'nobody' });
    cleanups.push(() => raw.close());
    expect(await raw.taskVersion('t1')).toEqual({ raw: null, raw_problem: 'unreachable' });
    expect(await raw.sessionTaskIds('S')).toBeUndefined();
  });
});
