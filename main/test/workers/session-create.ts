// Prints "ready", waits for "go", creates one session and prints it.
import { errorInfo, openWorkerStore, options, print, readyThenGo } from './common.ts';

const opts = options();
const store = openWorkerStore(opts); // --root DIR, or --etcd URLS --ns NAMESPACE
await readyThenGo();
try {
  const session = await store.createSession({ agent: `pid-${process.pid}` });
  print({ id: session.id, agent: session.options.agent });
} catch (err) {
  print({ error: errorInfo(err) });
}
await store.close();
