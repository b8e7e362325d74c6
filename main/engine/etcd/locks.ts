// FIFO shared/exclusive locks on etcd. etcd3's own lock() is a try-lock with
// no queue, so this is the classic recipe:
//
//   - each holder or waiter puts one key under <ns>/tasks/<id>/locks/, bound
//     to this process's lease; keys queue in create_revision order;
//   - a writer waits for every earlier key to go, a reader for every earlier
//     writer; each waits by watching only its nearest blocker's deletion, so a
//     release wakes one waiter, not the whole queue;
//   - one lease per process, kept alive by etcd3, carries all its locks: a
//     process that dies (kill -9) or stops (SIGSTOP) past the lease loses
//     them at once, and the next waiter is woken by the deletion.
//
// Fencing: a commit made under a lock compares the lock key's create_revision
// in its Txn (tasks.ts). A holder stopped past its lease finds its key gone
// (or a newer one in its place) and its late commit refused.
import type { IKeyValue } from 'etcd3';
import type { HolderInfo, LockEvent, LockMode, LockRecord, LockWaiter, TaskLocks } from '../../../shared/model.ts';
import type { Lock } from '../backend.ts';
import { InvalidInputError, LockTimeoutError, type VersionConflictError } from '../errors.ts';
import { HOST } from '../identity.ts';
import { appendLockEvent, auditEntry, appendAudit, put, type EtcdContext } from './context.ts';
import { isUnreachable } from './connection.ts';
import { prefixRange } from './keys.ts';
import type { ProcessLease } from './process-lease.ts';

export interface EtcdLock extends Lock {
  /** The lock's key; its create_revision is the fencing token. */
  readonly key: string;
  readonly createRevision: string;
  readonly leaseId: string;
  /** When it was granted (ms), and how long it was waited for: the lock log's released line carries both. */
  readonly grantedAt: number;
  readonly waitMs: number;
}

export interface AcquireOptions {
  timeout?: number;
  owner?: string;
  /** Checked before queueing and each time the waiter wakes: a stale optimistic writer leaves the queue. */
  abortIf?: () => Promise<VersionConflictError | null>;
}

interface QueueEntry {
  key: string;
  createRevision: bigint;
  record: LockRecord;
}

/** How often a waiter re-reads the queue even without a deletion event (a missed event, abortIf). */
const RECHECK_MS = 1000;

function parseEntries(kvs: IKeyValue[], taskId: string): QueueEntry[] {
  const out: QueueEntry[] = [];
  for (const kv of kvs) {
    let record: LockRecord;
    try {
      record = JSON.parse(kv.value.toString('utf8')) as LockRecord;
    } catch {
      // Not written by us; it still queues (a writer that sees it waits), shown as an unnamed writer.
      record = {
        task_id: taskId,
        mode: 'write',
        token: '',
        pid: 0,
        host: '',
        start: null,
        owner: '(unreadable lock key)',
        acquired_at: '',
        expires_at: '',
      };
    }
    out.push({ key: kv.key.toString('utf8'), createRevision: BigInt(kv.create_revision), record: { ...record, task_id: taskId } });
  }
  return out.sort((a, b) => (a.createRevision < b.createRevision ? -1 : a.createRevision > b.createRevision ? 1 : 0));
}

/** The entry this one waits for: the nearest earlier key (a writer), or the nearest earlier writer (a reader). */
function nearestBlocker(queue: QueueEntry[], index: number): QueueEntry | null {
  const mode = queue[index]!.record.mode;
  for (let i = index - 1; i >= 0; i--) {
    if (mode === 'write' || queue[i]!.record.mode === 'write') return queue[i]!;
  }
  return null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class EtcdLocks {
  private readonly ctx: EtcdContext;
  private readonly lease: ProcessLease;
  private readonly held = new Set<EtcdLock>();
  private readonly logWrites = new Set<Promise<void>>();
  private seq = 0;

  constructor(ctx: EtcdContext, lease: ProcessLease) {
    this.ctx = ctx;
    this.lease = lease;
    lease.onLost((leaseId) => this.onLeaseLost(leaseId));
  }

  get ttlSeconds(): number {
    return this.lease.ttlSeconds;
  }

  /** The lease ran out (this process was stopped, or cut off): its locks are gone; later locks get a new lease. */
  private onLeaseLost(leaseId: string): void {
    for (const lock of [...this.held]) {
      if (lock.leaseId !== leaseId) continue;
      this.held.delete(lock);
      this.ctx.events.emit('state.lock_lost', { task_id: lock.taskId, mode: lock.record.mode, token: lock.record.token });
    }
  }

  /** One lock-log line, as on files: acquired and released lines carry the token and host that pair them. */
  private logEvent(record: LockRecord, waitMs: number, outcome: 'acquired' | 'timeout' | 'released', extra: Partial<LockEvent> = {}): void {
    const event: LockEvent = {
      ts: new Date().toISOString(),
      task_id: record.task_id,
      mode: record.mode,
      pid: process.pid,
      owner: record.owner,
      wait_ms: waitMs,
      outcome,
      ...(outcome === 'timeout' ? {} : { token: record.token }),
      host: HOST,
      ...extra,
    };
    const write = appendLockEvent(this.ctx, event);
    this.logWrites.add(write);
    void write.finally(() => this.logWrites.delete(write));
  }

  async acquire(taskId: string, mode: LockMode, options: AcquireOptions = {}): Promise<EtcdLock> {
    if (mode !== 'read' && mode !== 'write')
      throw new InvalidInputError(`lock mode must be "read" or "write", got ${JSON.stringify(mode)}`);
    const timeout = options.timeout ?? this.ctx.config.lock_timeout_ms;
    const started = Date.now();
    const stale = await options.abortIf?.();
    if (stale) throw stale;
    const { leaseId, key, record, enqueued } = await this.enqueue(taskId, mode, options.owner ?? this.ctx.config.owner);
    const queued = enqueued.responses[1]!.response_range.kvs;
    // Our key's own create_revision, not the Txn's revision: if etcd3 resent the Txn after a lost
    // answer, the put was applied twice and the key keeps the first revision, the fencing token.
    const createRevision = queued.find((kv) => kv.key.toString('utf8') === key)?.create_revision ?? enqueued.header.revision;
    let queue = parseEntries(queued, taskId);
    let seenAt = createRevision;
    let waited = false;
    try {
      for (;;) {
        const index = queue.findIndex((e) => e.key === key);
        if (index < 0) throw this.lostWhileWaiting(taskId);
        const blocker = nearestBlocker(queue, index);
        if (!blocker) break;
        const left = timeout - (Date.now() - started);
        if (left <= 0) {
          throw await this.timedOut(key, record, Date.now() - started, blocker.record);
        }
        waited = true;
        await this.waitForDeletion(blocker.key, BigInt(seenAt) + 1n, Math.min(left, RECHECK_MS));
        const stale = await options.abortIf?.();
        if (stale) {
          await this.deleteKey(key, createRevision);
          throw stale;
        }
        const res = await this.ctx.conn.range(prefixRange(this.ctx.keys.locksPrefix(taskId)));
        queue = parseEntries(res.kvs, taskId);
        seenAt = res.header.revision;
      }
    } catch (err) {
      if (!(err instanceof LockTimeoutError)) await this.deleteKey(key, createRevision).catch(() => {});
      throw err;
    }
    // Time spent behind other holders; an uncontended lock (one round trip) counts as no wait.
    const waitMs = waited ? Date.now() - started : 0;
    let heldRecord = record;
    if (waited) {
      // Holders show when they got the lock, not when they queued.
      const at = new Date();
      heldRecord = { ...record, acquired_at: at.toISOString(), expires_at: new Date(at.getTime() + this.ttlSeconds * 1000).toISOString() };
      await this.ctx.conn.txn({
        compare: [{ key: Buffer.from(key), target: 'Create', result: 'Equal', create_revision: createRevision }],
        success: [put(key, JSON.stringify(heldRecord), leaseId)],
        failure: [],
      });
    }
    const lock: EtcdLock = { taskId, record: heldRecord, key, createRevision, leaseId, grantedAt: Date.now(), waitMs };
    this.held.add(lock);
    this.logEvent(heldRecord, waitMs, 'acquired', { ts: new Date(lock.grantedAt).toISOString() });
    this.ctx.events.emit('state.lock_acquired', { task_id: taskId, mode, wait_ms: waitMs, owner: heldRecord.owner });
    return lock;
  }

  /** Queue a key and read the queue in one round trip (the range sees our own put). */
  private async enqueue(taskId: string, mode: LockMode, owner: string) {
    for (let attempt = 1; ; attempt++) {
      const leaseId = await this.lease.id();
      const token = `${BigInt(leaseId).toString(16)}-${(this.seq++).toString(36)}`;
      const key = `${this.ctx.keys.locksPrefix(taskId)}${token}`;
      const now = new Date();
      const record: LockRecord = {
        task_id: taskId,
        mode,
        token,
        pid: process.pid,
        host: HOST,
        start: null,
        owner,
        acquired_at: now.toISOString(),
        expires_at: new Date(now.getTime() + this.ttlSeconds * 1000).toISOString(),
      };
      try {
        const enqueued = await this.ctx.conn.txn({
          compare: [],
          success: [put(key, JSON.stringify(record), leaseId), { request_range: { ...prefixRange(this.ctx.keys.locksPrefix(taskId)) } }],
          failure: [],
        });
        return { leaseId, key, record, enqueued };
      } catch (err) {
        // The put may have been applied with its answer lost: never leave our key queued on a live lease.
        if (isUnreachable(err)) await this.deleteKey(key, null).catch(() => {});
        // Our lease expired while this process was stopped, before etcd3 noticed: take a new one.
        if (attempt > 1 || !/lease not found/i.test((err as Error).message)) throw err;
        await this.lease.expired(leaseId);
      }
    }
  }

  private lostWhileWaiting(taskId: string): LockTimeoutError {
    return new LockTimeoutError(`lost our place in the queue for the lock on ${taskId}: this process's lease ran out while it waited`, {
      task_id: taskId,
    });
  }

  private async timedOut(key: string, record: LockRecord, waitedMs: number, blocker: LockRecord): Promise<LockTimeoutError> {
    await this.deleteKey(key, null).catch(() => {});
    this.logEvent(record, waitedMs, 'timeout');
    const who = ` held by ${blocker.owner || 'unnamed'} (pid ${blocker.pid} on ${blocker.host}, ${blocker.mode})`;
    await appendAudit(
      this.ctx,
      auditEntry(
        this.ctx,
        'lock_timeout',
        `gave up on the ${record.mode} lock after ${waitedMs} ms (held by pid ${blocker.pid}, ${blocker.owner || 'unnamed'})`,
        { task_id: record.task_id },
      ),
    );
    this.ctx.events.emit('state.lock_timeout', { task_id: record.task_id, mode: record.mode, wait_ms: waitedMs });
    return new LockTimeoutError(`timed out after ${waitedMs} ms waiting for the ${record.mode} lock on ${record.task_id}${who}`, {
      task_id: record.task_id,
      mode: record.mode,
      waited_ms: waitedMs,
      holder: blocker,
    });
  }

  /** Resolves when `key` is deleted after `fromRevision`, or after `ms` (the caller re-reads the queue either way). */
  private async waitForDeletion(key: string, fromRevision: bigint, ms: number): Promise<void> {
    const etcd = await this.ctx.conn.etcd();
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const timer = setTimeout(finish, ms);
    const creating = etcd.watch().key(key).startRevision(String(fromRevision)).create();
    const watcher = await Promise.race([creating, sleep(ms).then(() => null)]).catch(() => null);
    if (!watcher) {
      // Could not start a watch in time (or at all): the caller re-reads; a late watch is cancelled.
      clearTimeout(timer);
      void creating.then((w) => w.cancel()).catch(() => {});
      return;
    }
    watcher.on('delete', finish).on('error', finish);
    await done;
    clearTimeout(timer);
    void watcher.cancel().catch(() => {});
  }

  /** Delete a lock key; with a revision, only if it is still that key (not a newer one of the same name). */
  private async deleteKey(key: string, createRevision: string | null): Promise<boolean> {
    const res = await this.ctx.conn.txn({
      compare:
        createRevision === null ? [] : [{ key: Buffer.from(key), target: 'Create', result: 'Equal', create_revision: createRevision }],
      success: [{ request_delete_range: { key: Buffer.from(key) } }],
      failure: [],
    });
    return res.succeeded && Number(res.responses[0]?.response_delete_range.deleted ?? 0) > 0;
  }

  async release(lock: EtcdLock): Promise<boolean> {
    this.held.delete(lock);
    const wasHeld = await this.deleteKey(lock.key, lock.createRevision);
    const releasedAt = Date.now();
    this.logEvent(lock.record, lock.waitMs, 'released', {
      ts: new Date(releasedAt).toISOString(),
      hold_ms: Math.max(0, releasedAt - lock.grantedAt),
      ...(wasHeld ? {} : { lost: true }),
    });
    this.ctx.events.emit('state.lock_released', { task_id: lock.taskId, mode: lock.record.mode });
    return wasHeld;
  }

  /** True while the lock's key is still ours; extends the process lease at once. */
  async refresh(lock: EtcdLock): Promise<boolean> {
    const res = await this.ctx.conn.range({ key: Buffer.from(lock.key) });
    const kv = res.kvs[0];
    const ours = kv !== undefined && kv.create_revision === lock.createRevision;
    if (ours) {
      await this.lease.keepAliveOnce();
    } else {
      this.held.delete(lock);
    }
    return ours;
  }

  /** One summary per task with a holder or a waiter. */
  async summaries(taskIds: string[]): Promise<TaskLocks[]> {
    const { kvs } = await this.ctx.conn.rangeMany(taskIds.map((id) => prefixRange(this.ctx.keys.locksPrefix(id))));
    const out: TaskLocks[] = [];
    taskIds.forEach((taskId, i) => {
      const queue = parseEntries(kvs[i] ?? [], taskId);
      if (queue.length === 0) return;
      const holders: HolderInfo[] = [];
      const waiters: LockWaiter[] = [];
      queue.forEach((e, index) => {
        if (nearestBlocker(queue, index) === null) {
          // A key exists only while its holder's lease is kept alive: a dead holder's key is already gone.
          holders.push({ ...e.record, alive: 'alive', expired: false, pending: false });
        } else {
          waiters.push({
            task_id: taskId,
            mode: e.record.mode,
            pid: e.record.pid,
            host: e.record.host,
            owner: e.record.owner,
            since: e.record.acquired_at,
          });
        }
      });
      const writerAt = holders.findIndex((h) => h.mode === 'write');
      out.push({
        task_id: taskId,
        writer: writerAt >= 0 ? holders[writerAt]! : null,
        readers: holders.filter((_, j) => j !== writerAt),
        waiters,
      });
    });
    return out;
  }

  /** Flush pending lock-log writes (the store then stops the lease: held locks expire with it). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.logWrites]);
    this.held.clear();
  }
}
