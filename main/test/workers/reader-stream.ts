// Takes short read locks back to back until SIGTERM, then prints
// {count, errors}. Prints "ready" after its first acquisition.
import { errorInfo, openWorkerStore, options, print, required, sleep } from './common.ts';

const opts = options();
const store = openWorkerStore(opts, { owner: `reader-${process.pid}` }); // --root DIR, or --etcd URLS --ns NAMESPACE
const taskId = required(opts, 'task');
const holdMs = Number(opts.get('hold') ?? '10');

let stop = false;
process.on('SIGTERM', () => (stop = true));
let count = 0;
const errors: unknown[] = [];
while (!stop) {
  try {
    const lock = await store.acquireLock(taskId, 'read', { timeout: 10_000 });
    await sleep(holdMs * (0.5 + Math.random()));
    await store.releaseLock(lock);
    if (count++ === 0) print('ready');
  } catch (err) {
    errors.push(errorInfo(err));
  }
}
print({ count, errors });
await store.close();
