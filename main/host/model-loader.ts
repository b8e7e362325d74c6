// Reads the state folder into the shapes the dashboard shows. Pure reads:
// nothing here writes to disk.
import type { TaskRow } from '../../shared/contract.ts';
import type { CheckpointSummary, IntegrityIssue, LockHolder, Session, TaskState } from '../../shared/model.ts';
import { computeSessionMetrics } from '../../shared/metrics.ts';
import type { StateStore } from '../engine/store.ts';
import { damageIssue, readTask } from '../engine/task-files.ts';

export function taskRowFrom(state: TaskState, size: number): TaskRow {
  const by = state.updated_by as { owner?: unknown } | undefined;
  return {
    task_id: state.task_id,
    version: state.version,
    updated_at: state.updated_at,
    status: typeof state.status === 'string' ? state.status : null,
    session_id: typeof state.session_id === 'string' ? state.session_id : null,
    owner: typeof by?.owner === 'string' && by.owner !== '' ? by.owner : null,
    progress: typeof state.progress === 'number' ? state.progress : null,
    size,
  };
}

/**
 * The row for one task (null when it has no readable state), and the damage
 * found while reading it, so the dashboard can flag it at once instead of at
 * the next verify.
 */
export function readTaskRow(store: StateStore, taskId: string): { row: TaskRow | null; damage: IntegrityIssue | null } {
  const read = readTask(store.layout, taskId);
  const state = read.kind === 'ok' ? read.state : read.kind === 'damaged' ? read.best : null;
  const damage = read.kind === 'damaged' ? damageIssue(store.layout, taskId, read) : null;
  if (!state) return { row: null, damage };
  return { row: taskRowFrom(state, read.kind === 'ok' ? read.bytes : 0), damage };
}

export function loadTaskRow(store: StateStore, taskId: string): TaskRow | null {
  return readTaskRow(store, taskId).row;
}

export function sessionWithMetrics(session: Session, tasks: ReadonlyMap<string, TaskRow>): Session {
  return { ...session, metrics: computeSessionMetrics(session.task_ids, (id) => tasks.get(id)?.status) };
}

export function checkpointSummary(store: StateStore, id: string): CheckpointSummary | null {
  try {
    const c = store.readCheckpointSummary(id);
    return c;
  } catch {
    return null;
  }
}

export interface LoadedModel {
  tasks: Map<string, TaskRow>;
  sessions: Map<string, Session>;
  locks: Map<string, LockHolder[]>;
  checkpoints: Map<string, CheckpointSummary>;
}

export async function loadModel(store: StateStore): Promise<LoadedModel> {
  const tasks = new Map<string, TaskRow>();
  const ids = await store.listTaskIds();
  for (const [i, id] of ids.entries()) {
    // Yield now and then: the host's HTTP server keeps serving the page meanwhile.
    if (i % 1000 === 999) await new Promise<void>((resolve) => setImmediate(resolve));
    const row = loadTaskRow(store, id);
    if (row) tasks.set(id, row);
  }
  const sessions = new Map<string, Session>();
  for (const s of await store.listSessionFiles()) sessions.set(s.id, sessionWithMetrics(s, tasks));
  const locks = groupLocks(store.locksOf(ids));
  const checkpoints = new Map<string, CheckpointSummary>();
  for (const c of await store.listCheckpoints()) checkpoints.set(c.id, c);
  return { tasks, sessions, locks, checkpoints };
}

export function groupLocks(holders: LockHolder[]): Map<string, LockHolder[]> {
  const out = new Map<string, LockHolder[]>();
  for (const h of holders) {
    const list = out.get(h.task_id);
    if (list) list.push(h);
    else out.set(h.task_id, [h]);
  }
  return out;
}
