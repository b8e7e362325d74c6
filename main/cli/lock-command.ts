import { describeDeadlock, findDeadlocks, queuesOf } from '../../shared/deadlocks.ts';
import type { LockHolder, LockMode, TaskLocks } from '../../shared/model.ts';
import { LockTimeoutError, type StateStore } from '../engine/public.ts';
import { table, type Output } from './output.ts';

/**
 * `lock acquire`: print the record as one JSON line as soon as the lock is
 * held, keep it (refreshing the lease) for --hold ms or until SIGINT/SIGTERM,
 * then release it. People and tests use this to create contention on purpose.
 * If the lock is lost while held (this process was stopped past its lease and
 * another took it over), it says so on stderr and exits 4 at once.
 */
export async function holdLock(
  store: StateStore,
  out: Output,
  id: string,
  mode: LockMode,
  options: { hold?: number; timeout?: number; owner?: string },
): Promise<number> {
  const lock = await store.acquireLock(id, mode, {
    timeout: options.timeout,
    owner: options.owner ?? `cli:${process.pid}`,
    heartbeat: true,
  });
  const { token: _token, start: _start, ...record } = lock.record;
  out.line({ ...record, path: lock.path });
  const lost = await new Promise<boolean>((resolve) => {
    const done = (wasLost: boolean) => {
      clearTimeout(timer);
      stopWatching();
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(wasLost);
    };
    const stop = () => done(false);
    const stopWatching = store.on('state.lock_lost', (e) => {
      if (e.token === lock.record.token) done(true);
    });
    const timer = options.hold !== undefined ? setTimeout(stop, options.hold) : setInterval(() => {}, 1 << 30);
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  const stillOurs = await store.releaseLock(lock);
  if (lost || !stillOurs) {
    return out.error(
      new LockTimeoutError(
        `lost the ${mode} lock on ${id}: its lease ran out while this process was stopped, and another process took it over`,
        { task_id: id, mode },
      ),
    );
  }
  return 0;
}

/**
 * `locks`: every holder (the stable array with --json), and any deadlock in
 * the waits-for graph as one line each. `--deadlocks` makes the JSON an
 * object, `{locks, deadlocks: [[member, …], …]}`, from one listing.
 */
export async function listLocks(store: StateStore, out: Output, withDeadlocks: boolean): Promise<number> {
  const holders = await store.listLocks();
  const deadlocks = findDeadlocks(queuesOf(summariesOf(holders)));
  const locks = holders.map(({ token: _t, start: _s, ...rest }) => rest);
  const human = () => {
    const listing = table(
      locks.map((l) => ({ ...l, waiters: l.waiters.length })),
      ['task_id', 'mode', 'owner', 'pid', 'host', 'alive', 'expires_at', 'waiters'],
    );
    const cycles = deadlocks.map((cycle) => `deadlock: ${describeDeadlock(cycle)}`);
    return [listing, ...cycles].join('\n');
  };
  out.result(withDeadlocks ? { locks, deadlocks } : locks, human);
  return 0;
}

/** `lockstep locks` lists holders, each with its task's waiters: back to one lock per task. */
function summariesOf(holders: LockHolder[]): TaskLocks[] {
  const byTask = new Map<string, TaskLocks>();
  for (const { waiters, ...h } of holders) {
    let s = byTask.get(h.task_id);
    if (!s) byTask.set(h.task_id, (s = { task_id: h.task_id, writer: null, readers: [], waiters }));
    if (h.mode === 'write' && !s.writer) s.writer = h;
    else s.readers.push(h);
  }
  return [...byTask.values()];
}
