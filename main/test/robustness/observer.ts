// The robustness run's observer: reads each task's stored version raw (as
// any tool would: state.json, or the etcd state key) and through
// getTaskState, and the session's task list, over and over, journaling what
// it saw and when. The checker proves from this that the stored version
// never moves backwards, is never behind an acknowledged commit, and is
// never seen torn.
//
//   node observer.ts (--root DIR | --etcd URL,URL --ns NAME) --run DIR --session SID --tasks a,b,c
import { join } from 'node:path';
import type { Observation } from './events.ts';
import { Journal } from './journal.ts';
import { connect, openRawReader, openRunStore, targetFromArgs } from './target.ts';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const target = targetFromArgs(args);
const runDir = args.get('run')!;
const sessionId = args.get('session')!;
const taskIds = args.get('tasks')!.split(',');

const store = openRunStore(target, 'observer');
const raw = await openRawReader(target);
await connect(store); // connected before the journal exists, as the workers are
// Never killed, so no fsync per line: the journal is flushed by the OS when it exits.
const journal = new Journal(join(runDir, 'logs', 'observer.jsonl'), false);
let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
});

while (!stopping) {
  for (const task of taskIds) {
    const t0 = Date.now();
    const seen = await raw.taskVersion(task);
    let api: number | null = null;
    try {
      api = (await store.getTaskState(task))?.version ?? null;
    } catch {
      /* a read error is not what this observer judges */
    }
    journal.append({ type: 'task', task, t0, t1: Date.now(), ...seen, api } satisfies Observation);
  }
  const t0 = Date.now();
  const taskIdsSeen = await raw.sessionTaskIds(sessionId);
  // undefined: no etcd member answered (one was killed); nothing was seen, so nothing is judged.
  if (taskIdsSeen !== undefined) journal.append({ type: 'session', t0, t1: Date.now(), task_ids: taskIdsSeen } satisfies Observation);
  await new Promise((resolve) => setTimeout(resolve, 15));
}
raw.close();
await store.close();
journal.close();
process.exit(0);
