// Optimistic read-increment-write: read the task, write counter+1 with the
// version read as expectedVersion, retry on VersionConflictError.
// Prints "ready", waits for "go" on stdin, then prints a JSON summary.
import { openWorkerStore, options, readyThenGo, required, runIncrements } from './common.ts';

const opts = options();
const store = openWorkerStore(opts, { owner: `inc-${process.pid}` });
const taskId = required(opts, 'task');
const count = Number(required(opts, 'count'));

await readyThenGo();
await runIncrements(store, taskId, count);
await store.close();
