// The etcd backend: the StateStore contract on an etcd cluster (issue 10).
// Skeleton: the methods land module by module (connection, keys, tasks,
// locks, sessions, checkpoints, logs, feed); until then they refuse clearly.
import type {
  AuditEntry, Checkpoint, CheckpointSummary, ContentionStats, IntegrityIssue, JsonObject, LockEvent,
  LockHolder, LockMode, RestorePreview, RestoreResult, Session, TaskLocks, TaskState,
} from '../../../shared/model.ts';
import type {
  AuditQuery, ChangeFeed, FeedCallbacks, FeedCursor, Lock, LockOptions, LogReader, StateStore, StoreLocation,
  TaskInspection, UpdateOptions,
} from '../backend.ts';
import { DEFAULT_CONFIG, parseConfig, type StoreConfig } from '../config.ts';
import { LockstepError } from '../errors.ts';
import { EventHub, type EngineEventName, type EngineListener } from '../events.ts';

export interface EtcdConnectionOptions {
  endpoints: string[];
  /** Key prefix of this store's state (default `lockstep`). */
  namespace?: string;
  tls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer };
  auth?: { username: string; password: string };
}

export type EtcdOpenOptions = { etcd: EtcdConnectionOptions; owner?: string } & Partial<StoreConfig>;

function pending(what: string): never {
  throw new LockstepError('INTERNAL', `etcd backend: ${what} is not implemented yet`);
}

export class EtcdStateStore implements StateStore {
  readonly location: StoreLocation;
  readonly config: StoreConfig;
  private readonly events = new EventHub();

  constructor(options: EtcdOpenOptions) {
    const { etcd, ...overrides } = options;
    this.location = { kind: 'etcd', endpoints: [...etcd.endpoints], namespace: etcd.namespace ?? 'lockstep' };
    this.config = { ...DEFAULT_CONFIG, ...parseConfig(Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)), 'options') };
  }

  async init(): Promise<{ root: string; migrated: { sessions: number; tasks: number; from: string } | null }> {
    return pending('init');
  }
  async getTaskState(_id: string): Promise<TaskState | null> {
    return pending('getTaskState');
  }
  async updateTaskState(_id: string, _updates: unknown, _options?: UpdateOptions): Promise<TaskState> {
    return pending('updateTaskState');
  }
  async getTaskHistory(_id: string): Promise<TaskState[]> {
    return pending('getTaskHistory');
  }
  async getTaskHistoryPage(_id: string, _limit: number): Promise<{ versions: TaskState[]; omitted: number }> {
    return pending('getTaskHistoryPage');
  }
  async listTaskIds(): Promise<string[]> {
    return pending('listTaskIds');
  }
  async listTasks(): Promise<TaskState[]> {
    return pending('listTasks');
  }
  async recoverTaskState(_id: string): Promise<{ state: TaskState; recovered: boolean }> {
    return pending('recoverTaskState');
  }
  async restoreTaskVersion(_id: string, _version: number, _options?: UpdateOptions): Promise<TaskState> {
    return pending('restoreTaskVersion');
  }
  async verifyTaskState(_id: string): Promise<IntegrityIssue[]> {
    return pending('verifyTaskState');
  }
  async verifyAllStates(): Promise<IntegrityIssue[]> {
    return pending('verifyAllStates');
  }
  async inspectTask(_id: string): Promise<TaskInspection> {
    return pending('inspectTask');
  }
  async acquireLock(_id: string, _mode?: LockMode, _options?: LockOptions): Promise<Lock> {
    return pending('acquireLock');
  }
  async releaseLock(_lock: Lock): Promise<boolean> {
    return pending('releaseLock');
  }
  async refreshLock(_lock: Lock): Promise<boolean> {
    return pending('refreshLock');
  }
  async listLocks(): Promise<LockHolder[]> {
    return pending('listLocks');
  }
  async lockSummaries(_taskIds: string[]): Promise<TaskLocks[]> {
    return pending('lockSummaries');
  }
  async cleanupExpiredLocks(): Promise<number> {
    return pending('cleanupExpiredLocks');
  }
  async collectGarbage(): Promise<{ removed: number; temp_files: number }> {
    return pending('collectGarbage');
  }
  async breakLock(_id: string): Promise<{ removed: number }> {
    return pending('breakLock');
  }
  async getContention(_options?: { windowMs?: number }): Promise<ContentionStats[]> {
    return pending('getContention');
  }
  async createSession(_options?: JsonObject): Promise<Session> {
    return pending('createSession');
  }
  async updateSession(_id: string, _updates: unknown): Promise<Session> {
    return pending('updateSession');
  }
  async getSession(_id: string): Promise<Session> {
    return pending('getSession');
  }
  async listSessions(): Promise<Session[]> {
    return pending('listSessions');
  }
  async getActiveSessions(): Promise<Session[]> {
    return pending('getActiveSessions');
  }
  async listSessionFiles(): Promise<Session[]> {
    return pending('listSessionFiles');
  }
  async readSessionFile(_id: string): Promise<Session> {
    return pending('readSessionFile');
  }
  async createCheckpoint(_sessionId: string, _reason?: string): Promise<Checkpoint> {
    return pending('createCheckpoint');
  }
  async listCheckpoints(): Promise<CheckpointSummary[]> {
    return pending('listCheckpoints');
  }
  async readCheckpointSummary(_id: string): Promise<CheckpointSummary> {
    return pending('readCheckpointSummary');
  }
  async getCheckpoint(_id: string): Promise<Checkpoint> {
    return pending('getCheckpoint');
  }
  async previewRestore(_id: string): Promise<RestorePreview> {
    return pending('previewRestore');
  }
  async restoreCheckpoint(_id: string): Promise<RestoreResult> {
    return pending('restoreCheckpoint');
  }
  async exportTask(_id: string): Promise<TaskState[]> {
    return pending('exportTask');
  }
  async importTask(_id: string, _versions: TaskState[]): Promise<'written' | 'same'> {
    return pending('importTask');
  }
  async importSession(_session: Session): Promise<'written' | 'same'> {
    return pending('importSession');
  }
  async importCheckpoint(_checkpoint: Checkpoint): Promise<'written' | 'same'> {
    return pending('importCheckpoint');
  }
  async readAuditLog(_query?: AuditQuery): Promise<AuditEntry[]> {
    return pending('readAuditLog');
  }
  openLogReader(kind: 'audit'): LogReader<AuditEntry>;
  openLogReader(kind: 'locks'): LogReader<LockEvent>;
  openLogReader(_kind: 'audit' | 'locks'): LogReader<AuditEntry> | LogReader<LockEvent> {
    return pending('openLogReader');
  }
  async feedCursor(): Promise<FeedCursor> {
    return pending('feedCursor');
  }
  watch(_callbacks: FeedCallbacks, _from?: FeedCursor): ChangeFeed {
    return pending('watch');
  }
  startMonitor(): void {}
  stopMonitor(): void {}
  on<E extends EngineEventName>(event: E, fn: EngineListener<E>): () => void {
    return this.events.on(event, fn);
  }
  off<E extends EngineEventName>(event: E, fn: EngineListener<E>): void {
    this.events.off(event, fn);
  }
  async close(): Promise<void> {}
}
