import { closeSync, openSync, readSync } from 'node:fs';
import type { Checkpoint, CheckpointSummary, RestorePreviewItem, RestoreResult, Session, TaskState } from '../../shared/model.ts';
import { ENGINE_TASK_FIELDS } from '../../shared/model.ts';
import { diffFields, hasChanges } from '../../shared/diff.ts';
import type { EngineContext } from './context.ts';
import { audit, taskLockTarget } from './context.ts';
import { CorruptStateError, InvalidInputError, LockstepError, NotFoundError, PartialRestoreError } from './errors.ts';
import { isPlainObject, publishExclusive, readJsonFile } from './fsx.ts';
import type { HeldLock } from './locks.ts';
import { safeReaddir } from './locks.ts';
import { assertCheckpointId } from './paths.ts';
import { getSession, replaceSession } from './sessions.ts';
import { readTask } from './task-files.ts';
import { restoreTaskContent, userContent } from './tasks.ts';

function checkpointBaseId(date: Date): string {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS
  return `${iso.slice(0, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

/**
 * Freeze a session and all its tasks. Read locks on every task (taken in id
 * order) make the snapshot consistent: no task changes while it is read.
 */
export async function createCheckpoint(ctx: EngineContext, sessionId: string, reason = 'manual', timeout?: number): Promise<Checkpoint> {
  if (typeof reason !== 'string' || reason.length > 500) throw new InvalidInputError('reason must be a string of at most 500 characters');
  const session = getSession(ctx, sessionId);
  const deadline = Date.now() + (timeout ?? ctx.config.lock_timeout_ms);
  const held: HeldLock[] = [];
  const tasks: Record<string, TaskState> = {};
  try {
    for (const taskId of [...session.task_ids].sort()) {
      held.push(await ctx.locks.acquire(taskLockTarget(ctx, taskId), 'read', {
        timeout: Math.max(0, deadline - Date.now()),
        owner: ctx.config.owner || 'checkpoint',
      }));
    }
    for (const taskId of session.task_ids) {
      const read = readTask(ctx.layout, taskId);
      const state = read.kind === 'ok' ? read.state : read.kind === 'damaged' ? read.best : null;
      if (state) tasks[taskId] = state;
    }
  } finally {
    for (const lock of held) ctx.locks.release(lock);
  }
  const now = new Date();
  const base = checkpointBaseId(now);
  // Start after the highest suffix already taken this second: many checkpoints in one second
  // would otherwise each retry every taken id, writing the whole file each time.
  let first = 1;
  for (const name of safeReaddir(ctx.layout.checkpointsDir)) {
    if (name === `checkpoint-${base}.json`) first = Math.max(first, 2);
    const m = /^checkpoint-(.+)-(\d+)\.json$/.exec(name);
    if (m && m[1] === base) first = Math.max(first, Number(m[2]) + 1);
  }
  for (let n = first; ; n++) {
    const id = n === 1 ? base : `${base}-${n}`;
    const checkpoint: Checkpoint = {
      id,
      session_id: session.id,
      created_at: now.toISOString(),
      reason,
      task_count: Object.keys(tasks).length,
      session,
      tasks,
    };
    if (publishExclusive(ctx.layout.checkpointFile(id), JSON.stringify(checkpoint, null, 2), ctx.config.fsync)) {
      audit(ctx, 'checkpoint_created', `checkpoint ${id} of session ${session.id} (${reason}, ${checkpoint.task_count} tasks)`, {
        checkpoint_id: id,
        session_id: session.id,
      });
      ctx.events.emit('state.checkpoint_created', { checkpoint_id: id, session_id: session.id, reason, task_count: checkpoint.task_count });
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
 * not look like that is parsed whole.
 */
export function checkpointSummary(ctx: EngineContext, id: string): CheckpointSummary {
  const head = readHead(ctx.layout.checkpointFile(id), 2048);
  if (head !== null) {
    const field = (name: string) => new RegExp(`^  "${name}": ("(?:[^"\\\\]|\\\\.)*"|\\d+),?$`, 'm').exec(head)?.[1];
    const [cid, session, created, reason, count] = ['id', 'session_id', 'created_at', 'reason', 'task_count'].map(field);
    if (cid && session && created && reason && count && JSON.parse(cid) === id) {
      return { id, session_id: JSON.parse(session), created_at: JSON.parse(created), reason: JSON.parse(reason), task_count: Number(count) };
    }
  }
  const c = getCheckpoint(ctx, id);
  return { id: c.id, session_id: c.session_id, created_at: c.created_at, reason: c.reason, task_count: Object.keys(c.tasks).length };
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
    const m = /^checkpoint-(.+)\.json$/.exec(name);
    if (!m) continue;
    try {
      out.push(checkpointSummary(ctx, m[1]!));
    } catch (err) {
      if (!(err instanceof LockstepError)) throw err; // corrupt ones are reported by verify
    }
  }
  return out.sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id));
}

/** What a restore would change, task by task, without writing anything. */
export function previewRestore(ctx: EngineContext, id: string): { checkpoint: CheckpointSummary; items: RestorePreviewItem[] } {
  const checkpoint = getCheckpoint(ctx, id);
  const items = Object.keys(checkpoint.tasks).sort().map((taskId): RestorePreviewItem => {
    const read = readTask(ctx.layout, taskId);
    const current = read.kind === 'ok' ? read.state : read.kind === 'damaged' ? read.best : null;
    const changes = diffFields(current, checkpoint.tasks[taskId]!, ENGINE_TASK_FIELDS);
    return { task_id: taskId, current_version: current?.version ?? null, changes, unchanged: current !== null && !hasChanges(changes) };
  });
  const { session: _s, tasks: _t, ...summary } = checkpoint;
  return { checkpoint: { ...summary, task_count: items.length }, items };
}

/**
 * Restore the session file, then write each task's checkpointed content as a
 * new version (so the restore itself can be undone). Tasks that already
 * match are skipped, which makes running it again after a failure safe.
 */
export async function restoreCheckpoint(ctx: EngineContext, id: string, timeout?: number): Promise<RestoreResult> {
  const checkpoint = getCheckpoint(ctx, id);
  const restored: string[] = [];
  const changed: string[] = [];
  const taskIds = Object.keys(checkpoint.tasks).sort();
  try {
    await replaceSession(ctx, { ...(checkpoint.session as Session), id: checkpoint.session_id }, `restored session ${checkpoint.session_id} from checkpoint ${id}`, timeout);
    for (const taskId of taskIds) {
      const wanted = checkpoint.tasks[taskId]!;
      const read = readTask(ctx.layout, taskId);
      const current = read.kind === 'ok' ? read.state : null;
      if (!current || hasChanges(diffFields(current, wanted, ENGINE_TASK_FIELDS))) {
        await restoreTaskContent(ctx, taskId, userContent(wanted), `checkpoint ${id}`, { timeout, owner: ctx.config.owner || 'restore' });
        changed.push(taskId);
      }
      restored.push(taskId);
      ctx.events.emit('state.checkpoint_restore_progress', { checkpoint_id: id, task_id: taskId, done: restored.length, total: taskIds.length });
    }
  } catch (err) {
    const failed = taskIds[restored.length];
    const cause = err instanceof Error ? err.message : String(err);
    throw new PartialRestoreError(
      `restore of checkpoint ${id} stopped${failed ? ` at task ${failed}` : ''}: ${cause}. Restored so far: ${restored.join(', ') || 'none'}. Running the restore again is safe.`,
      restored,
      { checkpoint_id: id, failed_task: failed ?? null, cause_code: err instanceof LockstepError ? err.code : 'INTERNAL' },
    );
  }
  const result: RestoreResult = { checkpoint_id: id, session_id: checkpoint.session_id, restored, changed };
  audit(ctx, 'checkpoint_restored', `restored checkpoint ${id}: ${changed.length} of ${restored.length} tasks changed`, {
    checkpoint_id: id,
    session_id: checkpoint.session_id,
  });
  ctx.events.emit('state.checkpoint_restored', result);
  return result;
}
