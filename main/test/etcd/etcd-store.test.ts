// The etcd backend against a real 3-member cluster (started once per run by
// cluster.ts): commits, conflicts, history, audit, limits, lock order,
// checkpoints and the change feed. Each test uses its own namespace.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Etcd3 } from 'etcd3';
import type { StoreChange } from '../../engine/backend.ts';
import { EtcdStateStore } from '../../engine/etcd/index.ts';
import { ClusterUnavailableError, InvalidInputError, LockTimeoutError, VersionConflictError } from '../../engine/errors.ts';
import type { AuditEntry, TaskState } from '../../../shared/model.ts';
import { sleep } from '../helpers.ts';
import { sharedCluster } from './cluster.ts';
import { CutProxy } from './cut-proxy.ts';
import { closeStores, etcdFixture } from './setup.ts';

afterEach(closeStores);

let raw: Etcd3 | null = null;
async function rawClient(): Promise<Etcd3> {
  raw ??= new Etcd3({ hosts: (await sharedCluster()).endpoints });
  return raw;
}
afterAll(() => raw?.close());

async function keysUnder(prefix: string): Promise<string[]> {
  return (await rawClient()).getAll().prefix(prefix).keys();
}

describe('etcd commits', () => {
  it('commits versions, keeps max_history earlier ones in etcd, and logs each commit in the same Txn', async () => {
    const { store, ns } = await etcdFixture('commit', { max_history: 3, owner: 'writer' });
    let state: TaskState | null = null;
    for (let i = 1; i <= 12; i++) state = await store.updateTaskState('t1', { step: i });
    expect(state).toMatchObject({ task_id: 't1', version: 12, step: 12, updated_by: { owner: 'writer' } });

    expect((await store.getTaskHistory('t1')).map((s) => s.version)).toEqual([12, 11, 10, 9]);
    const page = await store.getTaskHistoryPage('t1', 2);
    expect(page.versions.map((s) => s.version)).toEqual([12, 11]);
    expect(page.omitted).toBe(2);
    // Pruned in the commits themselves: etcd holds exactly the window.
    expect((await keysUnder(`${ns}/tasks/t1/history/`)).length).toBe(4);

    const audit = await store.readAuditLog({ task: 't1' });
    expect(audit.map((e) => e.new_version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(audit[0]).toMatchObject({
      change_type: 'task_updated',
      owner: 'writer',
      old_version: null,
      description: 'created task t1 (+step)',
    });
    expect(audit[1]!.description).toBe('updated task t1 (~step)');
  });

  it('refuses a stale expected version and writes nothing', async () => {
    const { store } = await etcdFixture('conflict');
    await store.updateTaskState('t', { a: 1 });
    await store.updateTaskState('t', { a: 2 });
    const err = await store.updateTaskState('t', { a: 99 }, { expectedVersion: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VersionConflictError);
    expect(err).toMatchObject({ expectedVersion: 1, actualVersion: 2 });
    // Ahead of the current version is as wrong as behind it.
    await expect(store.updateTaskState('t', { a: 99 }, { expectedVersion: 5 })).rejects.toBeInstanceOf(VersionConflictError);
    expect(await store.getTaskState('t')).toMatchObject({ version: 2, a: 2 });
    expect(await store.updateTaskState('t', { a: 3 }, { expectedVersion: 2 })).toMatchObject({ version: 3, a: 3 });
  });

  it('merges onto the current state when another client committed since (no lost field)', async () => {
    const fx = await etcdFixture('merge');
    const a = fx.store;
    const b = fx.another();
    await a.updateTaskState('t', { from_a: 1 });
    await b.updateTaskState('t', { from_b: 1 }); // a's remembered state is now behind
    const next = await a.updateTaskState('t', { from_a: 2 });
    expect(next).toMatchObject({ version: 3, from_a: 2, from_b: 1 });
    expect((await b.getTaskHistory('t')).map((s) => s.version)).toEqual([3, 2, 1]);
  });

  it('recognises its own commit when the answer was lost and the Txn resent (an ambiguous commit)', async () => {
    const fx = await etcdFixture('ambiguous');
    await fx.store.updateTaskState('t', { counter: 0 });
    const member = new URL(fx.cluster.endpoints[0]!);
    const proxy = new CutProxy({ host: member.hostname, port: Number(member.port) });
    const viaProxy = new EtcdStateStore({ etcd: { endpoints: [await proxy.start()], namespace: fx.ns } });
    try {
      const current = (await viaProxy.getTaskState('t'))!;
      proxy.arm();
      // Applied by etcd, answer cut: the client sees "unavailable", sends again, and the resent
      // Txn's compare fails on this very write. Without the operation id that is a conflict.
      const next = await viaProxy.updateTaskState('t', { counter: 1 }, { expectedVersion: current.version });
      expect(proxy.cuts).toBe(1);
      expect(next).toMatchObject({ version: 2, counter: 1 });
    } finally {
      await viaProxy.close();
      await proxy.stop();
    }
    expect((await fx.store.getTaskHistory('t')).map((s) => s.version)).toEqual([2, 1]);
    expect((await fx.store.readAuditLog({ task: 't' })).map((e) => e.new_version)).toEqual([1, 2]); // logged once
  });

  it('refuses a value over the etcd request limit before sending it', async () => {
    const { store } = await etcdFixture('limit');
    await store.updateTaskState('t', { small: true });
    const err = await store.updateTaskState('t', { blob: 'x'.repeat(800 * 1024) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(/limit is 716800.*etcd/);
    expect(await store.getTaskState('t')).toMatchObject({ version: 1 });
    expect(await store.getTaskHistory('t')).toHaveLength(1);
  });

  it('names the endpoints when the cluster cannot be reached', async () => {
    const store = new EtcdStateStore({ etcd: { endpoints: ['http://127.0.0.1:1', 'http://127.0.0.1:2'], namespace: 'nowhere' } });
    const started = Date.now();
    const err = await store.getTaskState('t').catch((e: unknown) => e);
    await store.close();
    expect(err).toBeInstanceOf(ClusterUnavailableError);
    expect(err).toMatchObject({ code: 'UNAVAILABLE' });
    expect((err as Error).message).toContain('http://127.0.0.1:1, http://127.0.0.1:2');
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

describe('etcd locks', () => {
  it('grants shared and exclusive locks in arrival order: readers together, a writer alone, nobody overtakes', async () => {
    const fx = await etcdFixture('fifo');
    const stores = [fx.store, fx.another(), fx.another(), fx.another(), fx.another()];
    const order: string[] = [];
    const first = await stores[0]!.acquireLock('t', 'write');
    // Queue behind the writer, one after the other: r1, r2 (readers), w2 (writer), r3 (reader).
    const queued: { name: string; mode: 'read' | 'write' }[] = [
      { name: 'r1', mode: 'read' },
      { name: 'r2', mode: 'read' },
      { name: 'w2', mode: 'write' },
      { name: 'r3', mode: 'read' },
    ];
    const pending = [];
    for (const [i, q] of queued.entries()) {
      const p = stores[i + 1]!.acquireLock('t', q.mode, { timeout: 20_000 }).then((lock) => {
        order.push(q.name);
        return lock;
      });
      pending.push(p);
      p.catch(() => {}); // a failed assertion below leaves waiters behind; they fail when the stores close
      // Each is in the queue before the next arrives.
      await expect.poll(async () => (await fx.store.lockSummaries(['t']))[0]?.waiters.length, { timeout: 5000 }).toBe(i + 1);
    }
    expect(order).toEqual([]);
    await stores[0]!.releaseLock(first);
    const [r1, r2] = await Promise.all([pending[0]!, pending[1]!]);
    await sleep(300);
    // Both readers hold at once (granted together, in either order); w2 waits, and so does r3 behind it.
    expect([...order].sort()).toEqual(['r1', 'r2']);
    const summary = (await fx.store.lockSummaries(['t']))[0]!;
    expect(summary.writer).toBeNull();
    expect(summary.readers.map((r) => r.mode)).toEqual(['read', 'read']);
    expect(summary.waiters.map((w) => w.mode)).toEqual(['write', 'read']);

    await stores[1]!.releaseLock(r1);
    await sleep(200);
    expect(order).toHaveLength(2);
    await stores[2]!.releaseLock(r2);
    const w2 = await pending[2]!;
    await sleep(200);
    expect(order.slice(2)).toEqual(['w2']);
    await stores[3]!.releaseLock(w2);
    await pending[3]!;
    expect(order.slice(2)).toEqual(['w2', 'r3']);
  });

  it('makes an unlocked commit wait for a held write lock, and times out cleanly', async () => {
    const fx = await etcdFixture('waits', { lock_timeout_ms: 400 });
    const other = fx.another();
    await fx.store.updateTaskState('t', { a: 1 });
    const lock = await fx.store.acquireLock('t', 'write');
    const err = await other.updateTaskState('t', { a: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockTimeoutError);
    expect((err as Error).message).toMatch(/timed out after \d+ ms waiting for the write lock on t held by/);
    expect(await fx.store.lockSummaries(['t'])).toMatchObject([{ waiters: [] }]); // the timed-out waiter left the queue
    const committing = other.updateTaskState('t', { a: 3 }, { timeout: 5000 });
    await sleep(100);
    await fx.store.updateTaskState('t', { by_holder: true }, { lock });
    await fx.store.releaseLock(lock);
    expect(await committing).toMatchObject({ version: 3, a: 3, by_holder: true });
    const contention = await fx.store.getContention();
    expect(contention[0]).toMatchObject({ task_id: 't', timeouts: 1 });
  });
});

describe('etcd checkpoints', () => {
  it('snapshots a session, restores it in fenced batches, and undoes the restore', async () => {
    const { store } = await etcdFixture('checkpoint');
    const session = await store.createSession({ branch: 'x' });
    for (let i = 0; i < 40; i++) await store.updateTaskState(`task-${i}`, { value: i, status: 'in_progress' }, { session: session.id });
    const checkpoint = await store.createCheckpoint(session.id, 'before');
    expect(checkpoint.task_count).toBe(40);
    for (let i = 0; i < 40; i += 2) await store.updateTaskState(`task-${i}`, { value: -1 });

    const preview = await store.previewRestore(checkpoint.id);
    expect(preview.items.filter((item) => !item.unchanged).map((item) => item.task_id)).toHaveLength(20);
    const result = await store.restoreCheckpoint(checkpoint.id);
    expect(result.restored).toHaveLength(40);
    expect(result.changed.sort()).toEqual(Array.from({ length: 20 }, (_, k) => `task-${k * 2}`).sort());
    const untouched = await store.getTaskState('task-1');
    expect(untouched).toMatchObject({ version: 1, value: 1 }); // compared first, never rewritten
    expect(await store.getTaskState('task-0')).toMatchObject({ version: 3, value: 0 });

    const undo = await store.restoreCheckpoint(result.undo_checkpoint_id!);
    expect(undo.changed).toHaveLength(20);
    expect(await store.getTaskState('task-0')).toMatchObject({ version: 4, value: -1 });
    expect((await store.listCheckpoints()).map((c) => c.undo_of ?? null).filter(Boolean)).toHaveLength(2);
  });

  it('stays consistent while writers move values between tasks', async () => {
    const fx = await etcdFixture('consistent');
    const session = await fx.store.createSession();
    const ids = Array.from({ length: 20 }, (_, i) => `acct-${String(i).padStart(2, '0')}`);
    for (const id of ids) await fx.store.updateTaskState(id, { balance: 100 }, { session: session.id });
    let running = true;
    let movedSoFar = 0; // both movers' moves, read while they run
    const mover = async (store: EtcdStateStore, seed: number) => {
      let moves = 0;
      while (running) {
        const a = ids[(seed * 7 + moves * 3) % ids.length]!;
        const b = ids[(seed * 11 + moves * 5 + 1) % ids.length]!;
        if (a === b) {
          moves++;
          movedSoFar++;
          continue;
        }
        const [first, second] = [a, b].sort();
        const l1 = await store.acquireLock(first!, 'write', { timeout: 20_000 });
        const l2 = await store.acquireLock(second!, 'write', { timeout: 20_000 });
        try {
          const sa = (await store.getTaskState(a))!.balance as number;
          const sb = (await store.getTaskState(b))!.balance as number;
          await store.updateTaskState(a, { balance: sa - 7 }, { lock: a === first ? l1 : l2 });
          await store.updateTaskState(b, { balance: sb + 7 }, { lock: b === first ? l1 : l2 });
        } finally {
          await store.releaseLock(l2);
          await store.releaseLock(l1);
        }
        moves++;
        movedSoFar++;
      }
      return moves;
    };
    const movers = [mover(fx.another(), 1), mover(fx.another(), 2)];
    const sums: number[] = [];
    // At least 8 checkpoints, and more until the movers have really moved: how many moves fit into 8
    // checkpoints depends on how the cores are shared, and each checkpoint takes every task's read lock.
    const deadline = Date.now() + 60_000;
    for (let i = 0; i < 8 || (movedSoFar <= 5 && Date.now() < deadline); i++) {
      const checkpoint = await fx.store.createCheckpoint(session.id, `while-moving-${i}`);
      sums.push(Object.values(checkpoint.tasks).reduce((sum, t) => sum + (t.balance as number), 0));
    }
    running = false;
    const moves = await Promise.all(movers);
    expect(moves[0]! + moves[1]!).toBeGreaterThan(5);
    expect(sums.length).toBeGreaterThanOrEqual(8);
    expect(sums).toEqual(sums.map(() => 2000));
  });
});

describe('etcd change feed', () => {
  it('reports every change after the cursor, and the audit entries of every version', async () => {
    const fx = await etcdFixture('feed');
    await fx.store.updateTaskState('before', { x: 1 });
    const cursor = await fx.store.feedCursor();
    const changes: StoreChange[] = [];
    const reader = fx.store.openLogReader('audit');
    await reader.readNew(); // the tail so far
    const seen: AuditEntry[] = [];
    let reading = Promise.resolve();
    const feed = fx.store.watch(
      {
        onChange: (c) => {
          changes.push(c);
          if (c.kind === 'log') reading = reading.then(async () => void seen.push(...(await reader.readNew())));
        },
        onStatus: () => {},
        onRescan: async () => {},
      },
      cursor,
    );
    await feed.start();
    const writer = fx.another();
    for (let i = 1; i <= 300; i++) await writer.updateTaskState('busy', { i });
    const lock = await writer.acquireLock('busy', 'read');
    await writer.releaseLock(lock);
    const session = await writer.createSession();
    await expect.poll(() => changes.some((c) => c.kind === 'session' && c.sessionId === session.id), { timeout: 10_000 }).toBe(true);
    await expect
      .poll(
        async () => {
          await reading;
          return seen.filter((e) => e.task_id === 'busy').map((e) => e.new_version);
        },
        { timeout: 10_000 },
      )
      .toEqual(Array.from({ length: 300 }, (_, k) => k + 1));
    await feed.close();
    expect(changes.some((c) => c.kind === 'task' && c.taskId === 'before')).toBe(false); // before the cursor
    expect(changes).toContainEqual({ kind: 'task', taskId: 'busy' });
    expect(changes).toContainEqual({ kind: 'lock', taskId: 'busy' });
  });

  it('recovers from a compacted revision: rescans, then follows new changes', async () => {
    const fx = await etcdFixture('compact');
    const cursor = await fx.store.feedCursor();
    for (let i = 0; i < 5; i++) await fx.store.updateTaskState('t', { i });
    const client = await rawClient();
    const now = await fx.store.feedCursor();
    await client.kv.compact({ revision: now, physical: true });
    let rescans = 0;
    const changes: StoreChange[] = [];
    const statuses: (string | null | undefined)[] = [];
    const feed = fx.store.watch(
      {
        onChange: (c) => changes.push(c),
        onStatus: (s) => statuses.push(s.error),
        onRescan: async () => {
          rescans++;
        },
      },
      cursor,
    );
    await feed.start();
    await expect.poll(() => rescans, { timeout: 10_000 }).toBe(1);
    await fx.store.updateTaskState('after', { ok: true });
    await expect.poll(() => changes.some((c) => c.kind === 'task' && c.taskId === 'after'), { timeout: 10_000 }).toBe(true);
    expect(feed.getStatus()).toMatchObject({ mode: 'native', error: null });
    await feed.close();
  });
});
