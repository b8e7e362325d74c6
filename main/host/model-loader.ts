// Reads the state folder, through the store, into the synced collections
// (shared/sync.ts). Pure reads: nothing here writes to disk.
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
 * The row for one task (null when it has no readable state), and the damage
 * found while reading it, so the dashboard can flag it at once instead of at
 * the next verify.
 */
export function readTaskRow(store: StateStore, taskId: string): { row: TaskRow | null; damage: IntegrityIssue | null } {
  const { state, bytes, damage } = store.inspectTask(taskId);
  return { row: state ? TASKS.fromState(state, bytes) : null, damage };
}

export function sessionWithMetrics(session: Session, tasks: ReadonlyMap<string, TaskRow>): Session {
  return { ...session, metrics: computeSessionMetrics(session.task_ids, (id) => tasks.get(id)?.status) };
}

/** A session with its metrics, or null when it is gone or unreadable. */
export function readSession(store: StateStore, id: string, tasks: ReadonlyMap<string, TaskRow>): Session | null {
  try {
    return sessionWithMetrics(store.readSessionFile(id), tasks);
  } catch {
    return null;
  }
}

export function readCheckpoint(store: StateStore, id: string): CheckpointSummary | null {
  try {
    return store.readCheckpointSummary(id);
  } catch {
    return null;
  }
}

/** The lock summary of each of some tasks (null: no holder and no waiter). */
export function readLocks(store: StateStore, taskIds: string[]): [string, TaskLocks | null][] {
  const found = new Map(store.lockSummaries(taskIds).map((l) => [l.task_id, l]));
  return taskIds.map((id) => [id, found.get(id) ?? null]);
}

export async function loadModel(store: StateStore): Promise<Model> {
  const tasks = new Map<string, TaskRow>();
  const ids = await store.listTaskIds();
  for (const [i, id] of ids.entries()) {
    // Yield now and then: the host's HTTP server keeps serving the page meanwhile.
    if (i % 1000 === 999) await new Promise<void>((resolve) => setImmediate(resolve));
    const row = readTaskRow(store, id).row;
    if (row) tasks.set(id, row);
  }
  const sessions = new Map<string, Session>();
  for (const s of await store.listSessionFiles()) sessions.set(s.id, sessionWithMetrics(s, tasks));
  const locks = new Map(store.lockSummaries(ids).map((l) => [l.task_id, l]));
  const checkpoints = new Map<string, CheckpointSummary>();
  for (const c of await store.listCheckpoints()) checkpoints.set(c.id, c);
  return { tasks, sessions, locks, checkpoints };
}
