// Committing task versions. One commit costs one fsync:
//   1. write the new version to a held temp file and fsync it;
//   2. check that our lock ticket is still there;
//   3. link the temp to history/v<N+1>.json: an exclusive create, so EEXIST
//      means another writer already committed N+1 (the version fence);
//   4. rename it over state.json.
// A crash before 3 leaves the old state; after 3, readers roll forward to
// N+1 (task-files.ts), so the state never moves backwards.
//
// A contended commit (it waited for the lock, or others queue for it) makes its
// fsync last instead, after step 4 and after releasing the lock, so that
// the next writer's work overlaps the disk flush: the lock is held for the
// writes, not for the wait on the disk (early lock release, as databases do
// for group commit). The commit is acknowledged only once its fsync is done.
// Meanwhile others may read it and commit on top; if the process dies
// before the fsync, the version stays (it was published, the kernel writes
// it) but was never acknowledged, like a crash just before returning. A
// failed fsync is reported as such: the version was published, and the
// caller is told that it may not survive a power cut. Without contention a
// commit keeps the order above, which lets it write into a spare inode
// (version-spares.ts) and is what makes one process alone fast.
//
// A writer stopped past its lease (a VM stall, SIGSTOP) cannot publish late:
// the next holder deletes every held temp before it reads (the fence, see
// fsx.fenceHeldTemps), so a late link or rename fails with ENOENT; and a temp
// created after that fence fails step 2, because the fence only runs once
// the stopped writer's ticket is gone. This holds however long the pause and
// whatever history was pruned meanwhile: a pruned v<N+1> cannot be linked again.
import { existsSync, mkdirSync, unlink } from 'node:fs';
import type { JsonObject, TaskState } from '../../shared/model.ts';
import { ENGINE_TASK_FIELDS } from '../../shared/model.ts';
import { diffFields } from '../../shared/diff.ts';
import type { EngineContext } from './context.ts';
import { audit, taskLockTarget } from './context.ts';
import { CorruptStateError, InvalidInputError, NotFoundError, StateIOError, VersionConflictError, asStateError } from './errors.ts';
import { FencedError, lostLockError, writeFenced, type PendingSync } from './fenced-write.ts';
import { linkExclusive, renameWithRetry, unlinkQuiet } from './fsx.ts';
import { assertRealFolder, type HeldLock } from './locks.ts';
import { pausePoint } from './pause-points.ts';
import { dropSpares, stageSpare } from './version-spares.ts';
import { assertTaskId } from './paths.ts';
import { historyVersions, readHistoryVersion, readTask, readTaskFile } from './task-files.ts';
import {
  assertExpectedVersion,
  checkUpdatePayload,
  commitAuditDetails,
  nextVersion,
  restoreSpec,
  updateSpec,
  versionConflict,
  type CommitSpec,
} from './task-rules.ts';

export type { CommitSpec } from './task-rules.ts';
export { userContent } from './task-rules.ts';

export interface CommitOptions {
  expectedVersion?: number;
  owner?: string;
  timeout?: number;
  /** Commit under a lock the caller already holds (acquireLock), instead of taking one. */
  lock?: HeldLock;
  session?: string;
}

/** Validates an update payload before anything is locked or written. */
export function checkPayload(ctx: EngineContext, updates: unknown): { updates: JsonObject; bytes: number } {
  return checkUpdatePayload(updates, ctx.config.max_state_bytes);
}

/**
 * The current state for a writer that holds the lock: rolls forward,
 * recovers a damaged state.json from history, and repairs state.json.
 * Always checked against the newest valid history: a state.json older than
 * it (even older than all pruned history) must never be the base of a new
 * version. history/ is listed for that unless state.json is still the hard
 * link its commit left (task-files.ts readTask), or `listHistory`.
 */
function currentUnderLock(ctx: EngineContext, taskId: string, held: HeldLock, listHistory = false): TaskState | null {
  const read = readTask(ctx.layout, taskId, true, !listHistory);
  if (read.kind === 'ok') return read.state;
  if (read.kind === 'missing') return null;
  if (!read.best) {
    throw new CorruptStateError(`task ${taskId}: ${read.reason}, and no valid version exists in history`, { task_id: taskId });
  }
  return repairStateFile(ctx, taskId, read.best, read.reason, held);
}

/**
 * Put the newest valid version back as state.json. Version numbers never go
 * backwards: if a newer version number exists whose content was lost (a
 * file damaged in place — state.json is a hard link to its history entry),
 * the newest surviving content is written as a new version above all of
 * them, and the damaged files are moved aside (kept for inspection).
 */
function repairStateFile(ctx: EngineContext, taskId: string, best: TaskState, reason: string, held: HeldLock): TaskState {
  const lost = historyVersions(ctx.layout, taskId).filter((v) => v > best.version);
  let restored = best;
  if (lost.length === 0) {
    publishUnderLock(ctx, held, taskId, JSON.stringify(best, null, 2), null);
  } else {
    const stamp = Date.now();
    for (const v of lost) renameWithRetry(ctx.layout.historyFile(taskId, v), `${ctx.layout.historyFile(taskId, v)}.corrupt-${stamp}`);
    restored = { ...best, version: Math.max(...lost) + 1, updated_at: new Date().toISOString() };
    publishUnderLock(ctx, held, taskId, JSON.stringify(restored, null, 2), restored.version);
  }
  const what =
    restored === best
      ? `version ${best.version}`
      : `the content of version ${best.version} as version ${restored.version} (versions ${lost.join(', ')} were damaged and moved aside)`;
  audit(ctx, 'task_recovered', `recovered ${what} from history: ${reason}`, {
    task_id: taskId,
    old_version: null,
    new_version: restored.version,
  });
  ctx.events.emit('state.task_recovered', { task_id: taskId, version: restored.version, reason });
  return restored;
}

/**
 * Versions only grow, so an expectedVersion already behind the committed
 * version cannot succeed under the lock either. Checked before queueing for
 * the lock and again each time a queued writer wakes, so optimistic retry
 * loops leave the queue as soon as they are stale instead of crowding it.
 */
export function staleVersionError(ctx: EngineContext, taskId: string, expected: number): VersionConflictError | null {
  const read = readTask(ctx.layout, taskId);
  const current = read.kind === 'ok' ? read.state.version : read.kind === 'damaged' ? (read.best?.version ?? null) : 0;
  if (current === null || current <= expected) return null;
  return versionConflict(taskId, expected, current);
}

export async function commitTask(ctx: EngineContext, taskId: string, spec: CommitSpec, options: CommitOptions): Promise<TaskState> {
  assertTaskId(taskId);
  const owner = options.owner ?? ctx.config.owner;
  const expected = options.expectedVersion;
  const abortIf = expected === undefined ? undefined : () => staleVersionError(ctx, taskId, expected);
  const stale = options.lock ? null : abortIf?.();
  if (stale) throw stale;
  const held =
    options.lock ??
    (await ctx.locks.acquire(taskLockTarget(ctx, taskId), 'write', { timeout: options.timeout, owner, abortIf, withinCommit: true }));
  if (options.lock && (options.lock.record.mode !== 'write' || options.lock.target.resourceId !== taskId)) {
    throw new InvalidInputError(
      `the lock passed is a ${options.lock.record.mode} lock on ${options.lock.target.resourceId}, not a write lock on ${taskId}`,
    );
  }
  let result: Committed;
  try {
    result = commitUnderLock(ctx, taskId, spec, options, owner, held, false);
  } catch (err) {
    if (err instanceof FencedError) throw lostLock(taskId, expected);
    throw asStateError(err);
  } finally {
    if (!options.lock) ctx.locks.release(held);
  }
  const { previous, next } = result;
  const notDurable = finishSync(result.pendingSync);
  pruneHistory(ctx, taskId, next.version);
  const changes = diffFields(previous, next, ENGINE_TASK_FIELDS);
  audit(ctx, spec.changeType, spec.describe(previous, next, changes), commitAuditDetails(taskId, previous, next), owner);
  ctx.events.emit('state.task_updated', {
    task_id: taskId,
    previous_version: previous?.version ?? null,
    new_version: next.version,
    changes,
    state: next,
  });
  if (notDurable) {
    throw new StateIOError(
      `task ${taskId}: version ${next.version} was committed and others may read it, but the disk failed to make it durable (${notDurable.message}); it may be lost if the machine loses power`,
      { task_id: taskId, version: next.version, published: true },
    );
  }
  return next;
}

/** The fsync a contended commit left for after its release (see the top of this file); its error, if it failed. */
function finishSync(pendingSync: PendingSync): Error | null {
  try {
    pendingSync();
    return null;
  } catch (err) {
    return err as Error;
  }
}

function lostLock(taskId: string, expected: number | undefined): VersionConflictError {
  return lostLockError(`task ${taskId}`, expected ?? null, { task_id: taskId });
}

/**
 * Steps 1–4 of a commit (see the top of this file) for content already
 * decided. `version`: link into history as that version first; null only
 * puts state.json back in line with history (a repair). `syncAfterRelease`:
 * return the fsync for the caller to make once it released the lock (a
 * contended commit, see the top of this file).
 */
function publishUnderLock(
  ctx: EngineContext,
  held: HeldLock,
  taskId: string,
  json: string,
  version: number | null,
  syncAfterRelease = false,
): PendingSync {
  // A lock this commit took was joined in this very folder, which was checked then (locks/manager.ts join).
  if (!held.withinCommit) assertRealFolder(ctx.layout.taskDir(taskId));
  return writeFenced({
    target: ctx.layout.stateFile(taskId),
    data: json,
    durable: ctx.config.fsync,
    stillHeld: () => ctx.locks.stillHeld(held),
    pause: 'commit.after-lock-check',
    link: version === null ? undefined : (tmp) => linkFenced(ctx, taskId, tmp, version),
    useSpare: version !== null,
    syncAfterPublish: syncAfterRelease,
  });
}

function linkFenced(ctx: EngineContext, taskId: string, tmp: string, version: number): void {
  const historyFile = ctx.layout.historyFile(taskId, version);
  try {
    linkExclusive(tmp, historyFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    if (!existsSync(tmp)) throw new FencedError();
    assertRealFolder(ctx.layout.historyDir(taskId));
    mkdirSync(ctx.layout.historyDir(taskId), { recursive: true });
    linkExclusive(tmp, historyFile);
  }
}

interface Committed {
  previous: TaskState | null;
  next: TaskState;
  /** Called once the lock is released (see the top of this file). */
  pendingSync: PendingSync;
}

function commitUnderLock(
  ctx: EngineContext,
  taskId: string,
  spec: CommitSpec,
  options: CommitOptions,
  owner: string,
  held: HeldLock,
  afterRecovery: boolean,
): Committed {
  // A lock passed in may have been lost long ago: say so before reading. One this commit has just
  // acquired was proven ours when it was granted; the check after the temp is written is what the fence needs.
  if (options.lock && !ctx.locks.stillHeld(held)) throw lostLock(taskId, options.expectedVersion);
  // After finding its version taken, history is listed: a state.json linked back by hand can be behind it.
  const previous = currentUnderLock(ctx, taskId, held, afterRecovery);
  pausePoint('commit.after-read');
  const currentVersion = previous?.version ?? 0;
  if (options.expectedVersion !== undefined && options.expectedVersion !== currentVersion) {
    throw versionConflict(taskId, options.expectedVersion, currentVersion);
  }
  const next = nextVersion(taskId, spec.next(previous), currentVersion, owner);
  let json: string;
  try {
    json = JSON.stringify(next, null, 2);
  } catch (err) {
    // A state.json written by hand can nest deeper than JSON.stringify's stack allows.
    throw new InvalidInputError(
      `task ${taskId}: the new state cannot be stored as JSON (${(err as Error).message}); fix or restore the current version first`,
      { task_id: taskId },
    );
  }
  const bytes = Buffer.byteLength(json);
  if (bytes > ctx.config.max_state_bytes) {
    throw new InvalidInputError(`task ${taskId}: the new state would be ${bytes} bytes; the limit is ${ctx.config.max_state_bytes}`);
  }
  let pendingSync: PendingSync;
  try {
    // Only a lock this commit took is released before it returns, and only a queue behind it gains.
    const handOnFirst = held.withinCommit === true && held.queueLikely === true;
    pendingSync = publishUnderLock(ctx, held, taskId, json, next.version, handOnFirst);
  } catch (err) {
    if (err instanceof FencedError) throw lostLock(taskId, options.expectedVersion);
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const historyFile = ctx.layout.historyFile(taskId, next.version);
    if (!ctx.locks.stillHeld(held)) throw lostLock(taskId, options.expectedVersion);
    if (readHistoryVersion(ctx.layout, taskId, next.version)?.ok === false) {
      // history/v<N+1> exists but is not a valid version N+1 (a damaged file
      // that recovery skipped): nobody committed N+1. Move it aside, or
      // every later update of this task would fail on it.
      renameWithRetry(historyFile, `${historyFile}.corrupt-${Date.now()}`);
      return commitUnderLock(ctx, taskId, spec, options, owner, held, afterRecovery);
    }
    // Still our lock: state.json is behind its own history. Recover, then retry once.
    if (!afterRecovery) return commitUnderLock(ctx, taskId, spec, options, owner, held, true);
    throw new VersionConflictError(`task ${taskId}: version ${next.version} already exists`, options.expectedVersion ?? null, next.version);
  }
  return { previous, next, pendingSync };
}

/**
 * Keep the current version plus max_history earlier ones. Each commit
 * removes the one version that just fell out, after the lock is released:
 * it becomes a spare inode for this process's next commit (version-spares.ts),
 * because freeing a file's blocks is the slowest step of a commit on some
 * filesystems; if no spare is wanted it is deleted without waiting. Every
 * 25th version a full sweep also removes any left behind (a process that
 * exited first, a crash, max_history lowered). Readers never list versions
 * beyond the window (see getTaskHistory), so a file being removed is not seen.
 */
export function pruneHistory(ctx: EngineContext, taskId: string, currentVersion: number): void {
  const fallingOut = currentVersion - ctx.config.max_history - 1;
  if (fallingOut >= 1) {
    const file = ctx.layout.historyFile(taskId, fallingOut);
    if (!stageSpare(file, ctx.layout.stateFile(taskId))) unlink(file, () => {});
  }
  if (currentVersion % 25 === 0) {
    for (const v of historyVersions(ctx.layout, taskId)) if (v < fallingOut) unlinkQuiet(ctx.layout.historyFile(taskId, v));
  }
}

/** The store is closing: remove the spare inodes kept for its tasks' next commits. */
export function closeTasks(ctx: EngineContext): void {
  dropSpares(ctx.layout.tasksDir);
}

export function updateTask(ctx: EngineContext, taskId: string, updates: unknown, options: CommitOptions): Promise<TaskState> {
  assertTaskId(taskId);
  const payload = checkPayload(ctx, updates).updates;
  assertExpectedVersion(options.expectedVersion);
  if (options.session !== undefined) payload.session_id = options.session;
  return commitTask(ctx, taskId, updateSpec(taskId, payload), options);
}

/** Write `content` back as a new version (restores of history versions and checkpoints). */
export function restoreTaskContent(
  ctx: EngineContext,
  taskId: string,
  content: JsonObject,
  what: string,
  options: CommitOptions = {},
): Promise<TaskState> {
  return commitTask(ctx, taskId, restoreSpec(content, what), options);
}

export async function restoreTaskVersion(
  ctx: EngineContext,
  taskId: string,
  version: number,
  options: CommitOptions = {},
): Promise<TaskState> {
  assertTaskId(taskId);
  const check = readHistoryVersion(ctx.layout, taskId, version);
  if (check === null) throw new NotFoundError(`task ${taskId} has no version ${version} in history`);
  if (!check.ok) throw new CorruptStateError(`task ${taskId} version ${version}: ${check.reason}`);
  return restoreTaskContent(ctx, taskId, check.state, `version ${version}`, options);
}

/** Bring state.json back to the newest valid version. Returns it, or throws CorruptStateError. */
export async function recoverTask(ctx: EngineContext, taskId: string, timeout?: number): Promise<{ state: TaskState; recovered: boolean }> {
  assertTaskId(taskId);
  // Looked up before locking: a lock would create the task's folder, and a not-found request writes nothing.
  if (!existsSync(ctx.layout.taskDir(taskId))) throw new NotFoundError(`task ${taskId} does not exist`);
  const held = await ctx.locks.acquire(taskLockTarget(ctx, taskId), 'write', { timeout, owner: ctx.config.owner || 'recover' });
  try {
    const read = readTask(ctx.layout, taskId, true);
    if (read.kind === 'missing') throw new NotFoundError(`task ${taskId} does not exist`);
    if (read.kind === 'ok') {
      const onDisk = readTaskFile(ctx.layout.stateFile(taskId), taskId);
      if (onDisk?.ok && onDisk.state.version === read.state.version) return { state: read.state, recovered: false };
      return {
        state: repairStateFile(ctx, taskId, read.state, `state.json was behind history version ${read.state.version}`, held),
        recovered: true,
      };
    }
    if (!read.best) {
      throw new CorruptStateError(`task ${taskId}: ${read.reason}, and no valid version exists in history`, { task_id: taskId });
    }
    return { state: repairStateFile(ctx, taskId, read.best, read.reason, held), recovered: true };
  } catch (err) {
    if (err instanceof FencedError) throw lostLock(taskId, undefined);
    throw asStateError(err);
  } finally {
    ctx.locks.release(held);
  }
}
