// Lock churn for --ms milliseconds, then prints {acquired, violations, errors}.
// --mode good: short holds well inside a long lease, each proved exclusive by
//   an O_EXCL occupancy marker (EEXIST = two writers inside at once).
// --mode sloppy: a short lease (--lease) and a hold past it, so others take
//   the lock over; then it releases the lock it no longer owns. That release
//   must never disturb the process that owns the lock now.
import { closeSync, openSync, unlinkSync } from 'node:fs';
import { LockTimeoutError, openStateStore } from '../../engine/index.ts';
import { errorInfo, options, print, readyThenGo, required, sleep } from './common.ts';

const opts = options();
const mode = required(opts, 'mode');
const lease = Number(opts.get('lease') ?? '10000');
const store = openStateStore({ root: required(opts, 'root'), owner: `${mode}-${process.pid}`, lease_ms: lease });
const taskId = required(opts, 'task');
const marker = required(opts, 'marker');
const runMs = Number(required(opts, 'ms'));

await readyThenGo();
const until = Date.now() + runMs;
let acquired = 0;
let violations = 0;
let timeouts = 0;
const errors: unknown[] = [];
while (Date.now() < until) {
  try {
    const lock = await store.acquireLock(taskId, 'write', { timeout: 5000 });
    acquired++;
    if (mode === 'sloppy') {
      await sleep(lease + 20 + Math.random() * 30);
    } else {
      let fd: number | null = null;
      try {
        fd = openSync(marker, 'wx');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        violations++;
      }
      await sleep(1 + Math.random() * 3);
      if (fd !== null) {
        closeSync(fd);
        unlinkSync(marker);
      }
    }
    await store.releaseLock(lock);
  } catch (err) {
    if (err instanceof LockTimeoutError) timeouts++;
    else errors.push(errorInfo(err));
  }
}
print({ mode, acquired, violations, timeouts, errors });
store.close();
