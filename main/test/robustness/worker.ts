// One load process of the robustness run: random operations on random tasks
// through the engine's public API, each journaled (invoke before, return
// after, fsynced) so the checker can judge them even after kill -9.
//
//   node worker.ts (--root DIR | --etcd URL,URL --ns NAME) --run DIR --worker ID --session SID --tasks a,b,c --seed N --lease MS
//
// Runs until SIGTERM, then finishes the operation in hand and exits.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lock, TaskState } from '../../engine/index.ts';
import type { InvokeEvent, OpKind, Outcome, ReturnEvent } from './events.ts';
import { Journal } from './journal.ts';
import { Random } from './random.ts';
import { checkpointIds, connect, openRunStore, targetFromArgs } from './target.ts';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
function arg(name: string): string {
  const v = args.get(name);
  if (v === undefined) throw new Error(`worker needs --${name}`);
  return v;
}

const target = targetFromArgs(args);
const runDir = arg('run');
const workerId = arg('worker');
const sessionId = arg('session');
const taskIds = arg('tasks').split(',');
const lease = Number(arg('lease'));
const rng = new Random(Number(arg('seed')));

const store = openRunStore(target, workerId);
// Connect before the journal exists: the driver starts its clock once every journal does, and
// loading the etcd client takes seconds on a busy machine, which is start-up, not a stall.
await connect(store);
const journal = new Journal(join(runDir, 'logs', `worker-${workerId}.jsonl`));

/**
 * Relative frequency of each operation. Restores are rare: each rewinds the
 * tasks. Read holds (like `lockstep lock acquire --mode read --hold`) keep a
 * task's writers queued for longer than a lease: the wait in which a writer's
 * own lease must not run out.
 */
const MIX = { plain: 18, optimistic: 24, locked: 30, link: 12, checkpoint: 14, restore: 2, read_hold: 10 } as const;

let seq = 0;
let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
});

// A lock is lost only when its holder does not refresh it for a whole lease.
// Record every gap in this process's event loop long enough to matter
// (SIGSTOP shows up here too), so the checker can tell a lock lost to a pause
// from two processes holding one lock while both ran.
const STALL_MS = Math.max(50, lease / 4);
let lastTick = Date.now();
const stallTimer = setInterval(() => {
  const now = Date.now();
  if (now - lastTick > STALL_MS) journal.append({ type: 'stall', worker: workerId, from: lastTick, to: now });
  lastTick = now;
}, 20);

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function outcomeOf(err: unknown): { outcome: Outcome; error: { name: string; code: string; message: string } } {
  const e = err as { name?: string; code?: string; message?: string };
  const code = typeof e?.code === 'string' ? e.code : '';
  // Only these two errors promise that nothing was written.
  const outcome: Outcome = code === 'VERSION_CONFLICT' || code === 'LOCK_TIMEOUT' ? 'refused' : 'error';
  return { outcome, error: { name: e?.name ?? 'Error', code, message: String(e?.message ?? err).slice(0, 300) } };
}

/** Journal the start of an op, run it, journal its end; errors become outcomes. */
async function record(
  kind: OpKind,
  task: string | undefined,
  input: InvokeEvent['input'],
  body: (op: string, ret: Partial<ReturnEvent>) => Promise<void>,
): Promise<void> {
  const op = `${workerId}.${++seq}`;
  journal.append({ type: 'invoke', op, worker: workerId, pid: process.pid, kind, task, t: Date.now(), input } satisfies InvokeEvent);
  const ret: Partial<ReturnEvent> = {};
  let outcome: Outcome = 'ok';
  let error: ReturnEvent['error'];
  try {
    await body(op, ret);
  } catch (err) {
    ({ outcome, error } = outcomeOf(err));
  }
  journal.append({ ...ret, type: 'return', op, t: Date.now(), outcome, ...(error ? { error } : {}) } satisfies ReturnEvent);
}

function opsOf(state: TaskState | null): string[] {
  return Array.isArray(state?.ops) ? (state.ops as string[]) : [];
}
function counterOf(state: TaskState | null): number {
  return typeof state?.counter === 'number' ? state.counter : 0;
}

// The occupancy marker lives in the run folder, outside the state root: it is
// what the lock is supposed to protect. Written by rename so a read never sees
// half a marker.
function markerPath(task: string): string {
  return join(runDir, 'occ', `occ-${task}`);
}
function writeMarker(task: string, op: string): void {
  const tmp = `${markerPath(task)}.${workerId}.tmp`;
  writeFileSync(tmp, op);
  renameSync(tmp, markerPath(task));
}
function readMarker(task: string): string {
  try {
    return readFileSync(markerPath(task), 'utf8');
  } catch {
    return '';
  }
}

const operations: Record<keyof typeof MIX, () => Promise<void>> = {
  plain: () => {
    const task = rng.pick(taskIds);
    const note = rng.word();
    return record('plain', task, { note }, async (op, ret) => {
      ret.version = (await store.updateTaskState(task, { note, last_op: op })).version;
    });
  },

  optimistic: () => {
    const task = rng.pick(taskIds);
    return record('optimistic', task, undefined, async (op, ret) => {
      const current = await store.getTaskState(task);
      ret.read_version = current?.version ?? 0;
      const next = { counter: counterOf(current) + 1, ops: [...opsOf(current), op], last_op: op };
      ret.version = (await store.updateTaskState(task, next, { expectedVersion: ret.read_version })).version;
    });
  },

  locked: () => {
    const task = rng.pick(taskIds);
    const hold = rng.between(0, 30);
    return record('locked', task, undefined, async (op, ret) => {
      const lock: Lock = await store.acquireLock(task, 'write', { heartbeat: true });
      ret.acquired_at = Date.now();
      try {
        writeMarker(task, op);
        ret.marker_at = Date.now();
        const current = await store.getTaskState(task);
        ret.read_version = current?.version ?? 0;
        await sleep(hold);
        ret.marker_seen = readMarker(task);
        ret.marker_read_at = Date.now();
        ret.pre_commit_at = Date.now();
        // No expectedVersion: the lock alone must keep this read-modify-write safe.
        const next = { counter: counterOf(current) + 1, ops: [...opsOf(current), op], last_op: op };
        ret.version = (await store.updateTaskState(task, next, { lock })).version;
      } finally {
        await store.releaseLock(lock).catch(() => {});
      }
    });
  },

  // A reader holding the lock past a lease (refreshing it): writers must wait, and the task must not change meanwhile.
  read_hold: () => {
    const task = rng.pick(taskIds);
    const hold = rng.between(1.2, 2.5) * lease;
    return record('read_hold', task, undefined, async (_op, ret) => {
      const lock = await store.acquireLock(task, 'read', { heartbeat: true });
      ret.acquired_at = Date.now();
      try {
        ret.read_version = (await store.getTaskState(task))?.version ?? 0;
        await sleep(hold);
        ret.end_version = (await store.getTaskState(task))?.version ?? 0;
        ret.held_until = Date.now();
      } finally {
        await store.releaseLock(lock).catch(() => {});
      }
    });
  },

  link: () => {
    const task = rng.pick(taskIds);
    return record('link', task, { session: sessionId }, async (op, ret) => {
      ret.version = (await store.updateTaskState(task, { last_op: op }, { session: sessionId })).version;
    });
  },

  checkpoint: () =>
    record('checkpoint', undefined, { session: sessionId }, async (_op, ret) => {
      const checkpoint = await store.createCheckpoint(sessionId, 'torture');
      ret.checkpoint = checkpoint.id;
      ret.tasks = Object.fromEntries(Object.entries(checkpoint.tasks).map(([id, state]) => [id, state.version]));
    }),

  restore: async () => {
    const ids = await checkpointIds(target, store);
    if (ids.length === 0) return operations.plain();
    const checkpoint = rng.pick(ids);
    return record('restore', undefined, { checkpoint }, async (_op, ret) => {
      ret.checkpoint = checkpoint;
      ret.changed = (await store.restoreCheckpoint(checkpoint)).changed;
    });
  },
};

while (!stopping) {
  await operations[rng.weighted(MIX)]();
  await sleep(rng.between(0, 8));
}
clearInterval(stallTimer);
await store.close();
journal.close();
process.exit(0);
