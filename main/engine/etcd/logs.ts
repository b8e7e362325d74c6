// The audit log and the lock log as keys: `<ns>/audit/<ms>-<op>` and
// `<ns>/locklog/<ms>-<op>`. Keys start with the writer's clock, so a `since`
// query is a range from a key; readers that follow the log ask only for keys
// written after the revision they last saw.
import type { AuditEntry, ContentionStats, LockEvent } from '../../../shared/model.ts';
import type { AuditQuery, LockEventQuery, LockEventRange, LogReader } from '../backend.ts';
import { LockRangeCollector } from '../lock-range-collector.ts';
import { contentionStats } from '../maintenance.ts';
import type { EtcdContext } from './context.ts';
import { pad, prefixEnd, prefixRange } from './keys.ts';

/** Clocks of different machines disagree: a follower also looks this far back before the newest time it saw. */
const CLOCK_SKEW_MS = 60_000;
/** What a new reader returns first: the recent tail. */
const INITIAL_TAIL = { audit: 500, locks: 5000 } as const;

function parseValues<T>(values: Buffer[]): T[] {
  const out: T[] = [];
  for (const v of values) {
    try {
      out.push(JSON.parse(v.toString('utf8')) as T);
    } catch {
      /* not ours: skipped */
    }
  }
  return out;
}

function logPrefix(ctx: EtcdContext, kind: 'audit' | 'locks'): string {
  return kind === 'audit' ? ctx.keys.audit : ctx.keys.lockLog;
}

async function readSince<T>(ctx: EtcdContext, kind: 'audit' | 'locks', sinceMs: number | null): Promise<T[]> {
  const prefix = logPrefix(ctx, kind);
  const range = prefixRange(prefix);
  const key = sinceMs === null ? range.key : Buffer.from(`${prefix}${pad(Math.max(0, sinceMs - CLOCK_SKEW_MS), 13)}`);
  const res = await ctx.conn.range({ key, range_end: range.range_end, sort_target: 'Create', sort_order: 'Ascend' });
  return parseValues<T>(res.kvs.map((kv) => kv.value));
}

export async function readAudit(ctx: EtcdContext, query: AuditQuery = {}): Promise<AuditEntry[]> {
  const sinceMs = query.since ? Date.parse(query.since) : NaN;
  let entries = await readSince<AuditEntry>(ctx, 'audit', Number.isFinite(sinceMs) ? sinceMs : null);
  if (query.since) entries = entries.filter((e) => e.timestamp >= query.since!);
  if (query.task) entries = entries.filter((e) => e.task_id === query.task);
  if (query.limit !== undefined) entries = entries.slice(-query.limit);
  return entries;
}

export async function readContention(ctx: EtcdContext, windowMs: number): Promise<ContentionStats[]> {
  const since = Date.now() - windowMs;
  return contentionStats(await readSince<LockEvent>(ctx, 'locks', since), since);
}

/** Follows one log: the recent tail first, then only entries written since the previous call. */
export class EtcdLogReader<T> implements LogReader<T> {
  private readonly ctx: EtcdContext;
  private readonly kind: 'audit' | 'locks';
  private seenRevision: number | null = null;
  private newestMs = 0;

  constructor(ctx: EtcdContext, kind: 'audit' | 'locks') {
    this.ctx = ctx;
    this.kind = kind;
  }

  async readNew(): Promise<T[]> {
    const prefix = logPrefix(this.ctx, this.kind);
    const end = prefixEnd(Buffer.from(prefix));
    if (this.seenRevision === null) {
      const res = await this.ctx.conn.range({
        key: Buffer.from(prefix),
        range_end: end,
        sort_target: 'Key',
        sort_order: 'Descend',
        limit: INITIAL_TAIL[this.kind],
      });
      this.seenRevision = Number(res.header.revision);
      const kvs = res.kvs.reverse();
      this.noteTime(kvs.map((kv) => kv.key.toString('utf8')));
      return parseValues<T>(kvs.map((kv) => kv.value));
    }
    const from = Buffer.from(`${prefix}${pad(Math.max(0, this.newestMs - CLOCK_SKEW_MS), 13)}`);
    const res = await this.ctx.conn.range({
      key: from,
      range_end: end,
      min_mod_revision: this.seenRevision + 1,
      sort_target: 'Create',
      sort_order: 'Ascend',
    });
    this.seenRevision = Number(res.header.revision);
    this.noteTime(res.kvs.map((kv) => kv.key.toString('utf8')));
    return parseValues<T>(res.kvs.map((kv) => kv.value));
  }

  private noteTime(keys: string[]): void {
    for (const key of keys) {
      const ms = Number(key.slice(key.lastIndexOf('/') + 1, key.lastIndexOf('/') + 14));
      if (Number.isFinite(ms)) this.newestMs = Math.max(this.newestMs, ms);
    }
  }
}

/** Keys read per request when a range is read back: bounds the memory of one answer from etcd. */
const RANGE_PAGE = 5000;

/**
 * A time range of the lock log, read back newest first page by page (keys
 * start with the writer's clock; a writer's skew is allowed for), keeping
 * the newest `limit` lines and counting the rest.
 */
export async function readLockRange(ctx: EtcdContext, query: LockEventQuery): Promise<LockEventRange> {
  const prefix = logPrefix(ctx, 'locks');
  const first = Buffer.from(`${prefix}${pad(Math.max(0, query.fromMs - CLOCK_SKEW_MS), 13)}`);
  let end: Buffer = Buffer.from(`${prefix}${pad(query.toMs + CLOCK_SKEW_MS + 1, 13)}`);
  const collected = new LockRangeCollector(query);
  for (;;) {
    const res = await ctx.conn.range({ key: first, range_end: end, sort_target: 'Key', sort_order: 'Descend', limit: RANGE_PAGE });
    for (const e of parseValues<LockEvent>(res.kvs.map((kv) => kv.value))) collected.offer(e);
    if (!res.more || res.kvs.length === 0) break;
    end = res.kvs[res.kvs.length - 1]!.key; // the next page ends before the oldest key of this one
  }
  return collected.result();
}
