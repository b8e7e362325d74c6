// The etcd backend: the StateStore contract on an etcd cluster (issue 10).
//
//   const store = new EtcdStateStore({ etcd: { endpoints: ['http://10.0.0.5:2379'], namespace: 'team-a' }, owner: 'agent-7' });
//
// Same errors, events, audit entries and history window as the file backend
// (store.ts). The modules: connection.ts (lazy etcd3, deadlines, the
// unreachable-cluster error), keys.ts (the layout), tasks.ts (the one-Txn
// commit), process-lease.ts (one lease per process), locks.ts (FIFO
// shared/exclusive locks on that lease), sessions.ts (liveness on it too),
// checkpoints.ts (pinned snapshots, batched restores), logs.ts (audit and
// lock log as keys), log-upkeep.ts (their pruning) and feed.ts (the watch).
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
  RestorePreview,
  RestoreResult,
  Session,
  TaskLocks,
  TaskState,
} from '../../../shared/model.ts';
import { isTaskId } from '../../../shared/ids.ts';
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
} from '../backend.ts';
import { DEFAULT_CONFIG, parseConfig, type StoreConfig } from '../config.ts';
import { InvalidInputError } from '../errors.ts';
import { EventHub, type EngineEventName, type EngineListener } from '../events.ts';
import { Monitor } from '../monitor.ts';
import { assertTaskId } from '../paths.ts';
import { EtcdCheckpoints } from './checkpoints.ts';
import { EtcdConnection, type EtcdConnectionOptions } from './connection.ts';
import { put, type EtcdContext } from './context.ts';
import { EtcdFeed } from './feed.ts';
import { DEFAULT_NAMESPACE, KeyLayout, prefixRange } from './keys.ts';
import { EtcdLocks, type EtcdLock } from './locks.ts';
import { LogUpkeep, type LogRetention } from './log-upkeep.ts';
import { EtcdLogReader, readAudit, readContention, readLockRange } from './logs.ts';
import { ProcessLease } from './process-lease.ts';
import { EtcdSessions } from './sessions.ts';
import { EtcdTasks } from './tasks.ts';

export type { EtcdConnectionOptions } from './connection.ts';
export { ETCD_MAX_STATE_BYTES } from './tasks.ts';

export { DEFAULT_NAMESPACE } from './keys.ts';

export type EtcdOpenOptions = {
  etcd: EtcdConnectionOptions;
  owner?: string;
  /** How much of the audit and lock logs the cluster keeps (log-upkeep.ts). */
  logRetention?: Partial<LogRetention>;
} & Partial<StoreConfig>;

function asEtcdLock(lock: unknown): EtcdLock {
  const l = lock as Partial<EtcdLock> | null;
  if (!l || typeof l.key !== 'string' || typeof l.createRevision !== 'string') {
    throw new InvalidInputError('the lock passed was not acquired from this etcd store');
  }
  return l as EtcdLock;
}

export class EtcdStateStore implements StateStore {
  readonly location: StoreLocation;
  readonly config: StoreConfig;
  private readonly events = new EventHub();
  private readonly ctx: EtcdContext;
  private readonly lease: ProcessLease;
  private readonly logUpkeep: LogUpkeep;
  private readonly locks: EtcdLocks;
  private readonly tasks: EtcdTasks;
  private readonly sessions: EtcdSessions;
  private readonly checkpoints: EtcdCheckpoints;
  private readonly monitor: Monitor;

  constructor(options: EtcdOpenOptions) {
    const { etcd, logRetention, ...overrides } = options;
    const conn = new EtcdConnection(etcd);
    const keys = new KeyLayout(etcd.namespace ?? DEFAULT_NAMESPACE);
    this.location = { kind: 'etcd', endpoints: conn.endpoints, namespace: keys.ns };
    const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
    this.config = { ...DEFAULT_CONFIG, ...parseConfig(defined, 'options') };
    this.ctx = { conn, keys, config: this.config, events: this.events };
    this.logUpkeep = new LogUpkeep(this.ctx, logRetention);
    conn.onWrite = (revision) => this.logUpkeep.afterWrite(revision);
    this.lease = new ProcessLease(this.ctx);
    this.locks = new EtcdLocks(this.ctx, this.lease);
    this.tasks = new EtcdTasks(this.ctx, this.locks);
    this.sessions = new EtcdSessions(this.ctx, this.tasks, this.lease);
    this.checkpoints = new EtcdCheckpoints(this.ctx, this.tasks, this.sessions, this.locks);
    this.monitor = new Monitor(this, this.config, this.events);
  }

  /** Marks the namespace as a Lockstep store (and checks the cluster answers). Nothing to migrate on etcd. */
  async init(): Promise<{ root: string; migrated: { sessions: number; tasks: number; from: string } | null }> {
    const meta = this.ctx.keys.meta;
    await this.ctx.conn.txn({
      compare: [{ key: Buffer.from(meta), target: 'Create', result: 'Equal', create_revision: 0 }],
      success: [put(meta, JSON.stringify({ layout: 1, created_at: new Date().toISOString() }))],
      failure: [],
    });
    return { root: `${this.ctx.keys.ns} on ${this.location.kind === 'etcd' ? this.location.endpoints.join(',') : ''}`, migrated: null };
  }

  // ---- tasks ----------------------------------------------------------------

  async getTaskState(id: string): Promise<TaskState | null> {
    return this.tasks.get(id);
  }

  async updateTaskState(id: string, updates: unknown, options: UpdateOptions = {}): Promise<TaskState> {
    assertTaskId(id);
    const lock = options.lock === undefined ? undefined : asEtcdLock(options.lock);
    if (options.session !== undefined) {
      // As on files: the session lists the task before the task names the session;
      // a missing session, a bad payload or a stale version fail first, writing nothing.
      await this.sessions.readFile(options.session);
      this.tasks.checkPayload(updates);
      if (options.expectedVersion !== undefined && Number.isInteger(options.expectedVersion)) {
        const stale = await this.tasks.staleVersionError(id, options.expectedVersion);
        if (stale) throw stale;
      }
      await this.sessions.link(options.session, id);
    }
    return this.tasks.update(id, updates, { ...options, lock });
  }

  async getTaskHistory(id: string): Promise<TaskState[]> {
    return (await this.tasks.historyPage(id, Number.POSITIVE_INFINITY)).versions;
  }
  async getTaskHistoryPage(id: string, limit: number): Promise<{ versions: TaskState[]; omitted: number }> {
    return this.tasks.historyPage(id, limit);
  }
  async listTaskIds(): Promise<string[]> {
    return this.tasks.listIds();
  }
  async listTasks(): Promise<TaskState[]> {
    return [...(await this.tasks.listStates()).states.values()];
  }
  async recoverTaskState(id: string): Promise<{ state: TaskState; recovered: boolean }> {
    return this.tasks.recover(id);
  }
  async restoreTaskVersion(id: string, version: number, options: UpdateOptions = {}): Promise<TaskState> {
    return this.tasks.restoreVersion(id, version, { ...options, lock: options.lock === undefined ? undefined : asEtcdLock(options.lock) });
  }
  async verifyTaskState(id: string): Promise<IntegrityIssue[]> {
    return this.tasks.verify(id);
  }

  async verifyAllStates(): Promise<IntegrityIssue[]> {
    const issues: IntegrityIssue[] = [];
    for (const id of await this.tasks.listIds()) issues.push(...(await this.tasks.verify(id)));
    for (const { key, message } of await this.sessions.corrupt())
      issues.push({ kind: 'corrupt_session', path: key, message, recoverable: false });
    for (const { key, message } of await this.checkpoints.corrupt())
      issues.push({ kind: 'corrupt_checkpoint', path: key, message, recoverable: false });
    this.events.emit('state.integrity_issues', { issues });
    return issues;
  }

  async inspectTask(id: string): Promise<TaskInspection> {
    return this.tasks.inspect(id);
  }

  // ---- locks ----------------------------------------------------------------

  /** Locks live on this process's lease, kept alive while the process runs (`heartbeat` needs nothing more). */
  async acquireLock(id: string, mode: LockMode = 'write', options: LockOptions = {}): Promise<Lock> {
    assertTaskId(id);
    return this.locks.acquire(id, mode, { timeout: options.timeout, owner: options.owner });
  }
  async releaseLock(lock: Lock): Promise<boolean> {
    return this.locks.release(asEtcdLock(lock));
  }
  async refreshLock(lock: Lock): Promise<boolean> {
    return this.locks.refresh(asEtcdLock(lock));
  }

  /** Tasks with at least one lock key (holders or waiters), from a keys-only listing. */
  private async lockedTaskIds(): Promise<string[]> {
    const prefix = this.ctx.keys.tasks;
    const res = await this.ctx.conn.range({ ...prefixRange(prefix), keys_only: true });
    const ids = new Set<string>();
    for (const kv of res.kvs) {
      const m = /^([^/]+)\/locks\//.exec(kv.key.toString('utf8').slice(prefix.length));
      if (m && isTaskId(m[1])) ids.add(m[1]!);
    }
    return [...ids].sort();
  }

  async listLocks(): Promise<LockHolder[]> {
    const summaries = await this.locks.summaries(await this.lockedTaskIds());
    return summaries.flatMap(({ writer, readers, waiters }) => [...(writer ? [writer] : []), ...readers].map((h) => ({ ...h, waiters })));
  }
  async lockSummaries(taskIds: string[]): Promise<TaskLocks[]> {
    return this.locks.summaries(taskIds.filter(isTaskId));
  }
  /** Lock keys vanish with their holder's lease: there is never a stale one to remove. */
  async cleanupExpiredLocks(): Promise<number> {
    return 0;
  }
  /** No stale locks or temp files on etcd; gc prunes the audit and lock logs to their retention (log-upkeep.ts). */
  async collectGarbage(): Promise<{ removed: number; temp_files: number }> {
    await this.logUpkeep.prune();
    return { removed: 0, temp_files: 0 };
  }
  /** Prune the audit and lock logs now; what each lost. */
  async pruneLogs(): Promise<{ audit: number; locks: number }> {
    return this.logUpkeep.prune();
  }
  async breakLock(id: string): Promise<{ removed: number }> {
    assertTaskId(id);
    const [summary] = await this.locks.summaries([id]);
    const holder = summary?.writer ?? summary?.readers[0];
    if (holder) {
      throw new InvalidInputError(
        `the lock on ${id} is held by a live process (pid ${holder.pid} on ${holder.host}, ${holder.owner || 'unnamed'}): its lease is being kept alive; refusing to break it`,
      );
    }
    return { removed: 0 };
  }
  async getContention(options: { windowMs?: number } = {}): Promise<ContentionStats[]> {
    return readContention(this.ctx, options.windowMs ?? 15 * 60_000);
  }

  // ---- sessions -------------------------------------------------------------

  async createSession(options: JsonObject = {}): Promise<Session> {
    return this.sessions.create(options);
  }
  async updateSession(id: string, updates: unknown): Promise<Session> {
    return this.sessions.update(id, updates);
  }
  async getSession(id: string): Promise<Session> {
    return this.sessions.get(id);
  }
  async listSessions(): Promise<Session[]> {
    return this.sessions.list();
  }
  async getActiveSessions(): Promise<Session[]> {
    return this.sessions.active();
  }
  async listSessionFiles(): Promise<Session[]> {
    return this.sessions.list(false);
  }
  async readSessionFile(id: string): Promise<Session> {
    return this.sessions.readLive(id);
  }

  // ---- checkpoints ----------------------------------------------------------

  async createCheckpoint(sessionId: string, reason = 'manual'): Promise<Checkpoint> {
    return this.checkpoints.create(sessionId, reason);
  }
  async listCheckpoints(): Promise<CheckpointSummary[]> {
    return this.checkpoints.list();
  }
  async readCheckpointSummary(id: string): Promise<CheckpointSummary> {
    return this.checkpoints.summary(id);
  }
  async getCheckpoint(id: string): Promise<Checkpoint> {
    return this.checkpoints.get(id);
  }
  async previewRestore(id: string): Promise<RestorePreview> {
    return this.checkpoints.preview(id);
  }
  async restoreCheckpoint(id: string): Promise<RestoreResult> {
    return this.checkpoints.restore(id);
  }

  // ---- migration --------------------------------------------------------------

  async exportTask(id: string): Promise<TaskState[]> {
    return this.tasks.exportVersions(id);
  }
  async importTask(id: string, versions: TaskState[]): Promise<'written' | 'same'> {
    return this.tasks.importVersions(id, versions);
  }
  async importSession(session: Session): Promise<'written' | 'same'> {
    return this.sessions.import(session);
  }
  async importCheckpoint(checkpoint: Checkpoint): Promise<'written' | 'same'> {
    return this.checkpoints.import(checkpoint);
  }

  // ---- logs, feed, events -----------------------------------------------------

  async readAuditLog(query: AuditQuery = {}): Promise<AuditEntry[]> {
    return readAudit(this.ctx, query);
  }
  async readLockEvents(query: LockEventQuery): Promise<LockEventRange> {
    return readLockRange(this.ctx, query);
  }
  openLogReader(kind: 'audit'): LogReader<AuditEntry>;
  openLogReader(kind: 'locks'): LogReader<LockEvent>;
  openLogReader(kind: 'audit' | 'locks'): LogReader<AuditEntry> | LogReader<LockEvent> {
    return kind === 'audit' ? new EtcdLogReader<AuditEntry>(this.ctx, kind) : new EtcdLogReader<LockEvent>(this.ctx, kind);
  }
  /** The cluster's current revision: a snapshot read after it and a feed watched from it miss nothing. */
  async feedCursor(): Promise<FeedCursor> {
    return this.ctx.conn.revision();
  }
  watch(callbacks: FeedCallbacks, from?: FeedCursor): ChangeFeed {
    const feed = new EtcdFeed(this.ctx, callbacks, from);
    const offIntegrity = this.on('state.integrity_issues', ({ issues }) => callbacks.onChange({ kind: 'integrity', issues }));
    return {
      start: () => feed.start(),
      getStatus: () => feed.getStatus(),
      close: async () => {
        offIntegrity();
        await feed.close();
      },
    };
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

  /**
   * Stop the monitor and the lease keep-alive, close the connection. This
   * process's sessions stop being alive; held locks are not released: they
   * expire with the lease.
   */
  async close(): Promise<void> {
    this.monitor.stop();
    await this.locks.close();
    await this.sessions.close();
    await this.lease.close();
    await this.logUpkeep.settle();
    this.ctx.conn.close();
  }
}
