import { closeSync, openSync, readSync } from 'node:fs';
import type {
  Checkpoint,
  CheckpointSummary,
  RestorePreview,
  RestorePreviewItem,
  RestoreResult,
  Session,
  TaskState,
} from '../../shared/model.ts';
import { ENGINE_TASK_FIELDS, sessionChangeId } from '../../shared/model.ts';
import { summarizeCheckpoint } from '../../shared/checkpoint-summary.ts';
import { diffFields, hasChanges } from '../../shared/diff.ts';
import type { EngineContext } from './context.ts';
import { audit, taskLockTarget } from './context.ts';
import { CorruptStateError, InvalidInputError, LockstepError, NotFoundError } from './errors.ts';
import { isPlainObject, publishExclusive, readJsonFile, safeReaddir } from './fsx.ts';
import type { HeldLock } from './locks.ts';
import { checkpointIdFromFileName } from './layout.ts';
import { assertCheckpointId } from './paths.ts';
import { readSessionFile, replaceSession, withMetrics } from './sessions.ts';
import { readTask, type TaskRead } from './task-files.ts';
import { restoreTaskContent, userContent } from './tasks.ts';
import {
  buildCheckpoint,
  checkpointBaseId,
  checkpointCreatedDescription,
  checkpointIdAt,
  diffSession,
  firstFreeSuffix,
  partialRestoreError,
  restorePreview,
  type CheckpointContent,
} from './checkpoint-rules.ts';

/**
 * Freeze a session and all its tasks. Read locks on every task (taken in id
 * order) make the snapshot consistent: no task changes while it is read.
 */
export async function createCheckpoint(ctx: EngineContext, sessionId: string, reason = 'manual', timeout?: number): Promise<Checkpoint> {
  if (typeof reason !== 'string' || reason.length > 500) throw new InvalidInputError('reason must be a string of at most 500 characters');
  const session = withMetrics(ctx, readSessionFile(ctx, sessionId)); // as stored: liveness is not part of a snapshot
  const held = await lockTasks(ctx, session.task_ids, 'read', timeout);
  const tasks: Record<string, TaskState> = {};
  try {
    for (const taskId of session.task_ids) {
      const state = readCurrent(ctx, taskId);
      if (state) tasks[taskId] = state;
    }
  } finally {
    for (const lock of held) ctx.locks.release(lock);
  }
  return publishCheckpoint(ctx, { session, tasks, reason });
}

/**
 * Locks on tasks, taken in id order (so two processes locking overlapping
 * sets never wait on each other in a circle), all within one timeout.
 * On failure the locks already taken are released.
 */
async function lockTasks(ctx: EngineContext, taskIds: readonly string[], mode: 'read' | 'write', timeout?: number): Promise<HeldLock[]> {
  const deadline = Date.now() + (timeout ?? ctx.config.lock_timeout_ms);
  const held: HeldLock[] = [];
  // The locks taken first are kept alive while a later one is waited for: waiting past their lease let
  // another writer take one over, and the restore then failed at its commit (seen in the torture run).
  const keepAlive = setInterval(
    () => {
      for (const lock of held) {
        try {
          ctx.locks.refresh(lock); // false (lost): its commit fails with a conflict, nothing is overwritten
        } catch {
          /* the same: the commit's own check reports it */
        }
      }
    },
    Math.max(10, Math.floor(ctx.config.lease_ms / 3)),
  );
  try {
    for (const taskId of [...taskIds].sort()) {
      held.push(
        await ctx.locks.acquire(taskLockTarget(ctx, taskId), mode, {
          timeout: Math.max(0, deadline - Date.now()),
          owner: ctx.config.owner || (mode === 'read' ? 'checkpoint' : 'restore'),
        }),
      );
    }
  } catch (err) {
    for (const lock of held) ctx.locks.release(lock);
    throw err;
  } finally {
    clearInterval(keepAlive);
  }
  return held;
}

/** A task's current content; a damaged task's newest valid version; null when absent. */
function readCurrent(ctx: EngineContext, taskId: string): TaskState | null {
  const read = readTask(ctx.layout, taskId);
  return read.kind === 'ok' ? read.state : read.kind === 'damaged' ? read.best : null;
}

/** Write a new checkpoint file under a fresh id: `checkpoint-<UTC date-time>[-N].json`. */
function publishCheckpoint(ctx: EngineContext, content: CheckpointContent): Checkpoint {
  const now = new Date();
  const base = checkpointBaseId(now);
  // checkpointSummary reads only the head of the file: buildCheckpoint puts the summary fields first.
  const first = firstFreeSuffix(base, safeReaddir(ctx.layout.checkpointsDir).map(checkpointIdFromFileName));
  for (let n = first; ; n++) {
    const id = checkpointIdAt(base, n);
    const checkpoint = buildCheckpoint(id, now, content);
    const { session_id, reason, task_count } = checkpoint;
    if (publishExclusive(ctx.layout.checkpointFile(id), JSON.stringify(checkpoint, null, 2), ctx.config.fsync)) {
      audit(ctx, 'checkpoint_created', checkpointCreatedDescription(checkpoint), { checkpoint_id: id, session_id });
      ctx.events.emit('state.checkpoint_created', { checkpoint_id: id, session_id, reason, task_count });
      return checkpoint;
    }
  }
}

export function getCheckpoint(ctx: EngineContext, id: string): Checkpoint {
  assertCheckpointId(id);
  const file = ctx.layout.checkpointFile(id);
  const read = readJsonFile(file);
  if (read.kind === 'missing') throw new NotFoundError(`checkpoint ${id} does not exist`, { checkpoint_id: id });
  if (read.kind === 'corrupt') throw new CorruptStateError(`checkpoint file ${file}: ${read.reason}`, { path: file });
  const v = read.value;
  if (!isPlainObject(v) || !isPlainObject(v.session) || !isPlainObject(v.tasks) || typeof v.session_id !== 'string') {
    throw new CorruptStateError(`checkpoint file ${file}: missing session or tasks`, { path: file });
  }
  return { ...(v as unknown as Checkpoint), id };
}

/**
 * A checkpoint's summary. Checkpoints are written with the summary fields
 * first, so the head of the file is enough (listing 500 checkpoints of 50
 * tasks reads a few KB each instead of parsing megabytes); a file that does
 * not look like that, or whose summary does not fit in the head, is parsed whole.
 */
export function checkpointSummary(ctx: EngineContext, id: string): CheckpointSummary {
  const head = readHead(ctx.layout.checkpointFile(id), 2048);
  // The `session` line follows the summary fields: seeing it means none of them was cut off.
  if (head !== null && /^ {2}"session": \{/m.test(head)) {
    const field = (name: string) => new RegExp(`^  "${name}": ("(?:[^"\\\\]|\\\\.)*"|\\d+),?$`, 'm').exec(head)?.[1];
    const [cid, session, created, reason, count, undoOf] = ['id', 'session_id', 'created_at', 'reason', 'task_count', 'undo_of'].map(field);
    if (cid && session && created && reason && count && JSON.parse(cid) === id) {
      return {
        id,
        session_id: JSON.parse(session) as string,
        created_at: JSON.parse(created) as string,
        reason: JSON.parse(reason) as string,
        task_count: Number(count),
        ...(undoOf ? { undo_of: JSON.parse(undoOf) as string } : {}),
      };
    }
  }
  return summarizeCheckpoint(getCheckpoint(ctx, id));
}

function readHead(path: string, bytes: number): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

export function listCheckpoints(ctx: EngineContext): CheckpointSummary[] {
  const out: CheckpointSummary[] = [];
  for (const name of safeReaddir(ctx.layout.checkpointsDir)) {
    const id = checkpointIdFromFileName(name);
    if (id === null) continue;
    try {
      out.push(checkpointSummary(ctx, id));
    } catch (err) {
      if (!(err instanceof LockstepError)) throw err; // corrupt ones are reported by verify
    }
  }
  return out.sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id));
}

/** What a restore would change, task by task and in the session file, without writing anything. */
export function previewRestore(ctx: EngineContext, id: string): RestorePreview {
  const checkpoint = getCheckpoint(ctx, id);
  const items = Object.keys(checkpoint.tasks)
    .sort()
    .map((taskId): RestorePreviewItem => {
      const read = readTask(ctx.layout, taskId);
      const current = read.kind === 'ok' ? read.state : read.kind === 'damaged' ? read.best : null;
      const changes = diffFields(current, checkpoint.tasks[taskId]!, ENGINE_TASK_FIELDS);
      return {
        task_id: taskId,
        current_version: current?.version ?? null,
        changes,
        unchanged: !needsRestore(read, checkpoint.tasks[taskId]!),
      };
    });
  return restorePreview(checkpoint, items, readSessionOrNull(ctx, checkpoint.session_id));
}

/** A damaged task is always rewritten, even when its newest valid version matches. */
function needsRestore(read: TaskRead, wanted: TaskState): boolean {
  return read.kind !== 'ok' || hasChanges(diffFields(read.state, wanted, ENGINE_TASK_FIELDS));
}

/** Fields of a session file that every write changes, or that are derived: never a reason to rewrite it. */
/** The session file as stored; null when it is missing or unreadable (a restore rewrites it). */
function readSessionOrNull(ctx: EngineContext, id: string): Session | null {
  try {
    return readSessionFile(ctx, id);
  } catch (err) {
    if (err instanceof NotFoundError || err instanceof CorruptStateError) return null;
    throw err;
  }
}

/**
 * Restore the session file, then write each task's checkpointed content as a
 * new version. Tasks that already match are skipped, which makes running it
 * again after a failure safe.
 *
 * Undo: before writing anything, the restore takes write locks on all the
 * checkpoint's tasks (in id order) and saves what it is about to overwrite —
 * the tasks that will change and the session file — as a checkpoint marked
 * `undo_of: <id>`. Holding the locks until the last write means nobody can
 * change a task between that snapshot and the restore, so restoring the undo
 * checkpoint gives back exactly the state the restore replaced (and, being a
 * restore itself, takes its own undo checkpoint: a redo).
 */
export async function restoreCheckpoint(ctx: EngineContext, id: string, timeout?: number): Promise<RestoreResult> {
  const checkpoint = getCheckpoint(ctx, id);
  const sessionId = checkpoint.session_id;
  const wantedSession: Session = { ...checkpoint.session, id: sessionId };
  const taskIds = Object.keys(checkpoint.tasks).sort();
  const held = new Map((await lockTasks(ctx, taskIds, 'write', timeout)).map((lock) => [lock.target.resourceId, lock]));
  const owner = ctx.config.owner || 'restore';
  const restored: string[] = [];
  const changed: string[] = [];
  let undo: Checkpoint | null = null;
  let writing: string | null = null; // what was being written when a write failed
  try {
    const before = new Map(taskIds.map((taskId) => [taskId, readTask(ctx.layout, taskId)]));
    const toWrite = new Set(taskIds.filter((taskId) => needsRestore(before.get(taskId)!, checkpoint.tasks[taskId]!)));
    const currentSession = readSessionOrNull(ctx, sessionId);
    const sessionDiffers = currentSession === null || hasChanges(diffSession(currentSession, wantedSession));
    if (toWrite.size > 0 || sessionDiffers) {
      undo = publishCheckpoint(ctx, {
        // A session file that is missing or unreadable cannot be brought back: the undo keeps the restored one.
        session: currentSession ? withMetrics(ctx, currentSession) : wantedSession,
        tasks: undoContent(before, toWrite),
        reason: `before restore of ${id}`,
        undoOf: id,
      });
    }
    const keepLeases = leaseKeeper(ctx, [...held.values()]);
    if (sessionDiffers) {
      writing = `session ${sessionId}`;
      await replaceSession(ctx, wantedSession, `restored session ${sessionId} from checkpoint ${id}`, timeout);
      changed.push(sessionChangeId(sessionId));
    }
    for (const taskId of taskIds) {
      keepLeases();
      if (toWrite.has(taskId)) {
        writing = `task ${taskId}`;
        await restoreTaskContent(ctx, taskId, userContent(checkpoint.tasks[taskId]!), `checkpoint ${id}`, {
          lock: held.get(taskId)!,
          owner,
        });
        changed.push(taskId);
      }
      restored.push(taskId);
      ctx.events.emit('state.checkpoint_restore_progress', {
        checkpoint_id: id,
        task_id: taskId,
        done: restored.length,
        total: taskIds.length,
      });
    }
  } catch (err) {
    if (writing === null) throw err; // nothing was written: the error as it is
    throw partialRestoreError(id, writing, err, { restored, changed, undo });
  } finally {
    for (const lock of held.values()) ctx.locks.release(lock);
  }
  const result: RestoreResult = { checkpoint_id: id, session_id: sessionId, restored, changed, undo_checkpoint_id: undo?.id ?? null };
  const counts = `${changed.filter((c) => c !== sessionChangeId(sessionId)).length} of ${restored.length} tasks changed${changed.includes(sessionChangeId(sessionId)) ? ', session rewritten' : ''}`;
  audit(ctx, 'checkpoint_restored', `restored checkpoint ${id}: ${counts}${undo ? `; undo with checkpoint ${undo.id}` : ''}`, {
    checkpoint_id: id,
    session_id: sessionId,
  });
  ctx.events.emit('state.checkpoint_restored', result);
  return result;
}

/** What the undo checkpoint keeps: the current content of each task about to be overwritten (a task being recreated has none). */
function undoContent(before: Map<string, TaskRead>, toWrite: Set<string>): Record<string, TaskState> {
  const tasks: Record<string, TaskState> = {};
  for (const taskId of toWrite) {
    const read = before.get(taskId)!;
    const state = read.kind === 'ok' ? read.state : read.kind === 'damaged' ? read.best : null;
    if (state) tasks[taskId] = state;
  }
  return tasks;
}

/**
 * Keeps the leases of locks held through a long restore (thousands of tasks)
 * from expiring: call the returned function between writes.
 */
function leaseKeeper(ctx: EngineContext, locks: HeldLock[]): () => void {
  let last = Date.now();
  return () => {
    if (Date.now() - last < ctx.config.lease_ms / 3) return;
    // A lock lost despite this makes its commit fail with a conflict: nothing is overwritten.
    for (const lock of locks) ctx.locks.refresh(lock);
    last = Date.now();
  };
}
