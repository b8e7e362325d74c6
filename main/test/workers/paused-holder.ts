// Holds the write lock with a short lease, reads version N and prints
// {ready, version}. The test then freezes it (SIGSTOP) past its lease. On
// "commit" it tries to write under the lock it no longer owns, with
// expectedVersion N, and prints the outcome; then it releases and exits.
import { openStateStore } from '../../engine/index.ts';
import { errorInfo, nextLine, options, print, required, stopReading } from './common.ts';

const opts = options();
const store = openStateStore({ root: required(opts, 'root'), owner: 'paused-holder', lease_ms: Number(required(opts, 'lease')) });
const taskId = required(opts, 'task');

const lock = await store.acquireLock(taskId, 'write');
const current = await store.getTaskState(taskId);
const version = current?.version ?? 0;
print({ ready: true, version });

await nextLine();
stopReading();
try {
  const state = await store.updateTaskState(taskId, { by: 'paused-holder' }, { lock, expectedVersion: version });
  print({ result: 'committed', version: state.version });
} catch (err) {
  const e = err as { expectedVersion?: number | null; actualVersion?: number | null };
  print({ result: 'error', ...errorInfo(err), expected: e.expectedVersion ?? null, actual: e.actualVersion ?? null });
}
print({ refreshed: await store.refreshLock(lock) });
await store.releaseLock(lock);
print({ released: true });
store.close();
