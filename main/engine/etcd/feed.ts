// The change feed on etcd: one watch on the namespace prefix from a
// revision, mapped to StoreChange ids. It reads nothing itself: a subscriber
// reads its snapshot at revision R (feedCursor), then watches from R + 1 and
// misses nothing in between.
//
// After a compaction the revisions it needs are gone and etcd cancels the
// watch: the feed asks the subscriber to rescan (onRescan), then watches
// again from the revision taken before that rescan. After a lost connection
// it resumes from the revision after the last event it delivered.
import type { Watcher } from 'etcd3';
import type { WatchStatus } from '../../../shared/contract.ts';
import type { ChangeFeed, FeedCallbacks, StoreChange } from '../backend.ts';
import type { EtcdContext } from './context.ts';

const RETRY_MS = 1000;

export class EtcdFeed implements ChangeFeed {
  private readonly ctx: EtcdContext;
  private readonly callbacks: FeedCallbacks;
  private readonly from: number | undefined;
  private watcher: Watcher | null = null;
  /** The revision of the last event delivered: a resumed watch starts after it. */
  private delivered = 0;
  private closed = false;
  private recovering = false;
  private status: WatchStatus = { mode: 'stopped', reason: null, rootPresent: true, error: null };

  constructor(ctx: EtcdContext, callbacks: FeedCallbacks, from?: number) {
    this.ctx = ctx;
    this.callbacks = callbacks;
    this.from = from;
  }

  getStatus(): WatchStatus {
    return this.status;
  }

  private setStatus(error: string | null): void {
    const next: WatchStatus = {
      mode: this.closed ? 'stopped' : 'native',
      reason: `etcd watch on ${this.ctx.keys.root}`,
      rootPresent: true,
      error,
    };
    if (next.mode === this.status.mode && next.error === this.status.error) return;
    this.status = next;
    this.callbacks.onStatus(next);
  }

  async start(): Promise<void> {
    const from = this.from ?? (await this.ctx.conn.revision());
    this.delivered = from;
    try {
      await this.open(from + 1);
    } catch (err) {
      // A cursor already compacted away: rescan, then follow from now.
      await this.recover(err);
    }
  }

  private async open(startRevision: number): Promise<void> {
    const etcd = await this.ctx.conn.etcd();
    const watcher = await etcd.watch().prefix(this.ctx.keys.root).startRevision(String(startRevision)).create();
    if (this.closed) {
      void watcher.cancel().catch(() => {});
      return;
    }
    this.watcher = watcher;
    this.setStatus(null);
    watcher.on('data', (res) => {
      const changes = new Map<string, StoreChange>();
      for (const ev of res.events) {
        const kind = this.ctx.keys.classify(ev.kv.key.toString('utf8'));
        if (kind.kind === 'other') continue;
        const change: StoreChange = kind;
        changes.set(JSON.stringify(change), change);
        this.delivered = Math.max(this.delivered, Number(ev.kv.mod_revision));
      }
      for (const change of changes.values()) this.callbacks.onChange(change);
    });
    watcher.on('disconnected', (err: Error) => {
      // etcd3 reconnects by itself, from the revision in its request: make that the one after our last event.
      watcher.request.start_revision = String(this.delivered + 1);
      this.setStatus(`etcd cluster unreachable at ${this.ctx.conn.endpoints.join(', ')}: ${err.message}`);
    });
    watcher.on('connected', () => {
      if (this.watcher === watcher) this.setStatus(null);
    });
    watcher.on('error', (err: Error) => {
      if (this.watcher !== watcher) return;
      this.watcher = null;
      void this.recover(err);
    });
  }

  /** The watch was cancelled (a compacted revision): rescan everything, then follow from before the rescan. */
  private async recover(cause: unknown): Promise<void> {
    if (this.recovering || this.closed) return;
    this.recovering = true;
    // etcd gives no reason when it cancels a watch for a compacted revision.
    const reason = String((cause as Error)?.message ?? cause).replace(/^Watcher canceled:\s*$/, 'the revisions it needed were compacted');
    this.setStatus(`etcd watch cancelled (${reason}); rescanning`);
    try {
      while (!this.closed) {
        try {
          const revision = await this.ctx.conn.revision();
          await this.callbacks.onRescan();
          this.delivered = revision;
          await this.open(revision + 1);
          return;
        } catch (err) {
          this.setStatus(`etcd watch: ${(err as Error).message}; retrying`);
          await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        }
      }
    } finally {
      this.recovering = false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const watcher = this.watcher;
    this.watcher = null;
    this.status = { ...this.status, mode: 'stopped' };
    if (watcher) await Promise.race([watcher.cancel().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 500))]);
  }
}
