// An agent at work on a session: creates one, commits task T into it, prints
// {id, alive}, then runs until killed. On the line "close" it closes its
// store (and keeps running), then prints {closed: true}.
//   --root DIR | --etcd URLS --ns NAMESPACE, --task T, [--lease MS]
import { nextLine, openWorkerStore, options, print, required } from './common.ts';

const opts = options();
const store = openWorkerStore(opts, opts.has('lease') ? { lease_ms: Number(opts.get('lease')) } : {});
const session = await store.createSession({ agent: `pid-${process.pid}` });
await store.updateTaskState(required(opts, 'task'), { status: 'in_progress' }, { session: session.id });
print({ id: session.id, alive: (await store.getSession(session.id)).alive });
setInterval(() => {}, 60_000); // at work until killed
if ((await nextLine()) === 'close') {
  await store.close();
  print({ closed: true });
}
