// Reads the store into the synced collections (shared/sync.ts), through the
// backend contract only. Pure reads: nothing here writes.
import type { TaskRow } from '../../shared/contract.ts';
import type { CheckpointSummary, IntegrityIssue, Session, TaskLocks } from '../../shared/model.ts';
import { computeSessionMetrics } from '../../shared/metrics.ts';
import { TASKS } from '../../shared/sync.ts';
import type { StateStore } from '../engine/public.ts';

/** The host's copy of every synced collection, by key. */
export interface Model {
  tasks: Map<string, TaskRow>;
  sessions: Map<string, Session>;
  locks: Map<string, TaskLocks>;
  checkpoints: Map<string, CheckpointSummary>;
}

/**
 * Tasks read at once while loading: enough to keep a remote backend's round
 * trips in flight, few enough that the host keeps serving meanwhile.
 */
const READ_BATCH = 64;

/**
 * The row for one task (null when it has no readable state), and the damage
 * found while reading it, so the dashboard can flag it at once instead of at
 * the next verify.
 */
export async function readTaskRow(store: StateStore, taskId: string): Promise<{ row: TaskRow | null; damage: IntegrityIssue | null }> {
  const { state, bytes, damage } = await store.inspectTask(taskId);
  return { row: state ? TASKS.fromState(state, bytes) : null, damage };
}

export function sessionWithMetrics(session: Session, tasks: ReadonlyMap<string, TaskRow>): Session {
  return { ...session, metrics: computeSessionMetrics(session.task_ids, (id) => tasks.get(id)?.status) };
}

/** A session with its metrics, or null when it is gone or unreadable. */
export async function readSession(store: StateStore, id: string, tasks: ReadonlyMap<string, TaskRow>): Promise<Session | null> {
  try {
    return sessionWithMetrics(await store.readSessionFile(id), tasks);
  } catch {
    return null;
  }
}

export async function readCheckpoint(store: StateStore, id: string): Promise<CheckpointSummary | null> {
  try {
    return await store.readCheckpointSummary(id);
  } catch {
    return null;
  }
}

/** The lock summary of each of some tasks (null: no holder and no waiter). */
export async function readLocks(store: StateStore, taskIds: string[]): Promise<[string, TaskLocks | null][]> {
  const found = new Map((await store.lockSummaries(taskIds)).map((l) => [l.task_id, l]));
  return taskIds.map((id) => [id, found.get(id) ?? null]);
}

/**
 * Read items in batches; `read` of each batch runs concurrently. Between
 * batches the host yields: the file backend reads synchronously, and a page
 * opened while 10,000 tasks load must get its HTML, script and WebSocket
 * answered meanwhile, so it starts up beside the load instead of after it.
 */
export async function readInBatches<T>(ids: readonly string[], read: (id: string) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += READ_BATCH) {
    if (i > 0) await yieldToIo();
    out.push(...(await Promise.all(ids.slice(i, i + READ_BATCH).map(read))));
  }
  return out;
}

/** Lets pending I/O (requests, WebSocket frames) run before the next batch. */
function yieldToIo(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/** Tasks whose locks are listed at once while loading (a listing reads each task's folder). */
const LOCK_BATCH = 512;

export async function loadModel(store: StateStore): Promise<Model> {
  const tasks = new Map<string, TaskRow>();
  const ids = await store.listTaskIds();
  const rows = await readInBatches(ids, async (id) => (await readTaskRow(store, id)).row);
  for (const row of rows) if (row) tasks.set(row.task_id, row);
  const sessions = new Map<string, Session>();
  for (const s of await store.listSessionFiles()) sessions.set(s.id, sessionWithMetrics(s, tasks));
  const locks = new Map<string, TaskLocks>();
  for (let i = 0; i < ids.length; i += LOCK_BATCH) {
    if (i > 0) await yieldToIo();
    for (const l of await store.lockSummaries(ids.slice(i, i + LOCK_BATCH))) locks.set(l.task_id, l);
  }
  const checkpoints = new Map<string, CheckpointSummary>();
  for (const c of await store.listCheckpoints()) checkpoints.set(c.id, c);
  return { tasks, sessions, locks, checkpoints };
}
