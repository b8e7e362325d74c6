// The file backend's change feed: watches the state folder and reports which
// parts changed, as typed changes (layout.ts classify). Directories are
// watched, never files one by one (tree-watcher.ts: one inotify watch per
// folder). history/ folders are not watched at all (a new version always
// also replaces state.json), nor are temp files.
//
// When native watching fails (ENOSPC: the inotify watch limit is reached),
// it falls back to polling by full rescans, and says so.
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { WatchStatus } from '../../../shared/contract.ts';
import type { FeedCallbacks } from '../backend.ts';
import { classify, isUnwatchedName } from '../layout.ts';
import { TreeWatcher } from './tree-watcher.ts';

export type { StoreChange } from '../backend.ts';
/** What the feed's subscriber is told (backend.ts FeedCallbacks). */
export type WatcherCallbacks = FeedCallbacks;

/** What the StateWatcher needs of a watcher: (event, path) reports, ready, error, close. */
export interface WatchSource {
  on(event: 'all', listener: (event: string, path: string) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  close(): Promise<void>;
}

/** Factory seam so tests can inject a watcher that fails like a real one would. */
export type WatchFactory = (root: string, ignored: (path: string) => boolean) => WatchSource;

export const treeWatcherFactory: WatchFactory = (root, ignored) => new TreeWatcher(root, ignored);

export class StateWatcher {
  private watcher: WatchSource | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private status: WatchStatus;
  private readonly root: string;
  private readonly callbacks: WatcherCallbacks;
  private readonly factory: WatchFactory;
  private closed = false;

  constructor(root: string, callbacks: WatcherCallbacks, factory: WatchFactory = treeWatcherFactory) {
    this.root = root;
    this.callbacks = callbacks;
    this.factory = factory;
    this.status = { mode: 'stopped', reason: null, rootPresent: existsSync(root) };
  }

  /** The watch mode; whether the root exists is looked at again (one stat), so a rescan reports it right. */
  getStatus(): WatchStatus {
    if (!this.closed) this.recheckRoot();
    return this.status;
  }

  /** Re-check whether the root exists (after a rescan found it, or found it gone). */
  recheckRoot(): void {
    const present = existsSync(this.root);
    if (present !== this.status.rootPresent) this.setStatus({ ...this.status, rootPresent: present });
  }

  private setStatus(status: WatchStatus): void {
    const s = this.status;
    if (s.mode === status.mode && s.reason === status.reason && s.rootPresent === status.rootPresent) return;
    this.status = status;
    this.callbacks.onStatus(status);
  }

  /** Resolves once the initial scan is done (or polling has started). */
  start(): Promise<void> {
    const ignored = (path: string) => {
      return isUnwatchedName(basename(path));
    };
    // Watching the parent as well lets us see the root being created, deleted
    // or moved, and a legacy state file appearing beside it.
    let watcher: WatchSource;
    try {
      watcher = this.factory(this.root, ignored);
    } catch (err) {
      this.fallBackToPolling(err as Error);
      return Promise.resolve();
    }
    this.watcher = watcher;
    return new Promise<void>((resolve) => {
      let ready = false;
      watcher.on('all', (event, path) => {
        if (path === this.root && (event === 'unlinkDir' || event === 'addDir')) {
          this.setStatus({ ...this.status, rootPresent: event === 'addDir' });
        } else if (!this.status.rootPresent && existsSync(this.root)) {
          this.setStatus({ ...this.status, rootPresent: true }); // seen through a change inside it
        }
        const change = classify(this.root, path);
        if (change?.kind === 'root') this.recheckRoot(); // before the subscriber rescans
        if (change) this.callbacks.onChange(change);
      });
      watcher.on('error', (err) => {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOSPC' || code === 'EMFILE') this.fallBackToPolling(err as Error);
        if (!ready) {
          ready = true;
          resolve();
        }
      });
      watcher.on('ready', () => {
        if (this.status.mode !== 'polling') this.setStatus({ mode: 'native', reason: null, rootPresent: existsSync(this.root) });
        if (!ready) {
          ready = true;
          resolve();
        }
      });
    });
  }

  private fallBackToPolling(err: Error): void {
    if (this.closed || this.status.mode === 'polling') return;
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOSPC'
        ? 'the inotify watch limit is reached (ENOSPC); raise fs.inotify.max_user_watches to watch natively'
        : `native watching failed (${code ?? err.message})`;
    void this.watcher?.close();
    this.watcher = null;
    this.setStatus({ mode: 'polling', reason, rootPresent: existsSync(this.root) });
    this.schedulePoll(0);
  }

  /** Full rescans, spaced by at least three times the last scan's duration. */
  private schedulePoll(lastScanMs: number): void {
    if (this.closed) return;
    this.pollTimer = setTimeout(
      async () => {
        const started = Date.now();
        try {
          const present = existsSync(this.root);
          if (present !== this.status.rootPresent) this.setStatus({ ...this.status, rootPresent: present });
          await this.callbacks.onRescan();
        } finally {
          this.schedulePoll(Date.now() - started);
        }
      },
      Math.max(1000, lastScanMs * 3),
    );
    this.pollTimer.unref?.();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    await this.watcher?.close();
    this.watcher = null;
  }
}
