// A worker process on an etcd-backed store, for the multi-process tests.
//   --mode increment --task T --count N   optimistic read-increment-write N times; prints {done, conflicts}
//   --mode plain --task T --count N       N updates without an expected version (each sets its own field
//                                         w<pid> to 1..N); prints {done} or {done, error}
//   --mode hold --task T                  takes the write lock, prints {held, at}, then waits to be killed
//   --mode paused --task T                takes the write lock and reads version N, prints {ready, version};
//                                         on the line "commit" commits under that lock, prints the outcome,
//                                         then takes and releases the lock once more
//   --mode session --task T               creates a session and commits task T into it, prints {session, alive},
//                                         then waits to be killed (its lease keeps the session alive)
// Common: --endpoints URL[,URL] --ns NAMESPACE [--lease MS]. Prints "ready" / waits for "go" (increment).
import { EtcdStateStore } from '../../../engine/etcd/index.ts';
import { commitOnCue, options, print, readyThenGo, required, runIncrements } from '../../workers/common.ts';

const opts = options();
const mode = required(opts, 'mode');
const taskId = required(opts, 'task');
const store = new EtcdStateStore({
  etcd: { endpoints: required(opts, 'endpoints').split(','), namespace: required(opts, 'ns') },
  owner: `${mode}-${process.pid}`,
  ...(opts.has('lease') ? { lease_ms: Number(opts.get('lease')) } : {}),
});

if (mode === 'increment') {
  const count = Number(required(opts, 'count'));
  await readyThenGo();
  await runIncrements(store, taskId, count);
  await store.close();
} else if (mode === 'plain') {
  const count = Number(required(opts, 'count'));
  await readyThenGo();
  let done = 0;
  try {
    while (done < count) await store.updateTaskState(taskId, { [`w${process.pid}`]: ++done });
    print({ done });
  } catch (err) {
    print({ done, error: String(err) });
    process.exitCode = 1;
  }
  await store.close();
} else if (mode === 'hold') {
  await store.acquireLock(taskId, 'write', { timeout: 10_000 });
  print({ held: true, at: Date.now() });
  await new Promise(() => {}); // until killed
} else if (mode === 'paused') {
  const lock = await store.acquireLock(taskId, 'write', { timeout: 10_000 });
  const version = (await store.getTaskState(taskId))?.version ?? 0;
  print({ ready: true, version });
  await commitOnCue(store, taskId, lock, version);
  print({ released: await store.releaseLock(lock) });
  // Its lease expired while it was stopped: a new lock takes a new lease.
  const again = await store.acquireLock(taskId, 'write', { timeout: 10_000 });
  print({ reacquired: await store.releaseLock(again) });
  await store.close();
} else if (mode === 'session') {
  const session = await store.createSession({ by: `worker-${process.pid}` });
  await store.updateTaskState(taskId, { status: 'in_progress' }, { session: session.id });
  print({ session: session.id, alive: (await store.getSession(session.id)).alive });
  // An agent at work: a timer keeps it running (etcd3 may hold no handle while the cluster is out of reach).
  setInterval(() => {}, 60_000);
} else {
  throw new Error(`unknown mode ${mode}`);
}
