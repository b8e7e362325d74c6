// The file backend's side of moving state between backends (`lockstep
// migrate`, transfer.ts): a task's stored versions out, and versions,
// sessions and checkpoints in exactly as they were stored (numbers,
// timestamps, writers kept).
//
// Imports are idempotent and resumable. A task is written oldest version
// first, each history file by an exclusive create, state.json last: an
// import cut short leaves a prefix of the source's history, which readers
// roll forward over and the next run completes. A target whose history
// differs from the source's is never overwritten.
import { mkdirSync } from 'node:fs';
import type { Checkpoint, Session, TaskState } from '../../shared/model.ts';
import { audit, taskLockTarget, type EngineContext } from './context.ts';
import { InvalidInputError, NotFoundError, VersionConflictError } from './errors.ts';
import { FencedError, lostLockError, writeFenced } from './fenced-write.ts';
import { isPlainObject, publishExclusive, readJsonFile } from './fsx.ts';
import { assertRealFolder, type HeldLock } from './locks.ts';
import { assertCheckpointId, assertTaskId } from './paths.ts';
import { readSessionFile, replaceSession } from './sessions.ts';
import { checkImportedSession, sessionImportVerdict } from './session-rules.ts';
import { canonicalJson } from './canonical-json.ts';
import { checkTaskValue, historyVersions, readHistoryVersion, readTask, readTaskFile } from './task-files.ts';

/** JSON with keys sorted, so two stores' copies compare equal whatever their key order. */
/**
 * Importing onto a target that already holds the task: the target may hold a
 * prefix of the source's history (an import cut short, or made before the
 * source moved on), which the import completes. Anything else is refused.
 * Both backends' importers use this one rule.
 */
export function assertTargetIsPrefix(taskId: string, versions: TaskState[], current: TaskState): void {
  const same = versions.find((v) => v.version === current.version);
  if (!same || canonicalJson(same) !== canonicalJson(current)) {
    throw new VersionConflictError(
      `task ${taskId}: the target holds a version ${current.version} that differs from the source's; nothing was imported`,
      versions[versions.length - 1]!.version,
      current.version,
      { task_id: taskId },
    );
  }
}

/** The stored versions of a task, oldest first, the current one last. */
export function exportTask(ctx: EngineContext, taskId: string): TaskState[] {
  assertTaskId(taskId);
  const byVersion = new Map<number, TaskState>();
  for (const v of historyVersions(ctx.layout, taskId)) {
    const check = readHistoryVersion(ctx.layout, taskId, v);
    if (check?.ok) byVersion.set(v, check.state);
  }
  const current = readTask(ctx.layout, taskId);
  const best = current.kind === 'ok' ? current.state : current.kind === 'damaged' ? current.best : null;
  if (best) byVersion.set(best.version, best);
  if (byVersion.size === 0) throw new NotFoundError(`task ${taskId} does not exist`, { task_id: taskId });
  // Versions above the current one are a commit being finished: readers roll forward to them too.
  return [...byVersion.values()].sort((a, b) => a.version - b.version);
}

/** Validates what an import is given: versions of this task, strictly ascending. */
function checkVersions(taskId: string, versions: unknown): TaskState[] {
  if (!Array.isArray(versions) || versions.length === 0)
    throw new InvalidInputError(`task ${taskId}: an import needs at least one version`);
  let last = 0;
  return versions.map((value: unknown) => {
    const check = checkTaskValue(value, taskId);
    if (!check.ok) throw new InvalidInputError(`task ${taskId}: a version to import is invalid (${check.reason})`, { task_id: taskId });
    if (check.state.version <= last)
      throw new InvalidInputError(`task ${taskId}: versions to import must be in ascending order`, { task_id: taskId });
    last = check.state.version;
    return check.state;
  });
}

export async function importTask(ctx: EngineContext, taskId: string, given: unknown): Promise<'written' | 'same'> {
  assertTaskId(taskId);
  const versions = checkVersions(taskId, given);
  const newest = versions[versions.length - 1]!;
  const held = await ctx.locks.acquire(taskLockTarget(ctx, taskId), 'write', { owner: ctx.config.owner || 'migrate' });
  try {
    const read = readTask(ctx.layout, taskId, true);
    const current = read.kind === 'ok' ? read.state : read.kind === 'damaged' ? read.best : null;
    let from = 0;
    if (current) {
      assertTargetIsPrefix(taskId, versions, current);
      if (current.version === newest.version && read.kind === 'ok' && !read.rolledForward) return 'same';
      from = current.version;
    }
    assertRealFolder(ctx.layout.taskDir(taskId));
    mkdirSync(ctx.layout.historyDir(taskId), { recursive: true });
    for (const v of versions) if (v.version > from || v === newest) writeHistory(ctx, held, taskId, v);
    try {
      writeFenced({
        target: ctx.layout.stateFile(taskId),
        data: JSON.stringify(newest, null, 2),
        durable: ctx.config.fsync,
        stillHeld: () => ctx.locks.stillHeld(held),
        pause: 'commit.after-lock-check',
      });
    } catch (err) {
      if (err instanceof FencedError) throw lostLockError(`task ${taskId}`, null, { task_id: taskId });
      throw err;
    }
  } finally {
    ctx.locks.release(held);
  }
  audit(ctx, 'migrated', `imported task ${taskId} up to version ${newest.version}`, { task_id: taskId, new_version: newest.version });
  return 'written';
}

/** One history version, by exclusive create: an existing file is kept if it holds the same version, else it is a conflict. */
function writeHistory(ctx: EngineContext, held: HeldLock, taskId: string, state: TaskState): void {
  if (!ctx.locks.stillHeld(held)) throw lostLockError(`task ${taskId}`, null, { task_id: taskId });
  const file = ctx.layout.historyFile(taskId, state.version);
  if (publishExclusive(file, JSON.stringify(state, null, 2), ctx.config.fsync)) return;
  const there = readTaskFile(file, taskId, state.version);
  if (there?.ok && canonicalJson(there.state) === canonicalJson(state)) return;
  throw new VersionConflictError(
    `task ${taskId}: the target's history holds a different version ${state.version}; nothing more was imported`,
    state.version,
    state.version,
    {
      task_id: taskId,
    },
  );
}

/**
 * A session as it is. 'same' when an identical one is there; an older copy
 * (earlier updated_at) is replaced, a newer or diverging one is refused.
 */
export async function importSession(ctx: EngineContext, given: Session): Promise<'written' | 'same'> {
  const id = checkImportedSession(given);
  mkdirSync(ctx.layout.sessionsDir, { recursive: true });
  if (publishExclusive(ctx.layout.sessionFile(id), JSON.stringify(given, null, 2), ctx.config.fsync)) {
    audit(ctx, 'migrated', `imported session ${id}`, { session_id: id });
    return 'written';
  }
  if (sessionImportVerdict(readSessionFile(ctx, id), given) === 'same') return 'same';
  await replaceSession(ctx, { ...given }, `imported session ${id}`);
  return 'written';
}

/** A checkpoint as it is; checkpoints never change, so a different one under the same id is refused. */
export function importCheckpoint(ctx: EngineContext, given: Checkpoint): 'written' | 'same' {
  if (!isPlainObject(given) || !isPlainObject(given.session) || !isPlainObject(given.tasks) || typeof given.session_id !== 'string') {
    throw new InvalidInputError('a checkpoint to import needs session_id, session and tasks');
  }
  const id = assertCheckpointId(given.id);
  mkdirSync(ctx.layout.checkpointsDir, { recursive: true });
  const file = ctx.layout.checkpointFile(id);
  if (publishExclusive(file, JSON.stringify(given, null, 2), ctx.config.fsync)) {
    audit(ctx, 'migrated', `imported checkpoint ${id}`, { checkpoint_id: id, session_id: given.session_id });
    return 'written';
  }
  const there = readJsonFile(file);
  if (there.kind === 'ok' && isPlainObject(there.value) && canonicalJson({ ...there.value, id }) === canonicalJson(given)) return 'same';
  throw new VersionConflictError(
    `checkpoint ${id}: the target holds a different checkpoint under this id; nothing was imported`,
    null,
    null,
    { checkpoint_id: id },
  );
}
