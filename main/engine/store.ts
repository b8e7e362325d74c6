// The file backend: the StateStore contract (backend.ts) on a folder of one
// disk, `.worktrees/.state/` by default. openStateStore() (open.ts) picks it
// for `{ root }` options.
import { existsSync, mkdirSync } from 'node:fs';
import type {
  AuditEntry,
  Checkpoint,
  CheckpointSummary,
  ContentionStats,
  IntegrityIssue,
  JsonObject,
  LockEvent,
  LockHolder,
  LockMode,
  LockRecord,
  RestorePreview,
  RestoreResult,
  Session,
  TaskLocks,
  TaskState,
} from '../../shared/model.ts';
import { AppendLog, readLog } from './audit-log.ts';
import type {
  AuditQuery,
  LockEventQuery,
  LockEventRange,
  ChangeFeed,
  FeedCallbacks,
  FeedCursor,
  Lock,
  LockOptions,
  LogReader,
  StateStore,
  StoreLocation,
  TaskInspection,
  UpdateOptions,
} from './backend.ts';
import { assertNoCaseTwin } from './case-twins.ts';
import * as checkpoints from './checkpoints.ts';
import { loadConfig, type StoreConfig } from './config.ts';
import { audit, taskLockTarget, type EngineContext } from './context.ts';
import { asStateError, InvalidInputError, LockTimeoutError } from './errors.ts';
import { EventHub, type EngineEventName, type EngineListener } from './events.ts';
import {
  acquiredLine,
  appendLockLine,
  brokenLine,
  cleanupLock,
  inspectLock,
  LockManager,
  releasedLine,
  timeoutLine,
  type HeldLock,
} from './locks.ts';
import { changesSince } from './feed/catch-up.ts';
import { StateWatcher, type WatchFactory } from './feed/state-watcher.ts';
import { FileLogReader } from './log-reader.ts';
import { readLockRange } from './log-range.ts';
import * as maintenance from './maintenance.ts';
import { migrateLegacy } from './migration.ts';
import { assertTaskId, defaultRoot, StateLayout } from './paths.ts';
import * as sessions from './sessions.ts';
import { SessionMarks } from './session-marks.ts';
import { damageIssue, historyVersions, readHistoryVersion, readTask } from './task-files.ts';
import * as tasks from './tasks.ts';
import * as transfer from './file-import.ts';
import { Monitor } from './monitor.ts';

export interface OpenOptions extends Partial<StoreConfig> {
  root?: string;
  /** How the change feed watches the folder (tests inject a watcher that fails like a real one). */
  watchFactory?: WatchFactory;
}

export type { AuditQuery, LockOptions, UpdateOptions } from './backend.ts';

/** A lock of this backend: its ticket, and the task it is on. */
export type FileLock = HeldLock & { readonly taskId: string; readonly path: string };

/** The file backend's handle behind a Lock; refuses one that another store handed out. */
function fileLock(lock: Lock): FileLock {
  if (!lock || typeof lock !== 'object' || !('target' in lock) || !('file' in lock)) {
    throw new InvalidInputError('this lock was not acquired from a file-backed store');
  }
  return lock as FileLock;
}

/** Options for the engine's commit functions: the lock as this backend's handle. */
function commitOptions(options: UpdateOptions): Omit<UpdateOptions, 'lock'> & { lock?: FileLock } {
  return { ...options, lock: options.lock === undefined ? undefined : fileLock(options.lock) };
}

export class FileStateStore implements StateStore {
  readonly root: string;
  readonly location: StoreLocation;
  readonly config: StoreConfig;
  private readonly watchFactory: WatchFactory | undefined;
  private readonly ctx: EngineContext;
  private readonly events = new EventHub();
  private readonly heartbeats = new Map<HeldLock, NodeJS.Timeout>();
  private readonly monitor: Monitor;

  constructor(options: OpenOptions = {}) {
    const { root, watchFactory, ...overrides } = options;
    const layout = new StateLayout(root ?? defaultRoot());
    this.root = layout.root;
    this.location = { kind: 'files', root: layout.root };
    this.watchFactory = watchFactory;
    this.config = loadConfig(layout.configFile, overrides);
    const log = new AppendLog(layout.logsDir);
    const events = this.events;
    const locks = new LockManager(this.config, {
      onAcquired: (held, waitMs) => {
        appendLockLine(log, events, acquiredLine(held), held.withinCommit); // a failed log write is reported; it never fails the lock
        events.emit('state.lock_acquired', {
          task_id: held.target.resourceId,
          mode: held.record.mode,
          wait_ms: waitMs,
          owner: held.record.owner,
        });
      },
      onTimeout: (target, mode, waitMs, blocker, owner) => {
        appendLockLine(log, events, timeoutLine(target, mode, owner, waitMs));
        audit(
          this.ctx,
          'lock_timeout',
          `gave up on the ${mode} lock after ${waitMs} ms${blocker ? ` (held by pid ${blocker.pid}, ${blocker.owner || 'unnamed'})` : ''}`,
          { task_id: target.resourceId },
        );
        events.emit('state.lock_timeout', { task_id: target.resourceId, mode, wait_ms: waitMs });
      },
      onBroken: (target, record, why) => {
        appendLockLine(log, events, brokenLine(target.resourceId, record, why));
        audit(
          this.ctx,
          'lock_broken',
          `removed a stale lock${record ? ` of pid ${record.pid} (${record.owner || 'unnamed'})` : ''}: ${why}`,
          { task_id: target.resourceId },
        );
        events.emit('state.lock_broken', { task_id: target.resourceId, reason: why });
      },
      onReleased: (held, releasedAt, stillHeld) => appendLockLine(log, events, releasedLine(held, releasedAt, !stillHeld)),
    });
    this.ctx = { layout, config: this.config, locks, log, events, marks: new SessionMarks(layout) };
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
      return tasks.updateTask(this.ctx, id, updates, commitOptions(options));
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
        const check = readHistoryVersion(this.ctx.layout, id, v);
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
      return tasks.restoreTaskVersion(this.ctx, id, version, commitOptions(options));
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

  acquireLock(id: string, mode: LockMode = 'write', options: LockOptions = {}): Promise<FileLock> {
    return this.guard(async () => {
      if (mode !== 'read' && mode !== 'write')
        throw new InvalidInputError(`lock mode must be "read" or "write", got ${JSON.stringify(mode)}`);
      const target = taskLockTarget(this.ctx, assertTaskId(id));
      assertNoCaseTwin(this.ctx.layout, id);
      const taken = await this.ctx.locks.acquire(target, mode, options);
      const held: FileLock = Object.assign(taken, { taskId: id, path: taken.file });
      if (options.heartbeat) {
        const timer = setInterval(
          () => {
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
          },
          Math.max(10, Math.floor(this.config.lease_ms / 3)),
        );
        timer.unref();
        this.heartbeats.set(held, timer);
      }
      return held;
    });
  }

  /** Leave a lock. Resolves to false if it had already been taken over (its lease ran out while this process was stopped). */
  releaseLock(given: Lock): Promise<boolean> {
    return this.guard(() => {
      const lock = fileLock(given);
      clearInterval(this.heartbeats.get(lock));
      this.heartbeats.delete(lock);
      const wasHeld = this.ctx.locks.release(lock);
      this.events.emit('state.lock_released', { task_id: lock.target.resourceId, mode: lock.record.mode });
      return wasHeld;
    });
  }

  /** Extend a lock's lease. False if it was lost to another holder. */
  refreshLock(lock: Lock): Promise<boolean> {
    return this.guard(() => this.ctx.locks.refresh(fileLock(lock)));
  }

  listLocks(): Promise<LockHolder[]> {
    return this.guard(() => maintenance.listLocks(this.ctx));
  }

  /** A task as a watcher sees it, read without writing (see TaskInspection). */
  inspectTask(taskId: string): Promise<TaskInspection> {
    return this.guard(() => {
      const read = readTask(this.ctx.layout, assertTaskId(taskId));
      if (read.kind === 'ok') return { state: read.state, bytes: read.bytes, damage: null };
      if (read.kind === 'missing') return { state: null, bytes: 0, damage: null };
      return { state: read.best, bytes: 0, damage: damageIssue(this.ctx.layout, taskId, read) };
    });
  }

  /** One summary per task that has a holder or a waiter (ids that are not task ids are skipped). */
  lockSummaries(taskIds: string[]): Promise<TaskLocks[]> {
    return this.guard(() => maintenance.lockSummaries(this.ctx, validTaskIds(taskIds)));
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
        throw new InvalidInputError(
          `the lock on ${id} is held by a live process (pid ${r.pid}, ${r.owner || 'unnamed'}); refusing to break it`,
        );
      }
      return { removed: cleanupLock(target, (record, why) => this.ctx.locks.listener.onBroken(target, record, why)) };
    });
  }

  getContention(options: { windowMs?: number } = {}): Promise<ContentionStats[]> {
    return this.guard(() => {
      this.ctx.log.flushDeferred(); // this process's own lock lines that may wait: counted like everyone's
      return maintenance.readContention(this.ctx, options.windowMs ?? 15 * 60_000);
    });
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
  /** One session as stored; rejects with NotFoundError or CorruptStateError. */
  readSessionFile(id: string): Promise<Session> {
    return this.guard(() => sessions.readSessionLive(this.ctx, id));
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
  /** A checkpoint's summary; rejects with NotFoundError or CorruptStateError. */
  readCheckpointSummary(id: string): Promise<CheckpointSummary> {
    return this.guard(() => checkpoints.checkpointSummary(this.ctx, id));
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

  // ---- migration between backends -----------------------------------------------

  exportTask(id: string): Promise<TaskState[]> {
    return this.guard(() => transfer.exportTask(this.ctx, id));
  }
  importTask(id: string, versions: TaskState[]): Promise<'written' | 'same'> {
    return this.guard(() => {
      assertNoCaseTwin(this.ctx.layout, assertTaskId(id));
      return transfer.importTask(this.ctx, id, versions);
    });
  }
  importSession(session: Session): Promise<'written' | 'same'> {
    return this.guard(() => transfer.importSession(this.ctx, session));
  }
  importCheckpoint(checkpoint: Checkpoint): Promise<'written' | 'same'> {
    return this.guard(() => transfer.importCheckpoint(this.ctx, checkpoint));
  }

  // ---- change feed ------------------------------------------------------------------

  /** A position in the change stream: now, in ms (changes are found by modification time). */
  async feedCursor(): Promise<FeedCursor> {
    return Date.now();
  }

  /**
   * The change feed: typed changes (task, lock, session, checkpoint, log,
   * legacy, config, root, integrity) as they happen, from one fs.watch per
   * folder, falling back to polling rescans when native watching fails.
   * Started from a cursor, it also reports, once its watches are in place,
   * everything changed since the cursor (feed/catch-up.ts).
   */
  watch(callbacks: FeedCallbacks, from?: FeedCursor): ChangeFeed {
    const watcher = new StateWatcher(this.root, callbacks, this.watchFactory);
    let offIntegrity: (() => void) | null = null;
    return {
      start: async () => {
        offIntegrity = this.on('state.integrity_issues', ({ issues }) => callbacks.onChange({ kind: 'integrity', issues }));
        await watcher.start();
        if (from === undefined) return;
        for (const change of changesSince(this.ctx.layout, from)) callbacks.onChange(change);
        callbacks.onChange({ kind: 'legacy' }); // a file moved in keeps its old mtime: always look again
      },
      close: async () => {
        offIntegrity?.();
        await watcher.close();
      },
      getStatus: () => watcher.getStatus(),
    };
  }

  /** The single-file state of an earlier version beside the folder, if there is one (offered for migration). */
  async legacyState(): Promise<string | null> {
    return existsSync(this.ctx.layout.legacyFile) ? this.ctx.layout.legacyFile : null;
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

  openLogReader(kind: 'audit'): LogReader<AuditEntry>;
  openLogReader(kind: 'locks'): LogReader<LockEvent>;
  openLogReader(kind: 'audit' | 'locks'): LogReader<AuditEntry> | LogReader<LockEvent> {
    return kind === 'audit'
      ? new FileLogReader<AuditEntry>(this.ctx.layout.logsDir, kind)
      : new FileLogReader<LockEvent>(this.ctx.layout.logsDir, kind);
  }

  readLockEvents(query: LockEventQuery): Promise<LockEventRange> {
    return this.guard(() => readLockRange(this.ctx.layout.logsDir, query));
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
    this.ctx.marks.close();
    tasks.closeTasks(this.ctx);
  }

  /** Paths, for file-specific tests and tools. */
  get layout(): StateLayout {
    return this.ctx.layout;
  }
}

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

export type { LockRecord };
