// The robustness run's observer: reads each task's state.json raw (as any
// tool would) and through getTaskState, and the session file, over and over,
// journaling what it saw and when. The checker proves from this that
// state.json never moves backwards and is never seen torn.
//
//   node observer.ts --root DIR --run DIR --session SID --tasks a,b,c
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStateStore } from '../../engine/index.ts';
import type { Observation } from './events.ts';
import { Journal } from './journal.ts';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const root = args.get('root')!;
const runDir = args.get('run')!;
const sessionId = args.get('session')!;
const taskIds = args.get('tasks')!.split(',');

const store = openStateStore({ root, owner: 'observer' });
// Never killed, so no fsync per line: the journal is flushed by the OS when it exits.
const journal = new Journal(join(runDir, 'logs', 'observer.jsonl'), false);
let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
});

function readRaw(task: string): { raw: number | null; raw_problem?: 'missing' | 'torn' } {
  let text: string;
  try {
    text = readFileSync(join(root, 'tasks', `task-${task}`, 'state.json'), 'utf8');
  } catch {
    return { raw: null, raw_problem: 'missing' };
  }
  try {
    const version = (JSON.parse(text) as { version?: unknown }).version;
    return typeof version === 'number' ? { raw: version } : { raw: null, raw_problem: 'torn' };
  } catch {
    return { raw: null, raw_problem: 'torn' };
  }
}

function readSessionTaskIds(): string[] | null {
  try {
    const session = JSON.parse(readFileSync(join(root, 'sessions', `${sessionId}.json`), 'utf8')) as { task_ids?: unknown };
    return Array.isArray(session.task_ids) ? (session.task_ids as string[]) : null;
  } catch {
    return null;
  }
}

while (!stopping) {
  for (const task of taskIds) {
    const t0 = Date.now();
    const raw = readRaw(task);
    let api: number | null = null;
    try {
      api = (await store.getTaskState(task))?.version ?? null;
    } catch {
      /* a read error is not what this observer judges */
    }
    journal.append({ type: 'task', task, t0, t1: Date.now(), ...raw, api } satisfies Observation);
  }
  const t0 = Date.now();
  const taskIdsSeen = readSessionTaskIds();
  journal.append({ type: 'session', t0, t1: Date.now(), task_ids: taskIdsSeen } satisfies Observation);
  await new Promise((resolve) => setTimeout(resolve, 15));
}
store.close();
journal.close();
process.exit(0);
