// One agent of the deadlock tests: takes the write lock of --hold, prints
// "held", and on "go" (stdin) waits for the write lock of --wait for up to
// --timeout ms while still holding the first. Prints {waited: "acquired" |
// "timeout"}, releases both and exits.
import { openStateStore } from '../../engine/index.ts';
import { errorInfo, nextLine, options, print, required, stopReading } from './common.ts';

const opts = options();
const owner = required(opts, 'owner');
const store = openStateStore({ root: required(opts, 'root'), owner });
const first = await store.acquireLock(required(opts, 'hold'), 'write', { heartbeat: true, timeout: 10_000 });
print('held');
await nextLine();
stopReading();
try {
  const second = await store.acquireLock(required(opts, 'wait'), 'write', { heartbeat: true, timeout: Number(required(opts, 'timeout')) });
  print({ waited: 'acquired' });
  await store.releaseLock(second);
} catch (err) {
  const info = errorInfo(err);
  print({ waited: info.code === 'LOCK_TIMEOUT' ? 'timeout' : info.message });
}
await store.releaseLock(first);
store.close();
