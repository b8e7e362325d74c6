// One racer of the reclaim test. For every "go <round>" line on stdin: take
// the write lock, prove exclusivity with an O_EXCL occupancy marker, release,
// and print {round, acquired, violation}. "exit" (or end of input) stops it.
import { closeSync, openSync, unlinkSync } from 'node:fs';
import { openStateStore } from '../../engine/index.ts';
import { errorInfo, nextLine, options, print, required, sleep, stopReading } from './common.ts';

const opts = options();
const store = openStateStore({ root: required(opts, 'root'), owner: `racer-${process.pid}` });
const taskId = required(opts, 'task');
const marker = required(opts, 'marker');

print('ready');
for (;;) {
  const line = await nextLine();
  if (line === null || line === 'exit') break;
  const round = Number(line.split(' ')[1]);
  const started = Date.now();
  try {
    const lock = await store.acquireLock(taskId, 'write', { timeout: 20_000 });
    let violation = false;
    try {
      let fd: number | null = null;
      try {
        fd = openSync(marker, 'wx');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        violation = true; // someone else is inside the critical section with us
      }
      await sleep(2 + Math.random() * 4);
      if (fd !== null) {
        closeSync(fd);
        unlinkSync(marker);
      }
    } finally {
      await store.releaseLock(lock);
    }
    print({ round, acquired: true, violation, waited_ms: Date.now() - started });
  } catch (err) {
    print({ round, acquired: false, violation: false, error: errorInfo(err) });
  }
}
stopReading();
store.close();
