// The store's contract, implemented once per storage backend: a folder on
// one disk (FileStateStore, store.ts) and an etcd cluster (EtcdStateStore,
// etcd/). The CLI, the host, `serve`, the MCP server and the tests use only
// this interface, so every command works the same on both.
//
// Every method is async, including the reads a host makes while following
// the change feed: on etcd each is a round trip.
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
import type { WatchStatus } from '../../shared/contract.ts';
import type { StoreConfig } from './config.ts';
import type { EngineEventName, EngineListener } from './events.ts';

/** Where a store keeps its state; shown to users (title bar, `lockstep doctor`, errors). */
export type StoreLocation = { kind: 'files'; root: string } | { kind: 'etcd'; endpoints: string[]; namespace: string };

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
  /** Keep the lease alive until released (for long holds). */
  heartbeat?: boolean;
}

/** A held lock, as returned by acquireLock(). Each backend keeps its own handle behind it. */
export interface Lock {
  readonly taskId: string;
  /** The holder's record, as other processes see it. */
  readonly record: LockRecord;
  /** Where the lock lives, for people: its ticket file, or its etcd key. */
  readonly path?: string;
}

export interface AuditQuery {
  task?: string;
  since?: string;
  limit?: number;
}

/** A task as a watcher sees it, read without writing. */
export interface TaskInspection {
  /** Its best readable state (null: none). */
  state: TaskState | null;
  /** Stored size of the current state (0 when damaged). */
  bytes: number;
  /** Damage found while reading, so a dashboard can flag it at once. */
  damage: IntegrityIssue | null;
}

/** One change the feed reports. Ids only: the subscriber reads what it needs. */
export type StoreChange =
  | { kind: 'task'; taskId: string }
  | { kind: 'lock'; taskId: string }
  | { kind: 'session'; sessionId: string }
  | { kind: 'checkpoint'; checkpointId: string }
  /** New audit or lock-log entries: read them with a LogReader. */
  | { kind: 'log' }
  /** A legacy single-file state appeared or went (file backend only). */
  | { kind: 'legacy' }
  | { kind: 'config' }
  /** Something above the items changed (the root moved, a compaction): rescan everything. */
  | { kind: 'root' }
  | { kind: 'integrity'; issues: IntegrityIssue[] };

export interface FeedCallbacks {
  onChange(change: StoreChange): void;
  /** The watch mode changed (fallback to polling, root vanished, cluster unreachable...). */
  onStatus(status: WatchStatus): void;
  /** The feed lost track (polling, a compacted revision): the subscriber rescans everything and diffs. */
  onRescan(): Promise<void>;
}

/**
 * An opaque position in the change stream: a time in ms for the file backend,
 * a revision for etcd. A feed started from a cursor reports every change made
 * after it, so a subscriber that read a snapshot at cursor C misses nothing.
 */
export type FeedCursor = number;

export interface ChangeFeed {
  /** Resolves once the feed is live. Changes made after the cursor given to watch() are reported. */
  start(): Promise<void>;
  close(): Promise<void>;
  getStatus(): WatchStatus;
}

/** A time range of the lock log: lines whose `ts` is in [fromMs, toMs], of one task if given. */
export interface LockEventQuery {
  fromMs: number;
  toMs: number;
  /** The most lines returned: the newest are kept. */
  limit: number;
  taskId?: string;
}

/** The range's newest `limit` lines, oldest first, and how many lines the range holds. */
export interface LockEventRange {
  events: LockEvent[];
  total: number;
}

/** Entries appended to the audit log or the lock log since the last read. */
export interface LogReader<T> {
  /** The first call returns the recent tail; later calls only what was appended since. */
  readNew(): Promise<T[]>;
}

export interface StateStore {
  readonly location: StoreLocation;
  readonly config: StoreConfig;

  /** Create the layout (or the cluster's namespace) and migrate a legacy state if one is found. */
  init(): Promise<{ root: string; migrated: { sessions: number; tasks: number; from: string } | null }>;

  // ---- tasks ----
  getTaskState(id: string): Promise<TaskState | null>;
  updateTaskState(id: string, updates: unknown, options?: UpdateOptions): Promise<TaskState>;
  /** Versions newest first: the current one and up to max_history earlier ones. */
  getTaskHistory(id: string): Promise<TaskState[]>;
  /** The newest `limit` versions, and how many older ones were left out. */
  getTaskHistoryPage(id: string, limit: number): Promise<{ versions: TaskState[]; omitted: number }>;
  listTaskIds(): Promise<string[]>;
  listTasks(): Promise<TaskState[]>;
  recoverTaskState(id: string, options?: { timeout?: number }): Promise<{ state: TaskState; recovered: boolean }>;
  /** Write an earlier version back as a new version. */
  restoreTaskVersion(id: string, version: number, options?: UpdateOptions): Promise<TaskState>;
  verifyTaskState(id: string): Promise<IntegrityIssue[]>;
  verifyAllStates(): Promise<IntegrityIssue[]>;
  inspectTask(id: string): Promise<TaskInspection>;

  // ---- locks ----
  acquireLock(id: string, mode?: LockMode, options?: LockOptions): Promise<Lock>;
  /** False if it had already been taken over (its lease ran out while this process was stopped). */
  releaseLock(lock: Lock): Promise<boolean>;
  /** Extend a lock's lease. False if it was lost to another holder. */
  refreshLock(lock: Lock): Promise<boolean>;
  listLocks(): Promise<LockHolder[]>;
  /** One summary per task that has a holder or a waiter (ids that are not task ids are skipped). */
  lockSummaries(taskIds: string[]): Promise<TaskLocks[]>;
  cleanupExpiredLocks(): Promise<number>;
  collectGarbage(): Promise<{ removed: number; temp_files: number }>;
  breakLock(id: string): Promise<{ removed: number }>;
  getContention(options?: { windowMs?: number }): Promise<ContentionStats[]>;

  // ---- sessions ----
  createSession(options?: JsonObject): Promise<Session>;
  updateSession(id: string, updates: unknown): Promise<Session>;
  getSession(id: string): Promise<Session>;
  listSessions(): Promise<Session[]>;
  getActiveSessions(): Promise<Session[]>;
  /** Sessions as stored, metrics not recomputed (for hosts that hold every task in memory). */
  listSessionFiles(): Promise<Session[]>;
  /** One session as stored; rejects with NotFoundError or CorruptStateError. */
  readSessionFile(id: string): Promise<Session>;

  // ---- checkpoints ----
  createCheckpoint(sessionId: string, reason?: string): Promise<Checkpoint>;
  listCheckpoints(): Promise<CheckpointSummary[]>;
  readCheckpointSummary(id: string): Promise<CheckpointSummary>;
  getCheckpoint(id: string): Promise<Checkpoint>;
  previewRestore(id: string): Promise<RestorePreview>;
  restoreCheckpoint(id: string): Promise<RestoreResult>;

  // ---- migration between backends (`lockstep migrate`) ----
  /** A task's stored versions, oldest first (the current one last), exactly as stored. */
  exportTask(id: string): Promise<TaskState[]>;
  /**
   * Write a task's versions as they are (numbers, timestamps and sessions kept).
   * Idempotent: 'same' when the target already holds the same newest version;
   * refuses (VersionConflictError) when the target has a different history.
   */
  importTask(id: string, versions: TaskState[]): Promise<'written' | 'same'>;
  /** Write a session or a checkpoint as it is; 'same' when an identical one is there. */
  importSession(session: Session): Promise<'written' | 'same'>;
  importCheckpoint(checkpoint: Checkpoint): Promise<'written' | 'same'>;

  // ---- logs, feed, events ----
  readAuditLog(query?: AuditQuery): Promise<AuditEntry[]>;
  /** Follow the audit log or the lock log (acquisitions, time-outs) from its recent tail. */
  openLogReader(kind: 'audit'): LogReader<AuditEntry>;
  openLogReader(kind: 'locks'): LogReader<LockEvent>;
  /** Read a time range of the lock log back, however far (a reader starts from the recent tail only). */
  readLockEvents(query: LockEventQuery): Promise<LockEventRange>;
  /** A position to start a change feed from, taken before reading a snapshot. */
  feedCursor(): Promise<FeedCursor>;
  /** The change feed; call start() on the result. */
  watch(callbacks: FeedCallbacks, from?: FeedCursor): ChangeFeed;
  /**
   * The path of an earlier version's single-file state found beside the
   * store, offered for migration by init() (null: none). Only the file
   * backend has one; the feed reports a 'legacy' change when it may have changed.
   */
  legacyState?(): Promise<string | null>;
  startMonitor(): void;
  stopMonitor(): void;
  on<E extends EngineEventName>(event: E, fn: EngineListener<E>): () => void;
  off<E extends EngineEventName>(event: E, fn: EngineListener<E>): void;
  /** Stop timers and heartbeats, close connections. Held locks are not released. */
  close(): Promise<void> | void;
}
