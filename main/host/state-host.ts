// The dashboard's source of truth in main (Freelens' "sync-box" pattern):
// it owns the engine and the watcher, keeps the model in memory, and pushes
// a snapshot and then coalesced patches to every subscriber (Electron
// windows, serve WebSocket clients). Subscribers mirror it; they never poll.
import type { EventName } from '../../shared/channels.ts';
import type { Events, Patch, Snapshot, WatchStatus } from '../../shared/contract.ts';
import type { AuditEntry, ContentionStats, IntegrityIssue, LockEvent } from '../../shared/model.ts';
import { diffAll, SYNCED, update } from '../../shared/sync.ts';
import {
  isEtcdOptions,
  openStateStore,
  type ChangeFeed,
  type LogReader,
  type StateStore,
  type StoreChange,
  type StoreLocation,
  type StoreOptions,
} from '../engine/public.ts';
import { ContentionTracker } from '../../shared/contention.ts';
import { LockHistory } from './lock-history.ts';
import { ChangeTracker } from './change-tracker.ts';
import { Publisher, type HostListener, type Subscription } from './publisher.ts';
import { stderrLogger, type Logger } from './logger.ts';
import { loadModel, readCheckpoint, readInBatches, readLocks, readSession, readTaskRow, type Model } from './model-loader.ts';

export type { HostListener } from './publisher.ts';

export interface HostSettings {
  /** How long changes are gathered before one patch goes out. */
  coalesceMs?: number;
  activityLimit?: number;
  contentionWindowMs?: number;
  /** Run the engine monitor (lock cleanup, verify, auto checkpoints). */
  monitor?: boolean;
  /** Where failures are written (default: stderr). */
  logger?: Logger;
}

/** The store to show (a folder, `{ root }`, or a cluster, `{ etcd }`) and how to show it. */
export type StateHostOptions = StoreOptions & HostSettings;

/** How a store is named to people: its folder, or its cluster and namespace. */
export function describeLocation(location: StoreLocation): string {
  return location.kind === 'files' ? location.root : `etcd://${location.endpoints.join(',')}/${location.namespace}`;
}

const DEFAULT_COALESCE_MS = 16;
/** After a failed refresh, the next try (a full rescan) waits this long. */
const RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;
const INITIAL_VERIFY_DELAY_MS = 30_000;
/** The longest contention window the dashboard offers (its 1 h choice). */
const MAX_CONTENTION_WINDOW_MS = 60 * 60_000;
/** Contention is recomputed at most this often, and only the most contended tasks are sent. */
const CONTENTION_EVERY_MS = 2000;
/**
 * How often sessions shown alive are read again. A process killed with -9
 * leaves its mark on a folder (only its pid says it is gone), so no change
 * is reported when it dies; on etcd its lease key expires and the feed
 * reports it, and the read costs little for the few sessions alive at once.
 */
const ALIVE_RECHECK_MS = 2000;
const CONTENTION_LIMIT = 200;
/** Integrity issues found while reading a task (as opposed to by a full verify). */
const READ_DAMAGE_KINDS = new Set(['corrupt_state', 'missing_state', 'state_behind_history']);

export class StateHost {
  store: StateStore;
  private readonly options: StateHostOptions;
  private feed: ChangeFeed | null = null;
  private readonly publisher = new Publisher(() => this.log, this);

  private model: Model = { tasks: new Map(), sessions: new Map(), locks: new Map(), checkpoints: new Map() };
  private issues: IntegrityIssue[] = [];
  private activity: AuditEntry[] = [];
  private contention: ContentionStats[] = [];
  private tracker = new ContentionTracker(MAX_CONTENTION_WINDOW_MS);
  /** The lock timeline's events (getLockEvents); new ones also go out in patches. */
  readonly lockHistory = new LockHistory();
  private legacyFile: string | null = null;
  private demo: Snapshot['demo'] = null;
  private auditReader!: LogReader<AuditEntry>;
  private locksReader!: LogReader<LockEvent>;

  /** What the feed reported since the last refresh began (a refresh takes it whole, so nothing marked meanwhile is lost). */
  private dirty = new ChangeTracker();
  /** Refreshes (flushes and rescans) run one at a time: each reads and updates the model across awaits. */
  private queue: Promise<unknown> = Promise.resolve();
  private pendingStatus: WatchStatus | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private housekeeping: NodeJS.Timeout | null = null;
  private contentionTimer: NodeJS.Timeout | null = null;
  private aliveTimer: NodeJS.Timeout | null = null;
  private ready: Promise<void> = Promise.resolve();

  private storeOptions: StoreOptions;

  constructor(options: StateHostOptions) {
    this.options = options;
    const { coalesceMs: _c, activityLimit: _a, contentionWindowMs: _w, monitor: _m, logger: _l, ...storeOptions } = options;
    this.storeOptions = storeOptions;
    this.store = openStateStore(storeOptions);
  }

  /** The store shown, as people name it (the title bar, Recent, log lines). */
  get root(): string {
    return describeLocation(this.store.location);
  }

  /** Load everything, then start watching. Resolves when the first snapshot is ready. */
  start(): Promise<void> {
    this.ready = this.load();
    this.housekeeping = setInterval(() => this.refreshSlowParts(), 5000);
    this.housekeeping.unref();
    this.contentionTimer = setInterval(() => {
      const patch: Patch = { seq: 0 };
      this.refreshContention(patch);
      this.emitPatch(patch);
    }, CONTENTION_EVERY_MS);
    this.contentionTimer.unref();
    this.aliveTimer = setInterval(() => {
      for (const session of this.model.sessions.values())
        if (session.alive === true) this.markDirty({ kind: 'session', sessionId: session.id });
    }, ALIVE_RECHECK_MS);
    this.aliveTimer.unref();
    return this.ready;
  }

  whenReady(): Promise<void> {
    return this.ready;
  }

  /** Refreshes under way: each updates the model across awaits before it sends its patch. */
  private readonly refreshing = new Set<Promise<void>>();

  /** Resolves when the model holds exactly what was sent (no refresh half-way): a snapshot taken then is whole. */
  async whenSettled(): Promise<void> {
    await this.ready;
    // Refreshes can overlap under a steady stream of changes: a bounded wait, so a subscriber is never starved.
    for (let round = 0; this.refreshing.size && round < 20; round++) await Promise.allSettled(this.refreshing);
  }

  /**
   * Resolves when the first snapshot is ready; watching starts right after,
   * in the background. The snapshot is read after taking a feed cursor, and
   * the feed starts from that cursor: nothing changed meanwhile is missed.
   */
  private async load(): Promise<void> {
    const epoch = this.feedEpoch;
    const cursor = await this.store.feedCursor();
    if (epoch !== this.feedEpoch) return; // closed or switched meanwhile
    // Created now (started later) so the status it reports covers the snapshot.
    const feed = this.store.watch(
      {
        onChange: (change) => this.markDirty(change),
        onStatus: (status) => {
          this.pendingStatus = status;
          if (status.rootPresent === false) this.markDirty({ kind: 'root' });
          this.scheduleFlush();
        },
        onRescan: () =>
          this.serialized(async () => {
            await this.rescan();
            // Polling sees no log appends nor the legacy file: the next refresh reads them too.
            this.markDirty({ kind: 'log' });
            this.markDirty({ kind: 'legacy' });
          }).then(
            () => this.refreshSucceeded(),
            (err: unknown) => this.refreshFailed('a polling rescan', err),
          ),
      },
      cursor,
    );
    this.feed = feed;
    // Closed or switched while the snapshot was read: stopWatching closed this feed, and starting it
    // now would watch a store that is gone (seen in CI: the app quit while it opened a cluster).
    if (!(await this.fullLoad(epoch))) return;
    // Queued before any refresh, so no refresh reads the lock log on from before its tail.
    this.lockTail = this.serialized(() => this.readLockTail()).catch((err: unknown) =>
      this.log.error(`Dashboard of ${this.root}: reading the lock log failed`, err),
    );
    if (this.options.monitor) this.store.startMonitor();
    this.watching = this.startWatching(feed);
    // Awaited by whenWatching; a failure nobody awaits is logged, not left unhandled.
    this.watching.catch((err: unknown) => this.log.error(`Dashboard of ${this.root}: the watch did not start`, err));
  }

  private lockTail: Promise<void> = Promise.resolve();

  /** Resolves once the lock log's recent tail is in memory (the lock timeline's history, contention). */
  whenLockHistoryRead(): Promise<void> {
    return this.ready.then(() => this.lockTail);
  }

  /**
   * The lock log's recent tail (4 MiB, some 30,000 lines on a busy day) feeds the lock timeline's
   * history and the contention figures, which the first screen does not need: it is read right
   * after the first snapshot is out (0.2-0.3 s less before the dashboard shows anything), and its
   * contention follows in a patch. getLockEvents and getContention wait for it.
   */
  private async readLockTail(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve)); // a subscriber waiting for the snapshot gets it first
    const lockEvents = await this.locksReader.readNew();
    for (const e of lockEvents) this.tracker.add(e);
    this.lockHistory.add(lockEvents);
    this.contentionDirty = true;
    const patch: Patch = { seq: 0 };
    this.refreshContention(patch);
    this.emitPatch(patch);
  }

  private watching: Promise<void> = Promise.resolve();

  /** Resolves once the watcher is live and changes made during start-up are merged in. */
  whenWatching(): Promise<void> {
    return this.ready.then(() => this.watching);
  }

  private async startWatching(feed: ChangeFeed): Promise<void> {
    await feed.start(); // reports what changed since the cursor, once live
    this.pendingStatus = feed.getStatus();
    // The first full verify waits until start-up is over: it reads every history file.
    const verifySoon = setTimeout(() => {
      this.store.verifyAllStates().catch((err: unknown) => this.log.error(`The first integrity check of ${this.root} failed`, err));
    }, INITIAL_VERIFY_DELAY_MS);
    verifySoon.unref();
    this.scheduleFlush();
  }

  /** False when the host was closed or switched meanwhile (`epoch` moved on): then nothing is kept. */
  private async fullLoad(epoch: number): Promise<boolean> {
    const store = this.store;
    const model = await loadModel(store);
    const auditReader = store.openLogReader('audit');
    const activity = (await auditReader.readNew()).slice(-this.activityLimit);
    const legacyFile = (await store.legacyState?.()) ?? null;
    if (epoch !== this.feedEpoch) return false;
    this.model = model;
    this.auditReader = auditReader;
    this.locksReader = store.openLogReader('locks');
    this.activity = activity;
    this.legacyFile = legacyFile;
    this.tracker = new ContentionTracker(MAX_CONTENTION_WINDOW_MS);
    this.lockHistory.clear(); // the lock log's tail is read once the first snapshot is out (readLockTail)
    this.contention = [];
    this.contentionSent = JSON.stringify(this.contention);
    this.issues = [];
    return true;
  }

  /** Polling mode and reconciliation: reload everything and send what differs. */
  private async rescan(): Promise<void> {
    const model = await loadModel(this.store);
    const patch: Patch = { seq: 0 };
    Object.assign(patch, diffAll(this.model, model));
    this.model = model;
    this.emitPatch(patch);
  }

  private get activityLimit(): number {
    return this.options.activityLimit ?? 500;
  }

  private computeContention(): ContentionStats[] {
    return this.tracker.stats(this.options.contentionWindowMs ?? 15 * 60_000, CONTENTION_LIMIT);
  }

  /** Contention over another window (the Locks view's 5 min / 15 min / 1 h). */
  contentionFor(windowMs: number): ContentionStats[] {
    return this.tracker.stats(Math.min(windowMs, MAX_CONTENTION_WINDOW_MS), CONTENTION_LIMIT);
  }

  private contentionDirty = false;
  private contentionSent = '';

  /** Recompute contention if new lock events arrived; send it only when it changed. */
  private refreshContention(patch: Patch): void {
    if (!this.contentionDirty) return;
    this.contentionDirty = false;
    this.contention = this.computeContention();
    const json = JSON.stringify(this.contention);
    if (json !== this.contentionSent) {
      this.contentionSent = json;
      patch.contention = this.contention;
    }
  }

  // ---- change tracking --------------------------------------------------------

  private markDirty(change: StoreChange): void {
    if (change.kind === 'integrity') {
      this.setIssues(change.issues); // every verify (ours, the monitor's) refreshes the list
      return;
    }
    this.dirty.mark(change);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      const refresh = this.serialized(() => this.flush()).then(
        () => this.refreshSucceeded(),
        (err: unknown) => this.refreshFailed('reading the latest changes', err),
      );
      this.refreshing.add(refresh);
      void refresh.finally(() => this.refreshing.delete(refresh));
    }, this.options.coalesceMs ?? DEFAULT_COALESCE_MS);
  }

  /** Run refreshes one after another (a failed one does not stop the next). */
  private serialized<T>(run: () => Promise<T>): Promise<T> {
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => {});
    return next;
  }

  /** Read everything marked dirty once, and send it as one patch. */
  private async flush(): Promise<void> {
    const dirty = this.dirty;
    this.dirty = new ChangeTracker(); // changes reported while this refresh awaits are kept for the next one
    if (dirty.config) {
      try {
        await openStateStore(this.storeOptions).close(); // validates the new settings
      } catch (err) {
        // Invalid settings (config.json) keep the ones in use; the CLI reports why too.
        this.log.warn(`Kept the settings in use: the new settings of ${this.root} do not validate`, err);
        return;
      }
      await this.switchTo(this.storeOptions);
      return;
    }
    // A commit's audit line follows it at once, and a rescan may read commits whose
    // events are still on their way: look for new log entries in the same patch.
    const readLogs = dirty.logs || dirty.root || dirty.tasks.size > 0;
    if (dirty.root) {
      for (const items of [dirty.tasks, dirty.locks, dirty.sessions, dirty.checkpoints]) items.clear(); // the rescan reads them all
      await this.rescan();
    }
    const sessionMetrics = new Set<string>();
    const patch: Patch = { seq: 0 };
    if (dirty.tasks.size) {
      let issuesChanged = false;
      const reads = await readInBatches([...dirty.tasks], async (id) => {
        const { row, damage } = await readTaskRow(this.store, id);
        issuesChanged = this.noteReadDamage(id, damage) || issuesChanged;
        return [id, row] as const;
      });
      const before = new Map(reads.map(([id]) => [id, this.model.tasks.get(id)]));
      patch.tasks = update(SYNCED.tasks, this.model.tasks, reads);
      // A task's status feeds its session's metrics (the old session's too, when it moved).
      for (const row of patch.tasks?.upsert ?? []) {
        const old = before.get(row.task_id);
        if (row.session_id && this.model.sessions.has(row.session_id)) sessionMetrics.add(row.session_id);
        if (old?.session_id && old.session_id !== row.session_id) sessionMetrics.add(old.session_id);
      }
      if (issuesChanged) patch.issues = this.issues;
    }
    if (dirty.locks.size) patch.locks = await this.reloadLocks([...dirty.locks]);
    for (const id of sessionMetrics) dirty.sessions.add(id);
    if (dirty.sessions.size) {
      const reads = await readInBatches(
        [...dirty.sessions],
        async (id) => [id, await readSession(this.store, id, this.model.tasks)] as const,
      );
      patch.sessions = update(SYNCED.sessions, this.model.sessions, reads);
    }
    if (dirty.checkpoints.size) {
      const reads = await readInBatches([...dirty.checkpoints], async (id) => [id, await readCheckpoint(this.store, id)] as const);
      patch.checkpoints = update(SYNCED.checkpoints, this.model.checkpoints, reads);
    }
    // The logs are read last and on their own: a log that cannot be read
    // must not hold back the tasks, sessions and locks read above.
    let logFailure: unknown = null;
    if (readLogs) {
      try {
        await this.readLogs(patch);
      } catch (err) {
        logFailure = err;
      }
    }
    if (dirty.legacy) await this.refreshLegacy(patch);
    if (this.pendingStatus) {
      // The host's own refresh error first; else what the feed reports (a cancelled watch, a cluster out of reach).
      patch.watch = { ...this.pendingStatus, error: this.failing ?? this.pendingStatus.error ?? null };
      this.pendingStatus = null;
    }
    this.emitPatch(patch);
    if (logFailure) throw logFailure;
  }

  private async readLogs(patch: Patch): Promise<void> {
    const entries = await this.auditReader.readNew();
    if (entries.length) {
      this.activity = [...this.activity, ...entries].slice(-this.activityLimit);
      patch.activity = entries.slice(-this.activityLimit);
    }
    const lockEvents = await this.locksReader.readNew();
    for (const e of lockEvents) this.tracker.add(e);
    if (lockEvents.length) {
      this.contentionDirty = true;
      this.lockHistory.add(lockEvents);
      patch.lockEvents = lockEvents;
    }
  }

  private emitPatch(patch: Patch): void {
    this.publisher.patch(patch);
  }

  /** Re-read the locks of some tasks into the model; returns the patch section (undefined: unchanged). */
  private async reloadLocks(taskIds: string[]): Promise<Patch['locks']> {
    return update(SYNCED.locks, this.model.locks, await readLocks(this.store, taskIds));
  }

  /** An earlier version's state file beside the store: offered for migration while it is there. */
  private async refreshLegacy(patch: Patch): Promise<void> {
    const legacy = (await this.store.legacyState?.()) ?? null;
    if (legacy !== this.legacyFile) {
      this.legacyFile = legacy;
      patch.legacyFile = legacy;
    }
  }

  /** Lock expiry, liveness and contention change with time alone: refresh them periodically. */
  private refreshSlowParts(): void {
    const store = this.store;
    const patch: Patch = { seq: 0 };
    const locks = this.model.locks.size ? this.reloadLocks([...this.model.locks.keys()]) : Promise.resolve(undefined);
    void locks
      .then(async (section) => {
        if (store !== this.store) return; // switched meanwhile: this belongs to the old store
        if (section) patch.locks = section;
        this.contentionDirty ||= this.contention.length > 0; // the window slides even without new events
        this.refreshContention(patch);
        await this.refreshLegacy(patch);
        this.emitPatch(patch);
      })
      .catch((err: unknown) => this.log.error(`Dashboard of ${this.root}: refreshing lock leases failed`, err));
  }

  /** Replace what reading a task revealed about it; true when the issue list changed. */
  private noteReadDamage(taskId: string, damage: IntegrityIssue | null): boolean {
    const others = this.issues.filter((i) => !(i.task_id === taskId && READ_DAMAGE_KINDS.has(i.kind)));
    const had = this.issues.length - others.length;
    if (!damage && had === 0) return false;
    this.issues = damage ? [...others, damage] : others;
    return true;
  }

  /** Replace one task's issues (after it was recovered and verified alone), keeping every other task's. */
  replaceTaskIssues(taskId: string, issues: IntegrityIssue[]): void {
    this.setIssues([...this.issues.filter((i) => i.task_id !== taskId), ...issues]);
  }

  setIssues(issues: IntegrityIssue[]): void {
    this.issues = issues;
    this.emitPatch({ seq: 0, issues });
  }

  setDemo(demo: Snapshot['demo']): void {
    this.demo = demo;
    this.emitPatch({ seq: 0, demo });
  }

  private get log(): Logger {
    return this.options.logger ?? stderrLogger;
  }

  private failing: string | null = null;

  /**
   * A refresh threw: the model may be behind the disk. Log it, tell the
   * screen (the watch banner), and retry with a full rescan.
   */
  private refreshFailed(what: string, err: unknown): void {
    const message = `${what} failed: ${err instanceof Error ? err.message : String(err)}; retrying`;
    const firstOfStreak = this.failing === null;
    if (this.failing !== message) {
      this.failing = message;
      this.log.error(`Dashboard of ${this.root}: ${what} failed; retrying`, err);
      // A refresh cut short may have updated the model without sending it:
      // subscribers start again from a snapshot (which carries the error).
      if (firstOfStreak) this.emit('reset', this.snapshot());
      else this.emitPatch({ seq: 0, watch: this.currentStatus() });
    }
    // Retry with a full rescan, then more and more rarely (a log that stays unreadable).
    this.retryMs = firstOfStreak ? RETRY_MS : Math.min(this.retryMs * 2, MAX_RETRY_MS);
    setTimeout(() => {
      this.dirty.root = true;
      this.scheduleFlush();
    }, this.retryMs).unref();
  }

  private retryMs = RETRY_MS;

  private refreshSucceeded(): void {
    if (this.failing === null) return;
    this.failing = null;
    this.log.info(`Dashboard of ${this.root}: refreshing works again`);
    this.emitPatch({ seq: 0, watch: this.currentStatus() });
  }

  private currentStatus(): WatchStatus {
    const status = this.feed?.getStatus() ?? { mode: 'stopped', reason: null, rootPresent: true };
    return { ...status, error: this.failing ?? status.error ?? null };
  }

  // ---- subscribers --------------------------------------------------------------

  snapshot(): Snapshot {
    return {
      root: this.root,
      legacyFile: this.legacyFile,
      tasks: [...this.model.tasks.values()],
      sessions: [...this.model.sessions.values()],
      locks: [...this.model.locks.values()],
      checkpoints: [...this.model.checkpoints.values()],
      issues: this.issues,
      activity: this.activity,
      contention: this.contention,
      watch: this.currentStatus(),
      demo: this.demo,
      seq: this.publisher.seq,
    };
  }

  /** Events reach the listener once it says it is ready (`ready()` on the result). */
  subscribe(listener: HostListener): Subscription {
    return this.publisher.subscribe(listener);
  }

  emit<E extends EventName>(event: E, payload: Events[E]): void {
    this.publisher.emit(event, payload);
  }

  /** Point the dashboard at another state folder (Open State Folder…, the demo). */
  switchRoot(root: string): Promise<void> {
    const settings = isEtcdOptions(this.storeOptions) ? { owner: this.storeOptions.owner } : { ...this.storeOptions };
    return this.switchTo({ ...settings, root });
  }

  /** Point the dashboard at another store (a folder, or an etcd cluster). */
  async switchTo(options: StoreOptions): Promise<void> {
    const next = openStateStore(options); // invalid options throw here, before the current store is let go
    await this.stopWatching();
    await this.store.close();
    this.store = next;
    this.storeOptions = options;
    this.dirty = new ChangeTracker();
    await this.load();
    this.emit('reset', this.snapshot());
  }

  /** Bumped whenever the feed is stopped (close, switch): a load begun before then gives up. */
  private feedEpoch = 0;

  private async stopWatching(): Promise<void> {
    this.feedEpoch++;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.store.stopMonitor();
    await this.feed?.close();
    this.feed = null;
  }

  async close(): Promise<void> {
    if (this.housekeeping) clearInterval(this.housekeeping);
    if (this.contentionTimer) clearInterval(this.contentionTimer);
    if (this.aliveTimer) clearInterval(this.aliveTimer);
    await this.stopWatching();
    await this.store.close();
    this.publisher.clear();
  }
}
