// Upkeep of the audit log and the lock log on etcd. Their keys
// (`<ns>/audit/<ms>-<op>`, `<ns>/locklog/<ms>-<op>`) are written with every
// commit and every lock, and etcd holds all its data within a quota (2 GiB by
// default) past which the cluster turns read-only, so the oldest entries are
// pruned: those older than `maxAgeMs`, and beyond the newest `maxEntries`.
//
// Never on a commit's critical path: a prune runs after a write Txn whose
// revision is a multiple of `everyRevisions` (the cluster's revision is a
// counter every process shares, so about one writer in that many does it,
// whichever process it is, CLI or server), and on `lockstep gc`. Keys start
// with their writer's clock, so each cut is one DeleteRange up to a key.
import type { EtcdContext } from './context.ts';
import { pad, prefixRange } from './keys.ts';

export interface LogRetention {
  /** Entries older than this are removed (default 30 days). */
  maxAgeMs: number;
  /** At most this many entries are kept in each log, the newest (default 100,000). */
  maxEntries: number;
  /** A prune follows a write whose revision is a multiple of this (default 1000). */
  everyRevisions: number;
}

/** Keys listed per cut: a keys-only range of this many stays far below the client's receive limit. */
const TRIM_BATCH = 10_000;

export const DEFAULT_LOG_RETENTION: LogRetention = { maxAgeMs: 30 * 24 * 60 * 60_000, maxEntries: 100_000, everyRevisions: 1000 };

/** What one prune removed from each log. */
export interface PruneResult {
  audit: number;
  locks: number;
}

export class LogUpkeep {
  private readonly ctx: EtcdContext;
  readonly retention: LogRetention;
  private running: Promise<PruneResult> | null = null;

  constructor(ctx: EtcdContext, retention: Partial<LogRetention> = {}) {
    this.ctx = ctx;
    this.retention = { ...DEFAULT_LOG_RETENTION, ...retention };
  }

  /** Called after each write Txn with its revision: prunes, in the background, at every `everyRevisions`th. */
  afterWrite(revision: number): void {
    if (revision % this.retention.everyRevisions !== 0) return;
    void this.prune().catch((err: Error) => this.ctx.events.emit('state.log_error', { message: `log upkeep: ${err.message}` }));
  }

  /** Remove entries past the age and the count limits from both logs (one prune at a time per process). */
  prune(): Promise<PruneResult> {
    this.running ??= this.pruneBoth().finally(() => (this.running = null));
    return this.running;
  }

  /** Wait for a prune under way (the store's close: a CLI process must not cut it short). */
  async settle(): Promise<void> {
    await this.running?.catch(() => {});
  }

  private async pruneBoth(): Promise<PruneResult> {
    const [audit, locks] = [this.ctx.keys.audit, this.ctx.keys.lockLog];
    const cutoff = (prefix: string) => Buffer.from(`${prefix}${pad(Math.max(0, Date.now() - this.retention.maxAgeMs), 13)}`);
    // The age cut of both logs and the count of what is left, in one round trip.
    const res = await this.ctx.conn.txn({
      compare: [],
      success: [
        { request_delete_range: { key: Buffer.from(audit), range_end: cutoff(audit) } },
        { request_delete_range: { key: Buffer.from(locks), range_end: cutoff(locks) } },
        { request_range: { ...prefixRange(audit), count_only: true } },
        { request_range: { ...prefixRange(locks), count_only: true } },
      ],
      failure: [],
    });
    const deleted = (i: number) => Number(res.responses[i]?.response_delete_range.deleted ?? 0);
    const count = (i: number) => Number(res.responses[i]?.response_range.count ?? 0);
    return {
      audit: deleted(0) + (await this.trimTo(audit, count(2))),
      locks: deleted(1) + (await this.trimTo(locks, count(3))),
    };
  }

  /** Remove the oldest keys of a log holding `count` entries, down to maxEntries, in cuts of at most TRIM_BATCH keys. */
  private async trimTo(prefix: string, count: number): Promise<number> {
    let removed = 0;
    for (let excess = count - this.retention.maxEntries; excess > 0;) {
      const oldest = await this.ctx.conn.range({
        ...prefixRange(prefix),
        keys_only: true,
        sort_target: 'Key',
        sort_order: 'Ascend',
        limit: Math.min(excess, TRIM_BATCH),
      });
      const last = oldest.kvs.at(-1)?.key;
      if (!last) break;
      const res = await this.ctx.conn.txn({
        compare: [],
        success: [{ request_delete_range: { key: Buffer.from(prefix), range_end: Buffer.concat([last, Buffer.from([0])]) } }],
        failure: [],
      });
      const deleted = Number(res.responses[0]?.response_delete_range.deleted ?? 0);
      removed += deleted;
      excess -= Math.max(deleted, oldest.kvs.length);
    }
    return removed;
  }
}
