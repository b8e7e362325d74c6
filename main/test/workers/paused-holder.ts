// Holds the write lock with a short lease, reads version N and prints
// {ready, version}. The test then freezes it (SIGSTOP) past its lease. On
// "commit" it tries to write under the lock it no longer owns, with
// expectedVersion N, and prints the outcome; then it releases and exits.
import { openStateStore } from '../../engine/index.ts';
import { commitOnCue, options, print, required } from './common.ts';

const opts = options();
const store = openStateStore({ root: required(opts, 'root'), owner: 'paused-holder', lease_ms: Number(required(opts, 'lease')) });
const taskId = required(opts, 'task');

const lock = await store.acquireLock(taskId, 'write');
const current = await store.getTaskState(taskId);
const version = current?.version ?? 0;
print({ ready: true, version });

await commitOnCue(store, taskId, lock, version);
await store.releaseLock(lock);
print({ released: true });
store.close();
