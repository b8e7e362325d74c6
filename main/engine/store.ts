// The public engine API: openStateStore() returns a StateStore.
import { mkdirSync, statSync } from 'node:fs';
import type {
  AuditEntry, Checkpoint, CheckpointSummary, ContentionStats, IntegrityIssue, JsonObject,
  LockHolder, LockMode, LockRecord, RestorePreview, RestoreResult, Session, TaskLocks, TaskState,
} from '../../shared/model.ts';
import { AppendLog, readLog } from './audit-log.ts';
import { assertNoCaseTwin } from './case-twins.ts';
import * as checkpoints from './checkpoints.ts';
import { loadConfig, type StoreConfig } from './config.ts';
import { audit, taskLockTarget, type EngineContext } from './context.ts';
import { asStateError, InvalidInputError, LockTimeoutError } from './errors.ts';
import { EventHub, type EngineEventName, type EngineListener } from './events.ts';
import { acquiredLine, appendLockLine, brokenLine, cleanupLock, inspectLock, LockManager, releasedLine, timeoutLine, type HeldLock } from './locks.ts';
import { StateWatcher, type WatcherCallbacks, type WatchFactory } from './feed/state-watcher.ts';
import * as maintenance from './maintenance.ts';
import { migrateLegacy } from './migration.ts';
import { assertTaskId, defaultRoot, StateLayout } from './paths.ts';
import * as sessions from './sessions.ts';
import { damageIssue, historyVersions, readTask, readTaskFile } from './task-files.ts';
import * as tasks from './tasks.ts';
import { Monitor } from './monitor.ts';

export interface OpenOptions extends Partial<StoreConfig> {
  root?: string;
}

export interface UpdateOptions {
  expectedVersion?: number;
  session?: string;
  owner?: string;
  timeout?: number;
  /** A write lock from acquireLock() to commit under, instead of taking one. */
  lock?: Lock;
}

export interface LockOptions {
  timeout?: number;
  owner?: string;
  /** Refresh the lease every lease_ms/3 until released (for long holds). */
  heartbeat?: boolean;
}

/** A held lock, as returned by acquireLock(). `record` is what is on disk. */
export type Lock = HeldLock;

export interface AuditQuery {
  task?: string;
  since?: string;
  limit?: number;
}

export class StateStore {
  readonly root: string;
  readonly config: StoreConfig;
  private readonly ctx: EngineContext;
  private readonly events = new EventHub();
  private readonly heartbeats = new Map<HeldLock, NodeJS.Timeout>();
  private readonly monitor: Monitor;

  constructor(options: OpenOptions = {}) {
    const { root, ...overrides } = options;
    const layout = new StateLayout(root ?? defaultRoot());
    this.root = layout.root;
    this.config = loadConfig(layout.configFile, overrides);
    const log = new AppendLog(layout.logsDir);
    const events = this.events;
    const locks = new LockManager(this.config, {
      onAcquired: (held, waitMs) => {
        appendLockLine(log, events, acquiredLine(held)); // a failed log write is reported; it never fails the lock
        events.emit('state.lock_acquired', { task_id: held.target.resourceId, mode: held.record.mode, wait_ms: waitMs, owner: held.record.owner });
      },
      onTimeout: (target, mode, waitMs, blocker, owner) => {
        appendLockLine(log, events, timeoutLine(target, mode, owner, waitMs));
        audit(this.ctx, 'lock_timeout', `gave up on the ${mode} lock after ${waitMs} ms${blocker ? ` (held by pid ${blocker.pid}, ${blocker.owner || 'unnamed'})` : ''}`, { task_id: target.resourceId });
        events.emit('state.lock_timeout', { task_id: target.resourceId, mode, wait_ms: waitMs });
      },
      onBroken: (target, record, why) => {
        appendLockLine(log, events, brokenLine(target.resourceId, record, why));
        audit(this.ctx, 'lock_broken', `removed a stale lock${record ? ` of pid ${record.pid} (${record.owner || 'unnamed'})` : ''}: ${why}`, { task_id: target.resourceId });
        events.emit('state.lock_broken', { task_id: target.resourceId, reason: why });
      },
      onReleased: (held, releasedAt, stillHeld) => appendLockLine(log, events, releasedLine(held, releasedAt, !stillHeld)),
    });
    this.ctx = { layout, config: this.config, locks, log, events };
    this.monitor = new Monitor(this, this.config, events);
  }

  /** Run an operation, turning filesystem errors into errors that name the path. */
  private async guard<T>(fn: () => T | Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw asStateError(err);
    }
  }

  // ---- layout ---------------------------------------------------------------

  /** Create the layout and migrate a legacy single-file state if one is found. */
  init(): Promise<{ root: string; migrated: { sessions: number; tasks: number; from: string } | null }> {
    return this.guard(async () => {
      const l = this.ctx.layout;
      for (const dir of [l.root, l.tasksDir, l.sessionsDir, l.checkpointsDir, l.logsDir]) mkdirSync(dir, { recursive: true });
      return { root: this.root, migrated: await migrateLegacy(this.ctx) };
    });
  }

  // ---- tasks ----------------------------------------------------------------

  /**
   * Current state, or null. A damaged state.json, or one behind the newest
   * valid history version (an older copy put back, a commit cut short by a
   * crash), is recovered from history and repaired on disk.
   */
  getTaskState(id: string): Promise<TaskState | null> {
    return this.guard(async () => {
      const healthy = (r: ReturnType<typeof readTask>) => r.kind === 'missing' || (r.kind === 'ok' && !r.rolledForward);
      let read = readTask(this.ctx.layout, assertTaskId(id), true);
      // A commit may have been finishing between our reads: look once more before taking the lock.
      if (!healthy(read)) read = readTask(this.ctx.layout, id, true);
      if (read.kind === 'missing') return null;
      if (read.kind === 'ok' && !read.rolledForward) return read.state;
      if (read.kind === 'damaged') return (await tasks.recoverTask(this.ctx, id)).state;
      // state.json is behind but the rolled-forward state is already the committed
      // truth: repair it if the lock is free soon, never keep a reader waiting long.
      try {
        return (await tasks.recoverTask(this.ctx, id, Math.min(250, this.config.lock_timeout_ms))).state;
      } catch (err) {
        if (err instanceof LockTimeoutError) return read.state;
        throw err;
      }
    });
  }

  updateTaskState(id: string, updates: unknown, options: UpdateOptions = {}): Promise<TaskState> {
    return this.guard(async () => {
      assertTaskId(id);
      assertNoCaseTwin(this.ctx.layout, id);
      if (options.session !== undefined) {
        // The session lists the task before the task names the session, so a
        // failure reports the truth: if linking fails (a lock time-out), nothing
        // was committed; if the commit then fails, the session lists a task that
        // does not name it yet, and a retry completes it. A stale expected
        // version fails first, touching nothing.
        sessions.readSessionFile(this.ctx, options.session); // NotFound before writing
        tasks.checkPayload(this.ctx, updates);
        const stale = options.expectedVersion === undefined ? null : tasks.staleVersionError(this.ctx, id, options.expectedVersion);
        if (stale) throw stale;
        await sessions.linkTaskToSession(this.ctx, options.session, id, options.timeout);
      }
      return tasks.updateTask(this.ctx, id, updates, options);
    });
  }

  /**
   * Versions newest first: the current one and up to max_history earlier
   * ones. Unreadable history files are skipped.
   */
  getTaskHistory(id: string): Promise<TaskState[]> {
    return this.getTaskHistoryPage(id, Number.POSITIVE_INFINITY).then((page) => page.versions);
  }

  /** The newest `limit` versions (parsing only those), and how many older ones were left out. */
  getTaskHistoryPage(id: string, limit: number): Promise<{ versions: TaskState[]; omitted: number }> {
    return this.guard(() => {
      assertTaskId(id);
      const out: TaskState[] = [];
      const all = historyVersions(this.ctx.layout, id);
      const oldestKept = (all[0] ?? 0) - this.config.max_history;
      const versions = all.filter((v) => v >= oldestKept); // older ones are being pruned
      for (const v of versions.slice(0, limit)) {
        const check = readTaskFile(this.ctx.layout.historyFile(id, v), id, v);
        if (check?.ok) out.push(check.state);
      }
      const current = readTask(this.ctx.layout, id);
      if (current.kind === 'ok' && !out.some((s) => s.version === current.state.version)) {
        out.push(current.state);
        out.sort((a, b) => b.version - a.version);
      }
      return { versions: out, omitted: Math.max(0, versions.length - limit) };
    });
  }

  listTaskIds(): Promise<string[]> {
    return this.guard(() => maintenance.listTaskIds(this.ctx));
  }

  /** Current state of every task (damaged ones as they would be recovered). */
  listTasks(): Promise<TaskState[]> {
    return this.guard(() => {
      const out: TaskState[] = [];
      for (const id of maintenance.listTaskIds(this.ctx)) {
        const read = readTask(this.ctx.layout, id);
        if (read.kind === 'ok') out.push(read.state);
        else if (read.kind === 'damaged' && read.best) out.push(read.best);
      }
      return out;
    });
  }

  recoverTaskState(id: string, options: { timeout?: number } = {}): Promise<{ state: TaskState; recovered: boolean }> {
    return this.guard(() => tasks.recoverTask(this.ctx, id, options.timeout));
  }

  /** Write an earlier version back as a new version. */
  restoreTaskVersion(id: string, version: number, options: UpdateOptions = {}): Promise<TaskState> {
    return this.guard(() => {
      assertNoCaseTwin(this.ctx.layout, assertTaskId(id));
      return tasks.restoreTaskVersion(this.ctx, id, version, options);
    });
  }

  /** verify for one task only (after recovering it, say): its issues, nothing emitted. */
  verifyTaskState(id: string): Promise<IntegrityIssue[]> {
    return this.guard(() => maintenance.verifyTask(this.ctx, assertTaskId(id)));
  }

  verifyAllStates(): Promise<IntegrityIssue[]> {
    return this.guard(async () => {
      const issues = await maintenance.verifyAll(this.ctx);
      // Emitted after every verify, an empty list included, so listeners can clear what was fixed.
      this.events.emit('state.integrity_issues', { issues });
      return issues;
    });
  }

  // ---- locks ----------------------------------------------------------------

  acquireLock(id: string, mode: LockMode = 'write', options: LockOptions = {}): Promise<Lock> {
    return this.guard(async () => {
      if (mode !== 'read' && mode !== 'write') throw new InvalidInputError(`lock mode must be "read" or "write", got ${JSON.stringify(mode)}`);
      const target = taskLockTarget(this.ctx, assertTaskId(id));
      assertNoCaseTwin(this.ctx.layout, id);
      const held = await this.ctx.locks.acquire(target, mode, options);
      if (options.heartbeat) {
        const timer = setInterval(() => {
          let kept: boolean;
          try {
            kept = this.ctx.locks.refresh(held);
          } catch {
            kept = false;
          }
          if (!kept) {
            clearInterval(timer);
            this.heartbeats.delete(held);
            this.events.emit('state.lock_lost', { task_id: held.target.resourceId, mode: held.record.mode, token: held.record.token });
          }
        }, Math.max(10, Math.floor(this.config.lease_ms / 3)));
        timer.unref();
        this.heartbeats.set(held, timer);
      }
      return held;
    });
  }

  /** Leave a lock. Resolves to false if it had already been taken over (its lease ran out while this process was stopped). */
  releaseLock(lock: Lock): Promise<boolean> {
    return this.guard(() => {
      clearInterval(this.heartbeats.get(lock));
      this.heartbeats.delete(lock);
      const wasHeld = this.ctx.locks.release(lock);
      this.events.emit('state.lock_released', { task_id: lock.target.resourceId, mode: lock.record.mode });
      return wasHeld;
    });
  }

  /** Extend a lock's lease. False if it was lost to another holder. */
  refreshLock(lock: Lock): Promise<boolean> {
    return this.guard(() => this.ctx.locks.refresh(lock));
  }

  listLocks(): Promise<LockHolder[]> {
    return this.guard(() => maintenance.listLocks(this.ctx));
  }

  locksOf(taskIds: string[]): LockHolder[] {
    return maintenance.listLocks(this.ctx, validTaskIds(taskIds));
  }

  /**
   * The change feed: typed changes (task, lock, session, checkpoint, log,
   * config, root, integrity) as they happen, with the watch mode, falling
   * back to polling rescans when native watching fails. Call `start()` on
   * the result; `close()` ends it.
   */
  watch(callbacks: WatcherCallbacks, factory?: WatchFactory): ChangeFeed {
    const watcher = new StateWatcher(this.root, callbacks, factory);
    const offIntegrity = this.on('state.integrity_issues', ({ issues }) => callbacks.onChange({ kind: 'integrity', issues }));
    const close = watcher.close.bind(watcher);
    return Object.assign(watcher, {
      close: async () => {
        offIntegrity();
        await close();
      },
    });
  }

  /**
   * Tasks whose folder changed since `sinceMs` (created, a commit, a lock
   * ticket): one stat per task folder, no file reads. A watcher started late
   * uses it to catch up on what happened before its watches were in place.
   */
  tasksChangedSince(sinceMs: number): string[] {
    return maintenance.listTaskIds(this.ctx).filter((id) => {
      try {
        return statSync(this.ctx.layout.taskDir(id)).mtimeMs >= sinceMs;
      } catch {
        return false;
      }
    });
  }

  /**
   * A task as a watcher sees it, without writing: its best readable state
   * (null: none), the bytes of state.json (0 when damaged), and the damage
   * found while reading, so a dashboard can flag it at once.
   */
  inspectTask(taskId: string): { state: TaskState | null; bytes: number; damage: IntegrityIssue | null } {
    const read = readTask(this.ctx.layout, assertTaskId(taskId));
    if (read.kind === 'ok') return { state: read.state, bytes: read.bytes, damage: null };
    if (read.kind === 'missing') return { state: null, bytes: 0, damage: null };
    return { state: read.best, bytes: 0, damage: damageIssue(this.ctx.layout, taskId, read) };
  }

  /** One summary per task that has a holder or a waiter (ids that are not task ids are skipped). */
  lockSummaries(taskIds: string[]): TaskLocks[] {
    return maintenance.lockSummaries(this.ctx, validTaskIds(taskIds));
  }

  /** Remove expired locks and locks whose holder died. Returns how many lock files were removed. */
  cleanupExpiredLocks(): Promise<number> {
    return this.guard(() => maintenance.cleanupLocks(this.ctx).removed);
  }

  /** gc: stale locks plus temp files left by crashed writers. */
  collectGarbage(): Promise<{ removed: number; temp_files: number }> {
    return this.guard(() => maintenance.cleanupLocks(this.ctx));
  }

  /** Break one task's lock, only if its holder is dead or its lease expired. */
  breakLock(id: string): Promise<{ removed: number }> {
    return this.guard(() => {
      const target = taskLockTarget(this.ctx, assertTaskId(id));
      const live = inspectLock(target).entries.filter((e) => e.role === 'holder' && e.stale === null);
      if (live.length > 0) {
        const r = live[0]!.record;
        throw new InvalidInputError(`the lock on ${id} is held by a live process (pid ${r.pid}, ${r.owner || 'unnamed'}); refusing to break it`);
      }
      return { removed: cleanupLock(target, (record, why) => this.ctx.locks.listener.onBroken(target, record, why)) };
    });
  }

  getContention(options: { windowMs?: number } = {}): Promise<ContentionStats[]> {
    return this.guard(() => maintenance.readContention(this.ctx, options.windowMs ?? 15 * 60_000));
  }

  // ---- sessions -------------------------------------------------------------

  createSession(options: JsonObject = {}): Promise<Session> {
    return this.guard(() => {
      mkdirSync(this.ctx.layout.sessionsDir, { recursive: true });
      return sessions.createSession(this.ctx, options);
    });
  }
  updateSession(id: string, updates: unknown): Promise<Session> {
    return this.guard(() => sessions.updateSession(this.ctx, id, updates));
  }
  getSession(id: string): Promise<Session> {
    return this.guard(() => sessions.getSession(this.ctx, id));
  }
  listSessions(): Promise<Session[]> {
    return this.guard(() => sessions.listSessions(this.ctx));
  }
  getActiveSessions(): Promise<Session[]> {
    return this.guard(() => sessions.getActiveSessions(this.ctx));
  }
  /** Sessions as stored, metrics not recomputed (for hosts that hold every task in memory). */
  listSessionFiles(): Promise<Session[]> {
    return this.guard(() => sessions.listSessions(this.ctx, false));
  }
  /** One session as stored; throws NotFoundError or CorruptStateError. */
  readSessionFile(id: string): Session {
    return sessions.readSessionFile(this.ctx, id);
  }

  // ---- checkpoints ----------------------------------------------------------

  createCheckpoint(sessionId: string, reason = 'manual'): Promise<Checkpoint> {
    return this.guard(() => {
      mkdirSync(this.ctx.layout.checkpointsDir, { recursive: true });
      return checkpoints.createCheckpoint(this.ctx, sessionId, reason);
    });
  }
  listCheckpoints(): Promise<CheckpointSummary[]> {
    return this.guard(() => checkpoints.listCheckpoints(this.ctx));
  }
  /** A checkpoint's summary (synchronous; throws NotFoundError or CorruptStateError). */
  readCheckpointSummary(id: string): CheckpointSummary {
    return checkpoints.checkpointSummary(this.ctx, id);
  }
  getCheckpoint(id: string): Promise<Checkpoint> {
    return this.guard(() => checkpoints.getCheckpoint(this.ctx, id));
  }
  previewRestore(id: string): Promise<RestorePreview> {
    return this.guard(() => checkpoints.previewRestore(this.ctx, id));
  }
  restoreCheckpoint(id: string): Promise<RestoreResult> {
    return this.guard(() => checkpoints.restoreCheckpoint(this.ctx, id));
  }

  // ---- audit log, monitor, events --------------------------------------------

  readAuditLog(query: AuditQuery = {}): Promise<AuditEntry[]> {
    return this.guard(() => {
      let entries = readLog<AuditEntry>(this.ctx.layout.logsDir, 'audit', query.since);
      if (query.since) entries = entries.filter((e) => e.timestamp >= query.since!);
      if (query.task) entries = entries.filter((e) => e.task_id === query.task);
      if (query.limit !== undefined) entries = entries.slice(-query.limit);
      return entries;
    });
  }

  startMonitor(): void {
    this.monitor.start();
  }
  stopMonitor(): void {
    this.monitor.stop();
  }

  on<E extends EngineEventName>(event: E, fn: EngineListener<E>): () => void {
    return this.events.on(event, fn);
  }
  off<E extends EngineEventName>(event: E, fn: EngineListener<E>): void {
    this.events.off(event, fn);
  }

  /** Stop the monitor and heartbeats, close log files, remove spare lock records. Held locks are not released. */
  close(): void {
    this.monitor.stop();
    for (const timer of this.heartbeats.values()) clearInterval(timer);
    this.heartbeats.clear();
    this.ctx.log.close();
    this.ctx.locks.close();
  }

  /** Paths, for hosts that watch the folder. */
  get layout(): StateLayout {
    return this.ctx.layout;
  }
}

/** A running change feed (see StateStore.watch). */
export type ChangeFeed = Pick<StateWatcher, 'start' | 'close' | 'getStatus' | 'recheckRoot'>;

function validTaskIds(ids: string[]): string[] {
  return ids.filter((id) => {
    try {
      assertTaskId(id);
      return true;
    } catch {
      return false;
    }
  });
}

export function openStateStore(options: OpenOptions = {}): StateStore {
  try {
    return new StateStore(options);
  } catch (err) {
    throw asStateError(err);
  }
}

export type { LockRecord };
