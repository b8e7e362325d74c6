// A StateStore whose backend module loads on first use. openStateStore() is
// synchronous, but the etcd backend is a third of the engine's code (and its
// client, grpc, more): a CLI run on a folder must not load or parse any of
// it. So `{ etcd }` options get this stand-in, which forwards every call to
// the real store once its module is imported.
//
// What must be known at once is computed from the options: the location
// (validated like the backend does, so bad options still fail at open) and
// the settings. Event listeners and the monitor are handed over on load.
import type { AuditEntry, Checkpoint, JsonObject, LockEvent, LockMode, Session, TaskState } from '../../shared/model.ts';
import type {
  AuditQuery,
  LockEventQuery,
  ChangeFeed,
  FeedCallbacks,
  FeedCursor,
  Lock,
  LockOptions,
  LogReader,
  StateStore,
  StoreLocation,
  UpdateOptions,
} from './backend.ts';
import type { StoreConfig } from './config.ts';
import type { EngineEventName, EngineListener } from './events.ts';

type AsyncMethod = {
  [K in keyof StateStore]-?: StateStore[K] extends (...args: never[]) => Promise<unknown> ? K : never;
}[keyof StateStore];

interface Subscription {
  event: EngineEventName;
  fn: EngineListener<EngineEventName>;
  off: (() => void) | null;
}

export class DeferredStateStore implements StateStore {
  private readonly initialLocation: StoreLocation;
  private readonly initialConfig: StoreConfig;
  private readonly load: () => Promise<StateStore>;
  private real: StateStore | null = null;
  private loading: Promise<StateStore> | null = null;
  private readonly subscriptions: Subscription[] = [];
  private monitorWanted = false;

  constructor(location: StoreLocation, config: StoreConfig, load: () => Promise<StateStore>) {
    this.initialLocation = location;
    this.initialConfig = config;
    this.load = load;
  }

  get location(): StoreLocation {
    return this.real?.location ?? this.initialLocation;
  }

  get config(): StoreConfig {
    return this.real?.config ?? this.initialConfig;
  }

  /** The real store, importing its module the first time. */
  private store(): Promise<StateStore> {
    this.loading ??= this.load().then((real) => {
      this.real = real;
      for (const s of this.subscriptions) s.off = real.on(s.event, s.fn);
      if (this.monitorWanted) real.startMonitor();
      return real;
    });
    return this.loading;
  }

  private async call<K extends AsyncMethod>(name: K, ...args: Parameters<StateStore[K]>): Promise<Awaited<ReturnType<StateStore[K]>>> {
    const real = await this.store();
    return (real[name] as (...a: Parameters<StateStore[K]>) => Promise<Awaited<ReturnType<StateStore[K]>>>).apply(real, args);
  }

  init() {
    return this.call('init');
  }
  getTaskState(id: string) {
    return this.call('getTaskState', id);
  }
  updateTaskState(id: string, updates: unknown, options?: UpdateOptions) {
    return this.call('updateTaskState', id, updates, options);
  }
  getTaskHistory(id: string) {
    return this.call('getTaskHistory', id);
  }
  getTaskHistoryPage(id: string, limit: number) {
    return this.call('getTaskHistoryPage', id, limit);
  }
  listTaskIds() {
    return this.call('listTaskIds');
  }
  listTasks() {
    return this.call('listTasks');
  }
  recoverTaskState(id: string, options?: { timeout?: number }) {
    return this.call('recoverTaskState', id, options);
  }
  restoreTaskVersion(id: string, version: number, options?: UpdateOptions) {
    return this.call('restoreTaskVersion', id, version, options);
  }
  verifyTaskState(id: string) {
    return this.call('verifyTaskState', id);
  }
  verifyAllStates() {
    return this.call('verifyAllStates');
  }
  inspectTask(id: string) {
    return this.call('inspectTask', id);
  }
  acquireLock(id: string, mode?: LockMode, options?: LockOptions) {
    return this.call('acquireLock', id, mode, options);
  }
  releaseLock(lock: Lock) {
    return this.call('releaseLock', lock);
  }
  refreshLock(lock: Lock) {
    return this.call('refreshLock', lock);
  }
  listLocks() {
    return this.call('listLocks');
  }
  lockSummaries(taskIds: string[]) {
    return this.call('lockSummaries', taskIds);
  }
  cleanupExpiredLocks() {
    return this.call('cleanupExpiredLocks');
  }
  collectGarbage() {
    return this.call('collectGarbage');
  }
  breakLock(id: string) {
    return this.call('breakLock', id);
  }
  getContention(options?: { windowMs?: number }) {
    return this.call('getContention', options);
  }
  createSession(options?: JsonObject) {
    return this.call('createSession', options);
  }
  updateSession(id: string, updates: unknown) {
    return this.call('updateSession', id, updates);
  }
  getSession(id: string) {
    return this.call('getSession', id);
  }
  listSessions() {
    return this.call('listSessions');
  }
  getActiveSessions() {
    return this.call('getActiveSessions');
  }
  listSessionFiles() {
    return this.call('listSessionFiles');
  }
  readSessionFile(id: string) {
    return this.call('readSessionFile', id);
  }
  createCheckpoint(sessionId: string, reason?: string) {
    return this.call('createCheckpoint', sessionId, reason);
  }
  listCheckpoints() {
    return this.call('listCheckpoints');
  }
  readCheckpointSummary(id: string) {
    return this.call('readCheckpointSummary', id);
  }
  getCheckpoint(id: string) {
    return this.call('getCheckpoint', id);
  }
  previewRestore(id: string) {
    return this.call('previewRestore', id);
  }
  restoreCheckpoint(id: string) {
    return this.call('restoreCheckpoint', id);
  }
  exportTask(id: string) {
    return this.call('exportTask', id);
  }
  importTask(id: string, versions: TaskState[]) {
    return this.call('importTask', id, versions);
  }
  importSession(session: Session) {
    return this.call('importSession', session);
  }
  importCheckpoint(checkpoint: Checkpoint) {
    return this.call('importCheckpoint', checkpoint);
  }
  readAuditLog(query?: AuditQuery) {
    return this.call('readAuditLog', query);
  }
  readLockEvents(query: LockEventQuery) {
    return this.call('readLockEvents', query);
  }
  feedCursor(): Promise<FeedCursor> {
    return this.call('feedCursor');
  }

  openLogReader(kind: 'audit'): LogReader<AuditEntry>;
  openLogReader(kind: 'locks'): LogReader<LockEvent>;
  openLogReader(kind: 'audit' | 'locks'): LogReader<AuditEntry> | LogReader<LockEvent> {
    let reader: LogReader<AuditEntry | LockEvent> | null = null;
    return {
      readNew: async () => {
        const real = await this.store();
        reader ??= kind === 'audit' ? real.openLogReader('audit') : real.openLogReader('locks');
        return reader.readNew();
      },
    } as LogReader<AuditEntry> | LogReader<LockEvent>;
  }

  watch(callbacks: FeedCallbacks, from?: FeedCursor): ChangeFeed {
    let feed: ChangeFeed | null = null;
    let closed = false;
    return {
      start: async () => {
        const real = await this.store();
        if (closed) return;
        feed = real.watch(callbacks, from);
        await feed.start();
      },
      close: async () => {
        closed = true;
        await feed?.close();
      },
      getStatus: () => feed?.getStatus() ?? { mode: 'stopped', reason: null, rootPresent: true },
    };
  }

  startMonitor(): void {
    this.monitorWanted = true;
    if (this.real) this.real.startMonitor();
    else void this.store().catch(() => {}); // a failed load is reported by the next call that needs the store
  }
  stopMonitor(): void {
    this.monitorWanted = false;
    this.real?.stopMonitor();
  }

  on<E extends EngineEventName>(event: E, fn: EngineListener<E>): () => void {
    const s: Subscription = { event, fn: fn as EngineListener<EngineEventName>, off: this.real ? this.real.on(event, fn) : null };
    this.subscriptions.push(s);
    return () => {
      s.off?.();
      const i = this.subscriptions.indexOf(s);
      if (i >= 0) this.subscriptions.splice(i, 1);
    };
  }
  off<E extends EngineEventName>(event: E, fn: EngineListener<E>): void {
    for (const s of this.subscriptions.filter((x) => x.event === event && x.fn === fn)) {
      s.off?.();
      this.subscriptions.splice(this.subscriptions.indexOf(s), 1);
    }
  }

  async close(): Promise<void> {
    this.monitorWanted = false;
    // A store still loading is closed once loaded: its connection must not outlive us.
    const real = this.real ?? (this.loading ? await this.loading.catch(() => null) : null);
    await real?.close();
  }
}
