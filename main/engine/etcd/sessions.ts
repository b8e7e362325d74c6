// Sessions on etcd: one key each, changed by compare-and-set on its
// mod_revision (retried on a conflict), so no session lock is needed. A new
// session's id is `<date>-<NNN>`: the create compares create_revision == 0,
// and a writer that loses the race takes the next number.
//
// Liveness (as on files, session-marks.ts): a process that creates or
// updates a session (a commit linking a task to it included) puts a mark
// `<ns>/session-alive/<id>/<lease>` on its process lease, in the same Txn.
// The mark goes when the store closes, or with the lease when the process
// dies or is cut off, so every machine reads `alive: false` within the lease
// of a kill -9. Reads for callers add the derived `alive` (true while at
// least one mark is there); the session's own key never holds it.
import type { IKeyValue, IRequestOp, ITxnRequest, ITxnResponse } from 'etcd3';
import type { Session } from '../../../shared/model.ts';
import { computeSessionMetrics } from '../../../shared/metrics.ts';
import { CorruptStateError, InvalidInputError, LockstepError, NotFoundError } from '../errors.ts';
import { isPlainObject } from '../fsx.ts';
import { HOST } from '../identity.ts';
import { assertSessionId } from '../paths.ts';
import { MAX_TXN_OPS } from './connection.ts';
import { auditEntry, auditPut, put, type EtcdContext } from './context.ts';
import { prefixRange } from './keys.ts';
import type { ProcessLease } from './process-lease.ts';
import type { EtcdTasks } from './tasks.ts';
import {
  checkImportedSession,
  checkSession,
  checkSessionUpdate,
  mergeSessionUpdate,
  newSession,
  sessionImportVerdict,
  sessionUpdateDescription,
  withoutDerived,
} from '../session-rules.ts';

/** How often a process cut off from the cluster tries to put its liveness marks back. */
const MARK_RETRY_MS = 1000;

interface StoredSession {
  session: Session;
  modRevision: string;
  /** The revision the read saw: later reads pinned to it see the same moment. */
  revision: number;
}

export class EtcdSessions {
  private readonly ctx: EtcdContext;
  private readonly tasks: EtcdTasks;
  private readonly lease: ProcessLease;
  /** Sessions this process has marked: marked again on a new lease if the old one ran out while it was stopped. */
  private readonly marked = new Set<string>();

  constructor(ctx: EtcdContext, tasks: EtcdTasks, lease: ProcessLease) {
    this.ctx = ctx;
    this.tasks = tasks;
    this.lease = lease;
    lease.onLost(() => void this.markAgain());
  }

  /** The put of this process's liveness mark on session `id`, bound to lease `leaseId`. */
  private markPut(id: string, leaseId: string): IRequestOp {
    const mark = { pid: process.pid, host: HOST, owner: this.ctx.config.owner, since: new Date().toISOString() };
    return put(this.ctx.keys.sessionAlive(id, leaseId), JSON.stringify(mark), leaseId);
  }

  /** `txn` with this process's mark on session `id` added to its success ops; on a lease that ran out, once more on a new one. */
  private async txnMarking(id: string, txn: ITxnRequest): Promise<ITxnResponse> {
    for (let attempt = 1; ; attempt++) {
      const leaseId = await this.lease.id();
      try {
        const res = await this.ctx.conn.txn({ ...txn, success: [...(txn.success ?? []), this.markPut(id, leaseId)] });
        if (res.succeeded) this.marked.add(id);
        return res;
      } catch (err) {
        if (attempt > 1 || !/lease not found/i.test((err as Error).message)) throw err;
        await this.lease.expired(leaseId);
      }
    }
  }

  /**
   * This process stops working on its sessions (its store closes): its marks
   * go at once, as a file-backend session stops being alive when its process
   * exits. A process killed instead loses them with its lease.
   */
  async close(): Promise<void> {
    const leaseId = await this.lease.currentId();
    const ids = [...this.marked];
    this.marked.clear();
    if (leaseId === null) return;
    const deletes: IRequestOp[] = ids.map((id) => ({
      request_delete_range: { key: Buffer.from(this.ctx.keys.sessionAlive(id, leaseId)) },
    }));
    for (let i = 0; i < deletes.length; i += MAX_TXN_OPS) {
      await this.ctx.conn.txn({ compare: [], success: deletes.slice(i, i + MAX_TXN_OPS), failure: [] }).catch(() => {});
    }
  }

  /**
   * This process's lease ran out (it was stopped, or cut off from the
   * cluster) and it runs on: its sessions are alive again, on a new lease,
   * as soon as the cluster answers.
   */
  private async markAgain(): Promise<void> {
    if (this.marked.size === 0 || this.lease.closed) return;
    try {
      const leaseId = await this.lease.id();
      const puts = [...this.marked].map((id) => this.markPut(id, leaseId));
      for (let i = 0; i < puts.length; i += MAX_TXN_OPS) {
        await this.ctx.conn.txn({ compare: [], success: puts.slice(i, i + MAX_TXN_OPS), failure: [] });
      }
    } catch {
      // Still cut off: try again shortly (the timer does not keep the process running).
      setTimeout(() => void this.markAgain(), MARK_RETRY_MS).unref();
    }
  }

  private decode(kv: IKeyValue, id: string): Session {
    let parsed: unknown;
    try {
      parsed = JSON.parse(kv.value.toString('utf8'));
    } catch (err) {
      throw new CorruptStateError(`session ${id} (${this.ctx.keys.session(id)}): malformed JSON (${(err as Error).message})`, {
        path: this.ctx.keys.session(id),
      });
    }
    const session = checkSession(parsed, id);
    if (typeof session === 'string')
      throw new CorruptStateError(`session ${id} (${this.ctx.keys.session(id)}): ${session}`, { path: this.ctx.keys.session(id) });
    return session;
  }

  private async readStored(id: string): Promise<StoredSession> {
    assertSessionId(id);
    const res = await this.ctx.conn.range({ key: Buffer.from(this.ctx.keys.session(id)) });
    const kv = res.kvs[0];
    if (!kv) throw new NotFoundError(`session ${id} does not exist`, { session_id: id });
    return { session: this.decode(kv, id), modRevision: kv.mod_revision, revision: Number(res.header.revision) };
  }

  /** The session as stored, without live metrics. */
  async readFile(id: string): Promise<Session> {
    return (await this.readStored(id)).session;
  }

  /** The session as stored, with `alive`: both read in one round trip. */
  async readLive(id: string): Promise<Session> {
    assertSessionId(id);
    const { kvs } = await this.ctx.conn.rangeMany([
      { key: Buffer.from(this.ctx.keys.session(id)) },
      { ...prefixRange(this.ctx.keys.sessionAlivePrefix(id)), keys_only: true, limit: 1 },
    ]);
    const kv = kvs[0]?.[0];
    if (!kv) throw new NotFoundError(`session ${id} does not exist`, { session_id: id });
    return { ...this.decode(kv, id), alive: (kvs[1]?.length ?? 0) > 0 };
  }

  /** The session as stored, and the revision it was read at. */
  async readAt(id: string): Promise<{ session: Session; revision: number }> {
    const stored = await this.readStored(id);
    return { session: stored.session, revision: stored.revision };
  }

  async withMetrics(session: Session): Promise<Session> {
    const { states } = await this.tasks.listStates(session.task_ids);
    return { ...session, metrics: computeSessionMetrics(session.task_ids, (taskId) => states.get(taskId)?.status) };
  }

  async get(id: string): Promise<Session> {
    return this.withMetrics(await this.readLive(id));
  }

  async create(options: unknown = {}): Promise<Session> {
    if (!isPlainObject(options)) throw new InvalidInputError('session options must be a JSON object');
    const opts = this.tasks.checkPayload(options);
    const now = new Date().toISOString();
    const date = now.slice(0, 10);
    const taken = await this.ctx.conn.range({ ...prefixRange(`${this.ctx.keys.sessions}${date}-`), keys_only: true });
    let n = 1;
    for (const kv of taken.kvs) {
      const m = /-(\d{3,})$/.exec(kv.key.toString('utf8'));
      if (m) n = Math.max(n, Number(m[1]) + 1);
    }
    for (; ; n++) {
      const session = newSession(now, n, opts);
      const key = this.ctx.keys.session(session.id);
      const res = await this.txnMarking(session.id, {
        compare: [{ key: Buffer.from(key), target: 'Create', result: 'Equal', create_revision: 0 }],
        success: [
          put(key, JSON.stringify(session)),
          auditPut(this.ctx, auditEntry(this.ctx, 'session_created', `created session ${session.id}`, { session_id: session.id })),
        ],
        failure: [],
      });
      if (res.succeeded) {
        const created = { ...session, alive: true };
        this.ctx.events.emit('state.session_created', { session: created });
        return created;
      }
    }
  }

  async update(id: string, updates: unknown): Promise<Session> {
    assertSessionId(id);
    const payload = this.tasks.checkPayload(updates);
    checkSessionUpdate(payload);
    return this.mutate(id, (current) => mergeSessionUpdate(current, payload), sessionUpdateDescription(id, payload));
  }

  /** Add a task to a session's task_ids (no-op when already there). */
  async link(sessionId: string, taskId: string): Promise<void> {
    await this.mutate(
      sessionId,
      (current) => (current.task_ids.includes(taskId) ? null : { ...current, task_ids: [...current.task_ids, taskId] }),
      `linked task ${taskId} to session ${sessionId}`,
    );
  }

  /** Write a whole session back (checkpoint restore, migration); creates it when missing or unreadable. Marks nothing. */
  async replace(session: Session, description: string): Promise<Session> {
    assertSessionId(session.id);
    return this.mutate(session.id, () => withoutDerived(session) as Session, description, true);
  }

  /**
   * Read, change, compare-and-set; again on a conflict. `change` returning null
   * means nothing to write. Updates and links mark the session alive; a restore does not.
   */
  private async mutate(id: string, change: (current: Session) => Session | null, description: string, mayCreate = false): Promise<Session> {
    for (;;) {
      let current: Session;
      let modRevision = '0';
      try {
        const stored = await this.readStored(id);
        current = stored.session;
        modRevision = stored.modRevision;
      } catch (err) {
        if (!(mayCreate && (err instanceof NotFoundError || err instanceof CorruptStateError))) throw err;
        current = change({} as Session)!;
        if (err instanceof CorruptStateError) modRevision = await this.modRevisionOf(id);
      }
      const changed = change(current);
      if (changed === null) return this.withMetrics(current);
      const next = await this.withMetrics({ ...changed, id, updated_at: new Date().toISOString() });
      const key = this.ctx.keys.session(id);
      const txn: ITxnRequest = {
        compare: [{ key: Buffer.from(key), target: 'Mod', result: 'Equal', mod_revision: modRevision }],
        success: [
          put(key, JSON.stringify(next)),
          auditPut(this.ctx, auditEntry(this.ctx, 'session_updated', description, { session_id: id })),
        ],
        failure: [],
      };
      const res = mayCreate ? await this.ctx.conn.txn(txn) : await this.txnMarking(id, txn);
      if (res.succeeded) {
        const written = mayCreate ? next : { ...next, alive: true };
        this.ctx.events.emit('state.session_updated', { session: written });
        return written;
      }
    }
  }

  private async modRevisionOf(id: string): Promise<string> {
    const res = await this.ctx.conn.range({ key: Buffer.from(this.ctx.keys.session(id)), keys_only: true });
    return res.kvs[0]?.mod_revision ?? '0';
  }

  /** The ids of sessions with at least one liveness mark, among `marks` (keys under session-alive/). */
  private aliveIds(marks: IKeyValue[]): Set<string> {
    const prefix = this.ctx.keys.sessionsAlive;
    return new Set(marks.map((kv) => kv.key.toString('utf8').slice(prefix.length).split('/')[0]!));
  }

  /** All readable sessions with `alive`, sorted by id; unreadable ones are skipped here and reported by verify. */
  async list(liveMetrics = true): Promise<Session[]> {
    const { kvs } = await this.ctx.conn.rangeMany([
      prefixRange(this.ctx.keys.sessions),
      { ...prefixRange(this.ctx.keys.sessionsAlive), keys_only: true },
    ]);
    const alive = this.aliveIds(kvs[1] ?? []);
    const out: Session[] = [];
    for (const kv of kvs[0] ?? []) {
      const id = kv.key.toString('utf8').slice(this.ctx.keys.sessions.length);
      try {
        out.push({ ...this.decode(kv, assertSessionId(id)), alive: alive.has(id) });
      } catch (err) {
        if (!(err instanceof LockstepError)) throw err;
      }
    }
    out.sort((a, b) => a.id.localeCompare(b.id));
    if (!liveMetrics) return out;
    // One pinned read of every linked task for all sessions at once.
    const ids = [...new Set(out.flatMap((s) => s.task_ids))];
    const { states } = await this.tasks.listStates(ids);
    return out.map((s) => ({ ...s, metrics: computeSessionMetrics(s.task_ids, (taskId) => states.get(taskId)?.status) }));
  }

  async active(): Promise<Session[]> {
    return (await this.list()).filter((s) => s.status === 'active').sort((a, b) => b.updated_at.localeCompare(a.updated_at));
  }

  /** Sessions whose stored value cannot be read, for verify. */
  async corrupt(): Promise<{ key: string; message: string }[]> {
    const res = await this.ctx.conn.range(prefixRange(this.ctx.keys.sessions));
    const out: { key: string; message: string }[] = [];
    for (const kv of res.kvs) {
      const key = kv.key.toString('utf8');
      try {
        this.decode(kv, key.slice(this.ctx.keys.sessions.length));
      } catch (err) {
        out.push({ key, message: (err as Error).message });
      }
    }
    return out;
  }

  /**
   * A session as it is (as on files): 'same' when an identical one is there,
   * an older copy (earlier updated_at) is replaced, a newer or different one refused.
   */
  async import(given: Session): Promise<'written' | 'same'> {
    const id = checkImportedSession(given);
    const key = this.ctx.keys.session(id);
    const res = await this.ctx.conn.range({ key: Buffer.from(key) });
    const kv = res.kvs[0];
    let modRevision = '0';
    if (kv) {
      if (sessionImportVerdict(this.decode(kv, id), given) === 'same') return 'same';
      modRevision = kv.mod_revision;
    }
    const written = await this.ctx.conn.txn({
      compare: [{ key: Buffer.from(key), target: 'Mod', result: 'Equal', mod_revision: modRevision }],
      success: [
        put(key, JSON.stringify(withoutDerived(given))),
        auditPut(this.ctx, auditEntry(this.ctx, 'migrated', `imported session ${id}`, { session_id: id })),
      ],
      failure: [],
    });
    return written.succeeded ? 'written' : this.import(given);
  }
}
