// Integrity checks, garbage collection and lock listings across all tasks.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ContentionStats,
  type HolderInfo,
  type IntegrityIssue,
  type LockEvent,
  type LockHolder,
  type LockRecord,
  type TaskLocks,
} from '../../shared/model.ts';
import type { EngineContext } from './context.ts';
import { audit, sessionLockTarget, taskLockTarget } from './context.ts';
import { isSessionId } from '../../shared/ids.ts';
import { contentionSince } from '../../shared/contention.ts';
import { readLog } from './audit-log.ts';
import { appendLockLine, brokenLine, cleanupLock, inspectLock, liveness, lockIssues, waiterOf } from './locks.ts';
import { readJsonFile, safeReaddir, TEMP_PREFIX, tempFileOwnerPid, unlinkQuiet } from './fsx.ts';
import { processLiveness, HOST } from './identity.ts';
import { taskIdFromDirName } from './paths.ts';
import { damageIssue, historyVersions, readHistoryVersion, readTask } from './task-files.ts';

/** Temp files of a live process are in use; others are left-overs of a crash. */
const TEMP_MAX_AGE_MS = 60 * 60 * 1000;

export function listTaskIds(ctx: EngineContext): string[] {
  const ids: string[] = [];
  for (const name of safeReaddir(ctx.layout.tasksDir)) {
    const id = taskIdFromDirName(name);
    if (id) ids.push(id);
  }
  return ids.sort();
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function isLeftoverTemp(dir: string, name: string): boolean {
  if (!name.startsWith(TEMP_PREFIX)) return false;
  const pid = tempFileOwnerPid(name);
  if (pid !== null && processLiveness(pid, HOST, null) === 'dead') return true;
  try {
    return Date.now() - statSync(join(dir, name)).mtimeMs > TEMP_MAX_AGE_MS;
  } catch {
    return false;
  }
}

/** What verify finds in one task's folder: its state, its history, its lock files, crash left-overs. */
export function verifyTask(ctx: EngineContext, taskId: string): IntegrityIssue[] {
  const issues: IntegrityIssue[] = [];
  const dir = ctx.layout.taskDir(taskId);
  const read = readTask(ctx.layout, taskId, true);
  if (read.kind === 'damaged') issues.push(damageIssue(ctx.layout, taskId, read));
  for (const v of historyVersions(ctx.layout, taskId)) {
    const check = readHistoryVersion(ctx.layout, taskId, v);
    if (check && !check.ok) {
      issues.push({
        kind: 'corrupt_history',
        task_id: taskId,
        path: ctx.layout.historyFile(taskId, v),
        message: check.reason,
        recoverable: false,
      });
    }
  }
  issues.push(...lockIssues(taskLockTarget(ctx, taskId), taskId));
  for (const name of safeReaddir(dir)) {
    if (isLeftoverTemp(dir, name)) {
      issues.push({
        kind: 'leftover_temp',
        task_id: taskId,
        path: join(dir, name),
        message: 'temp file left by a crashed writer',
        recoverable: true,
      });
    }
  }
  return issues;
}

export async function verifyAll(ctx: EngineContext): Promise<IntegrityIssue[]> {
  const issues: IntegrityIssue[] = [];
  const ids = listTaskIds(ctx);
  for (let i = 0; i < ids.length; i++) {
    if (i % 50 === 49) await yieldToLoop(); // keep a hosting event loop responsive (a few ms per slice)
    issues.push(...verifyTask(ctx, ids[i]!));
  }
  for (const name of safeReaddir(ctx.layout.sessionsDir)) {
    if (!name.endsWith('.json') || name.startsWith('.')) continue;
    const path = join(ctx.layout.sessionsDir, name);
    const read = readJsonFile(path);
    if (read.kind === 'corrupt') issues.push({ kind: 'corrupt_session', path, message: read.reason, recoverable: false });
  }
  for (const name of safeReaddir(ctx.layout.checkpointsDir)) {
    if (!name.endsWith('.json') || name.startsWith('.')) continue;
    const path = join(ctx.layout.checkpointsDir, name);
    const read = readJsonFile(path);
    if (read.kind === 'corrupt') issues.push({ kind: 'corrupt_checkpoint', path, message: read.reason, recoverable: false });
  }
  return issues;
}

/** Remove expired and dead locks (and crash left-overs). Returns the number of lock files removed. */
export function cleanupLocks(ctx: EngineContext): { removed: number; temp_files: number } {
  let removed = 0;
  let tempFiles = 0;
  const dirs: string[] = [ctx.layout.sessionsDir, ctx.layout.checkpointsDir];
  for (const taskId of listTaskIds(ctx)) {
    removed += cleanupLock(taskLockTarget(ctx, taskId), (record, why) => onBroken(ctx, taskId, record, why));
    dirs.push(ctx.layout.taskDir(taskId));
  }
  for (const sessionId of sessionLockIds(ctx)) {
    removed += cleanupLock(sessionLockTarget(ctx, sessionId), (record, why) => onBroken(ctx, `session:${sessionId}`, record, why));
  }
  for (const dir of dirs) {
    for (const name of safeReaddir(dir)) {
      if (isLeftoverTemp(dir, name) && unlinkQuiet(join(dir, name))) tempFiles++;
    }
  }
  return { removed, temp_files: tempFiles };
}

/** Sessions with lock files (tickets `<id>.lock.<seq>-…`, or an older version's `<id>.lock`). */
function sessionLockIds(ctx: EngineContext): string[] {
  const ids = new Set<string>();
  for (const name of safeReaddir(ctx.layout.sessionsDir)) {
    const m = /^(.+)\.lock(?:\..*)?$/.exec(name);
    if (m && isSessionId(m[1])) ids.add(m[1]!);
  }
  return [...ids];
}

function onBroken(ctx: EngineContext, resourceId: string, record: LockRecord | null, why: string): void {
  appendLockLine(ctx.log, ctx.events, brokenLine(resourceId, record, why));
  audit(ctx, 'lock_broken', `removed a stale lock${record ? ` of pid ${record.pid} (${record.owner || 'unnamed'})` : ''}: ${why}`, {
    task_id: resourceId,
  });
  ctx.events.emit('state.lock_broken', { task_id: resourceId, reason: why });
}

/** Each task's lock in one piece: its holders and its waiters, for tasks with either. */
export function lockSummaries(ctx: EngineContext, taskIds = listTaskIds(ctx)): TaskLocks[] {
  const out: TaskLocks[] = [];
  for (const taskId of taskIds) {
    const view = inspectLock(taskLockTarget(ctx, taskId));
    const records = view.entries.filter((e) => e.role === 'holder').map((e) => e.record);
    for (const o of view.odd) if (o.record) records.push({ ...o.record, task_id: taskId });
    const waiters = view.entries
      .filter((e) => e.role === 'waiter')
      .map((e) => {
        const { start: _start, ...w } = waiterOf(e.record);
        return w;
      });
    if (records.length === 0 && waiters.length === 0) continue;
    const holders: HolderInfo[] = records.map((r) => ({ ...r, ...liveness(r), pending: false }));
    const writerAt = holders.findIndex((h) => h.mode === 'write');
    const writer = writerAt >= 0 ? holders[writerAt]! : null;
    out.push({ task_id: taskId, writer, readers: holders.filter((_, i) => i !== writerAt), waiters });
  }
  return out;
}

/** Every holder of every task lock (one entry per reader), each with the task's waiters: `lockstep locks`. */
export function listLocks(ctx: EngineContext, taskIds = listTaskIds(ctx)): LockHolder[] {
  return lockSummaries(ctx, taskIds).flatMap(({ writer, readers, waiters }) =>
    [...(writer ? [writer] : []), ...readers].map((h) => ({ ...h, waiters })),
  );
}

/** Per-task lock contention over a window (shared/contention.ts: one code path with the dashboard's). */
export { contentionSince as contentionStats, percentile } from '../../shared/contention.ts';

export function readContention(ctx: EngineContext, windowMs: number): ContentionStats[] {
  const since = Date.now() - windowMs;
  return contentionSince(readLog<LockEvent>(ctx.layout.logsDir, 'locks', new Date(since).toISOString()), since);
}
