// Optimistic read-increment-write in a loop for a fixed time: read the task,
// write counter+1 with the version read as expectedVersion, retry on
// VersionConflictError. Prints "ready", waits for "go <epoch ms to start>"
// on stdin, runs for --ms from then, and prints {done, conflicts}.
import { VersionConflictError } from '../../engine/index.ts';
import { openWorkerStore, options, print, readyThenGo, required } from './common.ts';

const opts = options();
const store = openWorkerStore(opts, { owner: `cas-${process.pid}` });
const taskId = required(opts, 'task');
const ms = Number(required(opts, 'ms'));

// Warm up on a task of our own (JIT, log descriptors), so no process starts late.
for (let i = 0; i < 20; i++) await store.updateTaskState(`warm-${process.pid}`, { i });
const startAt = Number((await readyThenGo())?.split(' ')[1]);
await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now())));

let done = 0;
let conflicts = 0;
const end = startAt + ms;
while (Date.now() < end) {
  const current = await store.getTaskState(taskId);
  const counter = typeof current?.counter === 'number' ? current.counter : 0;
  try {
    await store.updateTaskState(taskId, { counter: counter + 1 }, { expectedVersion: current?.version ?? 0 });
    done++;
  } catch (err) {
    if (!(err instanceof VersionConflictError)) throw err;
    conflicts++;
  }
}
print({ done, conflicts });
await store.close();
