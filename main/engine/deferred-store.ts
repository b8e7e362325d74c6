// A StateStore whose backend module loads on first use. openStateStore() is
// synchronous, but the etcd backend is a third of the engine's code (and its
// client, grpc, more): a CLI run on a folder must not load or parse any of
// it. So `{ etcd }` options get this stand-in, which forwards every call to
// the real store once its module is imported.
//
// What must be known at once is computed from the options: the location
// (validated like the backend does, so bad options still fail at open) and
// the settings. Event listeners and the monitor are handed over on load.
import type { AuditEntry, LockEvent } from '../../shared/model.ts';
import type { ChangeFeed, FeedCallbacks, FeedCursor, LogReader, StateStore, StoreLocation } from './backend.ts';
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

  /** `name` of the real store, called once it has loaded; typed as the contract types it (overloads included). */
  private forward<K extends AsyncMethod>(name: K): StateStore[K] {
    const forwarded = async (...args: unknown[]) => {
      const real = await this.store();
      return (real[name] as (...a: unknown[]) => Promise<unknown>).apply(real, args);
    };
    return forwarded as StateStore[K];
  }

  // The contract's calls that need nothing but the real store, passed on as they are.
  readonly init = this.forward('init');
  readonly getTaskState = this.forward('getTaskState');
  readonly updateTaskState = this.forward('updateTaskState');
  readonly getTaskHistory = this.forward('getTaskHistory');
  readonly getTaskHistoryPage = this.forward('getTaskHistoryPage');
  readonly listTaskIds = this.forward('listTaskIds');
  readonly listTasks = this.forward('listTasks');
  readonly recoverTaskState = this.forward('recoverTaskState');
  readonly restoreTaskVersion = this.forward('restoreTaskVersion');
  readonly verifyTaskState = this.forward('verifyTaskState');
  readonly verifyAllStates = this.forward('verifyAllStates');
  readonly inspectTask = this.forward('inspectTask');
  readonly acquireLock = this.forward('acquireLock');
  readonly releaseLock = this.forward('releaseLock');
  readonly refreshLock = this.forward('refreshLock');
  readonly listLocks = this.forward('listLocks');
  readonly lockSummaries = this.forward('lockSummaries');
  readonly cleanupExpiredLocks = this.forward('cleanupExpiredLocks');
  readonly collectGarbage = this.forward('collectGarbage');
  readonly breakLock = this.forward('breakLock');
  readonly getContention = this.forward('getContention');
  readonly createSession = this.forward('createSession');
  readonly updateSession = this.forward('updateSession');
  readonly getSession = this.forward('getSession');
  readonly listSessions = this.forward('listSessions');
  readonly getActiveSessions = this.forward('getActiveSessions');
  readonly listSessionFiles = this.forward('listSessionFiles');
  readonly readSessionFile = this.forward('readSessionFile');
  readonly createCheckpoint = this.forward('createCheckpoint');
  readonly listCheckpoints = this.forward('listCheckpoints');
  readonly readCheckpointSummary = this.forward('readCheckpointSummary');
  readonly getCheckpoint = this.forward('getCheckpoint');
  readonly previewRestore = this.forward('previewRestore');
  readonly restoreCheckpoint = this.forward('restoreCheckpoint');
  readonly exportTask = this.forward('exportTask');
  readonly importTask = this.forward('importTask');
  readonly importSession = this.forward('importSession');
  readonly importCheckpoint = this.forward('importCheckpoint');
  readonly readAuditLog = this.forward('readAuditLog');
  readonly readLockEvents = this.forward('readLockEvents');
  readonly feedCursor = this.forward('feedCursor');

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
