// Requirement 6 (locking): time-outs, version conflicts, shared readers and
// writer priority, all across real processes, on both backends.
import { expect, it } from 'vitest';
import { LockTimeoutError, VersionConflictError } from '../engine/index.ts';
import type { StateStore } from '../engine/backend.ts';
import type { LockHolder } from '../../shared/model.ts';
import { describeBackends, runCliOn, spawnCliOn, type Backend } from './backends.ts';
import { cleanUpAfterEach, type Proc, sleep, spawnWorker } from './helpers.ts';

cleanUpAfterEach();

async function holdLock(
  backend: Backend,
  store: StateStore,
  task: string,
  mode: 'read' | 'write',
  owner: string,
): Promise<{ proc: Proc; record: Record<string, unknown> }> {
  const proc = spawnCliOn(backend, store, ['--json', 'lock', 'acquire', task, '--mode', mode, '--hold', '30000', '--owner', owner]);
  const record = await proc.waitForJson(undefined, 30_000);
  return { proc, record };
}

describeBackends('lock time-out', (backend) => {
  it('an update blocked by a held write lock fails after its timeout (library and CLI exit 4)', async () => {
    const store = await backend.open();
    const before = await store.updateTaskState('busy', { n: 1 });

    const holder = await holdLock(backend, store, 'busy', 'write', 'holder');
    expect(holder.record).toMatchObject({ task_id: 'busy', mode: 'write', pid: holder.proc.pid, owner: 'holder' });

    const started = Date.now();
    const err = await store.updateTaskState('busy', { n: 2 }, { timeout: 300 }).then(
      () => null,
      (e: unknown) => e,
    );
    const waited = Date.now() - started;
    expect(err).toBeInstanceOf(LockTimeoutError);
    expect(waited).toBeGreaterThanOrEqual(290);
    // Ignoring the 300 ms would wait the default 5 s; 3 s leaves room for etcd round trips on loaded cores.
    expect(waited).toBeLessThan(3000);
    // The error says who holds the lock.
    expect((err as LockTimeoutError).message).toContain(`pid ${holder.proc.pid}`);
    expect((err as LockTimeoutError).details).toMatchObject({ task_id: 'busy', holder: { pid: holder.proc.pid, owner: 'holder' } });

    const cli = await runCliOn(backend, store, ['--json', 'task', 'update', 'busy', '{"n":3}', '--timeout', '300']);
    expect(cli.code).toBe(4);
    expect(cli.stdout).toBe('');
    expect(cli.stderr.trim().split('\n')).toHaveLength(1);
    const cliError = (JSON.parse(cli.stderr) as { error: { code: string; message: string } }).error;
    expect(cliError.code).toBe('LOCK_TIMEOUT');
    // The wall time includes Node start-up; the wait itself is reported in the message.
    const cliWaited = Number(/timed out after (\d+) ms/.exec(cliError.message)?.[1]);
    expect(cliWaited).toBeGreaterThanOrEqual(290);
    expect(cliWaited).toBeLessThan(3000);
    expect(cli.ms).toBeGreaterThanOrEqual(300);
    // Start-up on etcd also loads the gRPC client: seconds more on 2 shared cores, not a longer wait.
    expect(cli.ms).toBeLessThan(backend.name === 'etcd' ? 15_000 : 8000);

    // A second `lock acquire` times out the same way.
    const second = await runCliOn(backend, store, ['--json', 'lock', 'acquire', 'busy', '--timeout', '300', '--hold', '0']);
    expect(second.code).toBe(4);

    // Nothing was written, and the time-outs are on record.
    expect(await store.getTaskState('busy')).toEqual(before);
    expect(
      (await store.readAuditLog()).filter((e) => e.change_type === 'lock_timeout' && e.task_id === 'busy').length,
    ).toBeGreaterThanOrEqual(3);
    expect((await store.getContention()).find((c) => c.task_id === 'busy')).toMatchObject({ timeouts: 3 });

    holder.proc.signal('SIGTERM');
    expect((await holder.proc.waitExit()).code).toBe(0);
    expect(await store.listLocks()).toEqual([]);
    expect((await store.updateTaskState('busy', { n: 4 }, { timeout: 300 })).version).toBe(2);
  }, 60_000); // four CLI processes start one after another on 2 shared cores
});

describeBackends('version conflicts', (backend) => {
  it('a stale expectedVersion is refused, naming both versions (library, and CLI exit 3)', async () => {
    const store = await backend.open();
    await store.updateTaskState('t', { title: 'one' }, { expectedVersion: 0 });
    await store.updateTaskState('t', { title: 'two' }, { expectedVersion: 1 });

    const err = await store.updateTaskState('t', { title: 'stale' }, { expectedVersion: 1 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(VersionConflictError);
    const conflict = err as VersionConflictError;
    expect(conflict.expectedVersion).toBe(1);
    expect(conflict.actualVersion).toBe(2);
    expect(conflict.message).toMatch(/expected version 1\b.*current version is 2\b/);
    expect(conflict.code).toBe('VERSION_CONFLICT');

    // Creating with expectedVersion 0 fails once the task exists.
    await expect(store.updateTaskState('t', { title: 'create' }, { expectedVersion: 0 })).rejects.toBeInstanceOf(VersionConflictError);

    const cli = await runCliOn(backend, store, ['--json', 'task', 'update', 't', '{"title":"cli"}', '--expect-version', '1']);
    expect(cli.code).toBe(3);
    expect(cli.stdout).toBe('');
    const message = (JSON.parse(cli.stderr) as { error: { code: string; message: string } }).error;
    expect(message.code).toBe('VERSION_CONFLICT');
    expect(message.message).toContain('1');
    expect(message.message).toContain('2');
    const human = await runCliOn(backend, store, ['task', 'update', 't', '{"title":"cli"}', '--expect-version', '5']);
    expect(human.code).toBe(3);
    expect(human.stderr).toMatch(/^lockstep: .*expected version 5.*current version is 2/);

    expect(await store.getTaskState('t')).toMatchObject({ version: 2, title: 'two' });
    const ok = await runCliOn(backend, store, ['--json', 'task', 'update', 't', '{"title":"three"}', '--expect-version', '2']);
    expect(ok.code).toBe(0);
    expect(ok.json).toMatchObject({ version: 3, title: 'three' });
  }, 30_000);
});

describeBackends('readers and writers', (backend) => {
  it('two read-lock holders in two processes hold the lock at the same time; a writer waits for both', async () => {
    const store = await backend.open();
    await store.updateTaskState('shared', { n: 1 });
    const r1 = await holdLock(backend, store, 'shared', 'read', 'reader-1');
    // The second reader gets in while the first still holds its lock.
    const r2 = await holdLock(backend, store, 'shared', 'read', 'reader-2');
    expect(r1.proc.child.exitCode).toBeNull();
    expect(r1.record).toMatchObject({ mode: 'read', pid: r1.proc.pid });
    expect(r2.record).toMatchObject({ mode: 'read', pid: r2.proc.pid });

    const locks = await runCliOn(backend, store, ['--json', 'locks']);
    const holders = locks.json as LockHolder[];
    expect(holders.map((h) => [h.mode, h.pid, h.owner]).sort()).toEqual(
      [
        ['read', r1.proc.pid, 'reader-1'],
        ['read', r2.proc.pid, 'reader-2'],
      ].sort(),
    );
    for (const h of holders) expect(h).toMatchObject({ task_id: 'shared', alive: 'alive', expired: false });

    // Readers exclude writers.
    await expect(store.updateTaskState('shared', { n: 2 }, { timeout: 300 })).rejects.toBeInstanceOf(LockTimeoutError);
    // Reading the state needs no lock and is not blocked.
    expect(await store.getTaskState('shared')).toMatchObject({ version: 1 });

    r1.proc.signal('SIGTERM');
    await r1.proc.waitExit();
    await expect(store.updateTaskState('shared', { n: 2 }, { timeout: 300 })).rejects.toBeInstanceOf(LockTimeoutError);
    r2.proc.signal('SIGTERM');
    await r2.proc.waitExit();
    expect((await store.updateTaskState('shared', { n: 2 }, { timeout: 1000 })).version).toBe(2);
  }, 30_000);

  it('a writer is not starved by a continuous stream of readers from several processes', async () => {
    const store = await backend.open();
    await store.updateTaskState('hot', { n: 0 });
    const readers = Array.from({ length: 4 }, () =>
      spawnWorker('reader-stream', [...backend.workerArgs(store), '--task', 'hot', '--hold', '15']),
    );
    await Promise.all(readers.map((r) => r.waitForLine((l) => l === 'ready', 30_000)));
    await sleep(300); // let the stream settle: readers overlap, there is always one holding

    const timings: number[] = [];
    for (let i = 1; i <= 3; i++) {
      const started = Date.now();
      await store.updateTaskState('hot', { n: i }, { timeout: 5000 });
      timings.push(Date.now() - started);
      await sleep(100);
    }
    // And a writer in another process, through the CLI.
    const cli = await runCliOn(backend, store, ['--json', 'task', 'update', 'hot', '{"n":4}', '--timeout', '5000']);
    expect(cli.code).toBe(0);
    expect(cli.json).toMatchObject({ version: 5, n: 4 });

    for (const r of readers) r.signal('SIGTERM');
    const results = await Promise.all(readers.map((r) => r.waitForJson<{ count: number; errors: unknown[] }>()));
    for (const r of readers) expect((await r.waitExit(10_000)).code).toBe(0);
    // Starving would mean the 5 s time-out; 4 s (not 2.5) leaves room for a loaded machine with 4 reader processes.
    for (const t of timings) expect(t).toBeLessThan(4000);
    for (const r of results) {
      expect(r.errors).toEqual([]);
      expect(r.count).toBeGreaterThan(10); // the readers really were streaming
    }
    expect(await store.getTaskState('hot')).toMatchObject({ version: 5, n: 4 });
  }, 60_000);
});
