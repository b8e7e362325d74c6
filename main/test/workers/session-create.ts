// Prints "ready", waits for "go", creates one session and prints it.
import { openStateStore } from '../../engine/index.ts';
import { errorInfo, nextLine, options, print, required, stopReading } from './common.ts';

const opts = options();
const store = openStateStore({ root: required(opts, 'root') });
print('ready');
await nextLine();
stopReading();
try {
  const session = await store.createSession({ agent: `pid-${process.pid}` });
  print({ id: session.id, agent: session.options.agent });
} catch (err) {
  print({ error: errorInfo(err) });
}
store.close();
