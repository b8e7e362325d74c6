// The StateStore contract (engine/backend.ts) through the library, the same
// cases on the file backend and on etcd: versions and history, restores,
// sessions, locks and their errors, logs and integrity. Bad ids, bad
// payloads and forged engine fields are refused on both backends in
// bad-input.test.ts. What only one backend has (files on disk, the CLI) is
// tested in the other suites.
import { expect, it } from 'vitest';
import { InvalidInputError, LockTimeoutError, NotFoundError, VersionConflictError } from '../engine/errors.ts';
import { describeBackends } from './backends.ts';
import { sleep } from './helpers.ts';

describeBackends('the store contract', (backend) => {
  it('merges updates, counts versions, keeps max_history earlier ones and restores an earlier one as a new version', async () => {
    const store = await backend.open({ max_history: 3 });
    for (let i = 1; i <= 8; i++) await store.updateTaskState('t', { [`k${i % 2}`]: i });
    expect(await store.getTaskState('t')).toMatchObject({ version: 8, k0: 8, k1: 7 });
    expect((await store.getTaskHistory('t')).map((s) => s.version)).toEqual([8, 7, 6, 5]);
    expect(await store.getTaskHistoryPage('t', 1)).toMatchObject({ versions: [{ version: 8 }], omitted: 3 });
    const restored = await store.restoreTaskVersion('t', 6);
    expect(restored).toMatchObject({ version: 9, k0: 6, k1: 5 });
    await expect(store.restoreTaskVersion('t', 2)).rejects.toBeInstanceOf(NotFoundError); // pruned
    expect((await store.readAuditLog({ task: 't' })).at(-1)).toMatchObject({
      change_type: 'task_restored',
      old_version: 8,
      new_version: 9,
    });
  });

  it('refuses a stale or future expected version, naming both versions', async () => {
    const store = await backend.open();
    await store.updateTaskState('t', { a: 1 });
    await store.updateTaskState('t', { a: 2 });
    for (const expectedVersion of [0, 1, 3]) {
      const err = await store.updateTaskState('t', { a: 9 }, { expectedVersion }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VersionConflictError);
      expect(err).toMatchObject({ expectedVersion, actualVersion: 2 });
    }
    await expect(store.updateTaskState('t', { a: 9 }, { expectedVersion: -1 })).rejects.toBeInstanceOf(InvalidInputError);
    expect(await store.updateTaskState('fresh', { a: 1 }, { expectedVersion: 0 })).toMatchObject({ version: 1 });
    expect(await store.getTaskState('t')).toMatchObject({ version: 2, a: 2 });
  });

  it("sees another client's commits (another process opening the same state)", async () => {
    const store = await backend.open();
    const other = backend.reopen(store);
    await store.updateTaskState('t', { from: 'first' });
    await other.updateTaskState('t', { by_other: true });
    expect(await store.getTaskState('t')).toMatchObject({ version: 2, from: 'first', by_other: true });
    expect(await store.listTasks()).toEqual([await other.getTaskState('t')]);
  });

  it('links tasks to sessions, computes their metrics, and refuses an unknown session writing nothing', async () => {
    const store = await backend.open();
    const session = await store.createSession({ branch: 'x' });
    expect(session).toMatchObject({ status: 'active', task_ids: [], options: { branch: 'x' } });
    await store.updateTaskState('a', { status: 'completed' }, { session: session.id });
    await store.updateTaskState('b', { status: 'in_progress' }, { session: session.id });
    expect(await store.getSession(session.id)).toMatchObject({
      task_ids: ['a', 'b'],
      metrics: { total_tasks: 2, completed: 1, in_progress: 1, failed: 0 },
    });
    await expect(store.updateTaskState('c', { x: 1 }, { session: '2000-01-01-001' })).rejects.toBeInstanceOf(NotFoundError);
    expect(await store.getTaskState('c')).toBeNull();
    const updated = await store.updateSession(session.id, { status: 'paused', id: 'forged' });
    expect(updated).toMatchObject({ id: session.id, status: 'paused' });
    expect(await store.getActiveSessions()).toEqual([]);
    expect((await store.listSessions()).map((s) => s.id)).toEqual([session.id]);
    await expect(store.getSession('2000-01-01-001')).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.updateSession(session.id, { task_ids: ['../x'] })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('makes a writer wait for a held write lock, shares read locks, and times out with LockTimeoutError', async () => {
    const store = await backend.open({ owner: 'holder' });
    const other = backend.reopen(store, { owner: 'waiter' });
    const r1 = await store.acquireLock('t', 'read');
    const r2 = await other.acquireLock('t', 'read', { timeout: 1000 }); // readers share
    await expect(other.acquireLock('t', 'write', { timeout: 200 })).rejects.toBeInstanceOf(LockTimeoutError);
    expect((await store.listLocks()).map((h) => h.mode)).toEqual(['read', 'read']);
    await store.releaseLock(r1);
    await other.releaseLock(r2);
    const w = await store.acquireLock('t', 'write');
    const [summary] = await store.lockSummaries(['t', '../bad']);
    expect(summary).toMatchObject({ task_id: 't', writer: { mode: 'write', owner: 'holder', pid: process.pid }, readers: [] });
    const blocked = other.updateTaskState('t', { by: 'waiter' }, { timeout: 5000 });
    await sleep(200);
    await store.updateTaskState('t', { by: 'holder' }, { lock: w });
    expect(await store.refreshLock(w)).toBe(true);
    expect(await store.releaseLock(w)).toBe(true);
    expect(await blocked).toMatchObject({ version: 2, by: 'waiter' });
    expect(await store.listLocks()).toEqual([]);
    const stats = await store.getContention();
    expect(stats.find((s) => s.task_id === 't')).toMatchObject({ timeouts: 1 });
  });

  it('refuses to commit under a read lock or a lock on another task', async () => {
    const store = await backend.open();
    const read = await store.acquireLock('t', 'read');
    await expect(store.updateTaskState('t', { a: 1 }, { lock: read })).rejects.toBeInstanceOf(InvalidInputError);
    await store.releaseLock(read);
    const other = await store.acquireLock('u', 'write');
    await expect(store.updateTaskState('t', { a: 1 }, { lock: other })).rejects.toBeInstanceOf(InvalidInputError);
    await store.releaseLock(other);
    expect(await store.getTaskState('t')).toBeNull();
  });

  it('reports a clean state as clean, and a missing task as not found', async () => {
    const store = await backend.open();
    await store.updateTaskState('t', { a: 1 });
    expect(await store.verifyAllStates()).toEqual([]);
    expect(await store.verifyTaskState('t')).toEqual([]);
    expect(await store.recoverTaskState('t')).toMatchObject({ recovered: false, state: { version: 1 } });
    await expect(store.recoverTaskState('nope')).rejects.toBeInstanceOf(NotFoundError);
    expect(await store.inspectTask('t')).toMatchObject({ state: { version: 1 }, damage: null });
    expect(await store.inspectTask('nope')).toEqual({ state: null, bytes: 0, damage: null });
    expect(await store.collectGarbage()).toMatchObject({ removed: 0 });
  });

  it('follows the audit log: the recent tail first, then only what was appended', async () => {
    const store = await backend.open();
    await store.updateTaskState('t', { a: 1 });
    const reader = store.openLogReader('audit');
    expect((await reader.readNew()).map((e) => e.new_version)).toEqual([1]);
    expect(await reader.readNew()).toEqual([]);
    await backend.reopen(store).updateTaskState('t', { a: 2 });
    expect((await reader.readNew()).map((e) => [e.change_type, e.new_version])).toEqual([['task_updated', 2]]);
    const locks = store.openLogReader('locks');
    await locks.readNew();
    const lock = await store.acquireLock('t', 'write');
    await store.releaseLock(lock);
    const outcomes: string[] = [];
    const ours = (await locks.readNew()).filter((e) => e.token === lock.record.token);
    outcomes.push(...ours.map((e) => e.outcome));
    await expect
      .poll(
        async () => {
          outcomes.push(...(await locks.readNew()).filter((e) => e.token === lock.record.token).map((e) => e.outcome));
          // On etcd two lines of the same millisecond written together may come in either order (keys <ms>-<op>).
          return [...outcomes].sort();
        },
        { timeout: 5000 },
      )
      .toEqual(['acquired', 'released']);
  });
});
