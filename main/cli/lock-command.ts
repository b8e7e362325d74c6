import type { LockMode } from '../../shared/model.ts';
import type { StateStore } from '../engine/store.ts';
import type { Output } from './output.ts';

/**
 * `lock acquire`: print the record as one JSON line as soon as the lock is
 * held, keep it (refreshing the lease) for --hold ms or until SIGINT/SIGTERM,
 * then release it. People and tests use this to create contention on purpose.
 */
export async function holdLock(
  store: StateStore,
  out: Output,
  id: string,
  mode: LockMode,
  options: { hold?: number; timeout?: number; owner?: string },
): Promise<number> {
  const lock = await store.acquireLock(id, mode, { timeout: options.timeout, owner: options.owner ?? `cli:${process.pid}`, heartbeat: true });
  const { token: _token, start: _start, ...record } = lock.record;
  out.line({ ...record, path: lock.file });
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    const timer = options.hold !== undefined ? setTimeout(done, options.hold) : setInterval(() => {}, 1 << 30);
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
  await store.releaseLock(lock);
  return 0;
}
