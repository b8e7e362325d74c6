// Optimistic read-increment-write: read the task, write counter+1 with the
// version read as expectedVersion, retry on VersionConflictError.
// Prints "ready", waits for "go" on stdin, then prints a JSON summary.
import { VersionConflictError } from '../../engine/index.ts';
import { errorInfo, nextLine, openWorkerStore, options, print, required, stopReading } from './common.ts';

const opts = options();
const store = openWorkerStore(opts, { owner: `inc-${process.pid}` });
const taskId = required(opts, 'task');
const count = Number(required(opts, 'count'));

print('ready');
await nextLine();
stopReading();

let conflicts = 0;
let done = 0;
try {
  while (done < count) {
    const current = await store.getTaskState(taskId);
    const counter = typeof current?.counter === 'number' ? current.counter : 0;
    try {
      await store.updateTaskState(taskId, { counter: counter + 1, last_writer: process.pid }, { expectedVersion: current?.version ?? 0 });
      done++;
    } catch (err) {
      if (!(err instanceof VersionConflictError)) throw err;
      conflicts++;
    }
  }
  print({ done, conflicts });
} catch (err) {
  print({ done, conflicts, error: errorInfo(err) });
  process.exitCode = 1;
}
await store.close();
