// Sessions on etcd: one key each, changed by compare-and-set on its
// mod_revision (retried on a conflict), so no session lock is needed. A new
// session's id is `<date>-<NNN>`: the create compares create_revision == 0,
// and a writer that loses the race takes the next number.
import type { IKeyValue } from 'etcd3';
import type { Session } from '../../../shared/model.ts';
import { computeSessionMetrics } from '../../../shared/metrics.ts';
import { CorruptStateError, InvalidInputError, LockstepError, NotFoundError, VersionConflictError } from '../errors.ts';
import { canonicalJson } from '../file-import.ts';
import { isPlainObject } from '../fsx.ts';
import { assertSessionId } from '../paths.ts';
import { auditEntry, auditPut, put, type EtcdContext } from './context.ts';
import { prefixRange } from './keys.ts';
import type { EtcdTasks } from './tasks.ts';
import { checkSession, checkSessionUpdate, mergeSessionUpdate, newSession, sessionUpdateDescription } from '../session-rules.ts';

interface StoredSession {
  session: Session;
  modRevision: string;
  /** The revision the read saw: later reads pinned to it see the same moment. */
  revision: number;
}

export class EtcdSessions {
  private readonly ctx: EtcdContext;
  private readonly tasks: EtcdTasks;

  constructor(ctx: EtcdContext, tasks: EtcdTasks) {
    this.ctx = ctx;
    this.tasks = tasks;
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
    return this.withMetrics(await this.readFile(id));
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
      const res = await this.ctx.conn.txn({
        compare: [{ key: Buffer.from(key), target: 'Create', result: 'Equal', create_revision: 0 }],
        success: [
          put(key, JSON.stringify(session)),
          auditPut(this.ctx, auditEntry(this.ctx, 'session_created', `created session ${session.id}`, { session_id: session.id })),
        ],
        failure: [],
      });
      if (res.succeeded) {
        this.ctx.events.emit('state.session_created', { session });
        return session;
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

  /** Write a whole session back (checkpoint restore, migration); creates it when missing or unreadable. */
  async replace(session: Session, description: string): Promise<Session> {
    assertSessionId(session.id);
    return this.mutate(session.id, () => ({ ...session }), description, true);
  }

  /** Read, change, compare-and-set; again on a conflict. `change` returning null means nothing to write. */
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
      const res = await this.ctx.conn.txn({
        compare: [{ key: Buffer.from(key), target: 'Mod', result: 'Equal', mod_revision: modRevision }],
        success: [
          put(key, JSON.stringify(next)),
          auditPut(this.ctx, auditEntry(this.ctx, 'session_updated', description, { session_id: id })),
        ],
        failure: [],
      });
      if (res.succeeded) {
        this.ctx.events.emit('state.session_updated', { session: next });
        return next;
      }
    }
  }

  private async modRevisionOf(id: string): Promise<string> {
    const res = await this.ctx.conn.range({ key: Buffer.from(this.ctx.keys.session(id)), keys_only: true });
    return res.kvs[0]?.mod_revision ?? '0';
  }

  /** All readable sessions, sorted by id; unreadable ones are skipped here and reported by verify. */
  async list(liveMetrics = true): Promise<Session[]> {
    const res = await this.ctx.conn.range(prefixRange(this.ctx.keys.sessions));
    const out: Session[] = [];
    for (const kv of res.kvs) {
      const id = kv.key.toString('utf8').slice(this.ctx.keys.sessions.length);
      try {
        out.push(this.decode(kv, assertSessionId(id)));
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
    if (!isPlainObject(given)) throw new InvalidInputError('a session to import must be a JSON object');
    const id = assertSessionId(given.id);
    if (typeof given.status !== 'string' || typeof given.started_at !== 'string' || !Array.isArray(given.task_ids)) {
      throw new InvalidInputError(`session ${id}: a session to import needs status, started_at and task_ids`, { session_id: id });
    }
    const key = this.ctx.keys.session(id);
    const res = await this.ctx.conn.range({ key: Buffer.from(key) });
    const kv = res.kvs[0];
    let modRevision = '0';
    if (kv) {
      const existing = this.decode(kv, id);
      if (sessionKey(existing) === sessionKey(given)) return 'same';
      if (!(existing.updated_at < given.updated_at)) {
        throw new VersionConflictError(
          `session ${id}: the target holds a different session, updated at ${existing.updated_at}; nothing was imported`,
          null,
          null,
          { session_id: id },
        );
      }
      modRevision = kv.mod_revision;
    }
    const written = await this.ctx.conn.txn({
      compare: [{ key: Buffer.from(key), target: 'Mod', result: 'Equal', mod_revision: modRevision }],
      success: [
        put(key, JSON.stringify(given)),
        auditPut(this.ctx, auditEntry(this.ctx, 'migrated', `imported session ${id}`, { session_id: id })),
      ],
      failure: [],
    });
    return written.succeeded ? 'written' : this.import(given);
  }
}

/** A session as compared between stores: its metrics are derived, never stored truth. */
function sessionKey(session: Session): string {
  const { metrics: _metrics, ...rest } = session;
  return canonicalJson({
    ...rest,
    updated_at: rest.updated_at ?? rest.started_at,
    options: isPlainObject(rest.options) ? rest.options : {},
  });
}
