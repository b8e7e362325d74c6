// Task versions on etcd. A commit is ONE Txn:
//
//   if   state.mod_revision == the revision we based the change on
//        and (under a lock) our lock key's create_revision is unchanged (fencing)
//        or  (without a lock) no lock key exists for the task
//   then put state, put history/<N>, delete history older than max_history, put the audit entry
//   else return the current state (and the lock keys) in the same round trip
//
// so a conflicting writer learns the current state without another read, and
// a process that commits one task repeatedly needs one round trip per commit
// (it remembers the last state it saw). A writer that finds locks queued goes
// through the lock queue like everyone else, so an explicit lock holder is
// never overtaken.
//
// Ambiguous commits: after a time-out or a lost connection the client may
// resend a Txn that was applied already; the resent copy then fails its
// compare on our own write. Every version carries the operation id of the
// commit that wrote it, so the writer recognises its own commit (in the
// state, or in history/<N> once others committed after it) instead of
// reporting a conflict or committing twice.
import type { ICompare, IKeyValue, IRequestOp } from 'etcd3';
import type { FieldChanges, IntegrityIssue, JsonObject, TaskState } from '../../../shared/model.ts';
import { ENGINE_TASK_FIELDS } from '../../../shared/model.ts';
import { diffFields } from '../../../shared/diff.ts';
import type { TaskInspection } from '../backend.ts';
import { CorruptStateError, InvalidInputError, NotFoundError, VersionConflictError } from '../errors.ts';
import { lostLockError } from '../fenced-write.ts';
import { canonicalJson } from '../canonical-json.ts';
import { assertTargetIsPrefix } from '../file-import.ts';
import { assertTaskId } from '../paths.ts';
import { checkTaskValue } from '../task-files.ts';
import {
  assertExpectedVersion,
  checkUpdatePayload,
  commitAuditDetails,
  nextVersion,
  restoreSpec,
  updateSpec,
  versionConflict,
  type CommitSpec,
} from '../task-rules.ts';
import { decodeVersion, encodeVersion, historyVersionOf, type StoredVersion } from './codec.ts';
import { isUnreachable } from './connection.ts';
import { auditEntry, auditPut, get, newOpId, put, type EtcdContext } from './context.ts';
import { prefixRange } from './keys.ts';
import type { EtcdLock, EtcdLocks } from './locks.ts';

/**
 * Largest stored state. A commit sends the state twice (state and
 * history/<N>) in one request, and etcd refuses requests over 1.5 MiB
 * (`--max-request-bytes`), so each copy must stay under ~700 KiB.
 */
export const ETCD_MAX_STATE_BYTES = 700 * 1024;

export interface CommitOptions {
  expectedVersion?: number;
  owner?: string;
  timeout?: number;
  lock?: EtcdLock;
}

export type { CommitSpec } from '../task-rules.ts';

export type TaskRead =
  | { kind: 'ok'; stored: StoredVersion; bytes: number }
  | { kind: 'missing' }
  | { kind: 'damaged'; reason: string; modRevision: string; best: TaskState | null; newestVersion: number };

/** A Txn one commit call sent: what it wrote, and what to report if it turns out to have landed. */
interface SentCommit {
  op: string;
  version: number;
  previous: TaskState | null;
  changes: FieldChanges;
}

/** Attempts of one commit: conflicts with other writers, plus ambiguous sends that did not land. */
const MAX_ATTEMPTS = 50;
/** Conflicts after which an update without an expected version stops racing and queues for the write lock. */
const QUEUE_AFTER_CONFLICTS = 3;

export class EtcdTasks {
  private readonly ctx: EtcdContext;
  private readonly locks: EtcdLocks;
  /** The last state this process saw of each task: a commit compares against it instead of reading first. */
  private readonly known = new Map<string, StoredVersion>();

  constructor(ctx: EtcdContext, locks: EtcdLocks) {
    this.ctx = ctx;
    this.locks = locks;
  }

  get maxStateBytes(): number {
    return Math.min(this.ctx.config.max_state_bytes, ETCD_MAX_STATE_BYTES);
  }

  /** Validates an update payload before anything is sent. */
  checkPayload(updates: unknown): JsonObject {
    return checkUpdatePayload(updates, this.maxStateBytes, this.limitNote()).updates;
  }

  private limitNote(): string {
    return this.maxStateBytes < this.ctx.config.max_state_bytes
      ? ' (an etcd-backed store: etcd refuses requests over 1.5 MiB, and a commit sends the state twice)'
      : ' (max_state_bytes)';
  }

  // ---- reads ------------------------------------------------------------------

  /** The current version, or what is left of a damaged one (its newest valid history). */
  async read(id: string, revision?: number): Promise<TaskRead> {
    const { kvs } = await this.ctx.conn.rangeMany([{ key: Buffer.from(this.ctx.keys.state(id)) }], revision);
    return this.interpret(id, kvs[0]?.[0], revision);
  }

  private async interpret(id: string, kv: IKeyValue | undefined, revision?: number): Promise<TaskRead> {
    if (kv) {
      const decoded = decodeVersion(kv, id);
      if (decoded.ok) {
        this.remember(id, decoded.value);
        return { kind: 'ok', stored: decoded.value, bytes: kv.value.length };
      }
      const { best, newest } = await this.newestValidHistory(id, revision);
      return { kind: 'damaged', reason: `state: ${decoded.reason}`, modRevision: kv.mod_revision, best, newestVersion: newest };
    }
    const { best, newest } = await this.newestValidHistory(id, revision);
    // History without a state key: only a hand-made change does that.
    if (best || newest > 0) return { kind: 'damaged', reason: 'state key missing', modRevision: '0', best, newestVersion: newest };
    return { kind: 'missing' };
  }

  private remember(id: string, stored: StoredVersion): void {
    const prev = this.known.get(id);
    if (!prev || BigInt(stored.modRevision) >= BigInt(prev.modRevision)) this.known.set(id, stored);
  }

  private async historyKvs(
    id: string,
    options: { limit?: number; descending?: boolean; revision?: number } = {},
  ): Promise<{ kvs: IKeyValue[]; count: number }> {
    const res = await this.ctx.conn.range({
      ...prefixRange(this.ctx.keys.historyPrefix(id)),
      sort_target: 'Key',
      sort_order: options.descending ? 'Descend' : 'Ascend',
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
      ...(options.revision !== undefined ? { revision: options.revision } : {}),
    });
    return { kvs: res.kvs, count: res.count };
  }

  private async newestValidHistory(id: string, revision?: number): Promise<{ best: TaskState | null; newest: number }> {
    const { kvs } = await this.historyKvs(id, { descending: true, revision });
    let newest = 0;
    for (const kv of kvs) {
      const v = historyVersionOf(kv.key.toString('utf8'));
      newest = Math.max(newest, v);
      const decoded = decodeVersion(kv, id, v);
      if (decoded.ok) return { best: decoded.value.state, newest };
    }
    return { best: null, newest };
  }

  async get(id: string): Promise<TaskState | null> {
    assertTaskId(id);
    const read = await this.read(id);
    if (read.kind === 'ok') return read.stored.state;
    if (read.kind === 'missing') return null;
    return (await this.recover(id)).state;
  }

  async inspect(id: string): Promise<TaskInspection> {
    assertTaskId(id);
    const read = await this.read(id);
    if (read.kind === 'ok') return { state: read.stored.state, bytes: read.bytes, damage: null };
    if (read.kind === 'missing') return { state: null, bytes: 0, damage: null };
    return { state: read.best, bytes: 0, damage: this.damageIssue(id, read) };
  }

  private damageIssue(id: string, read: Extract<TaskRead, { kind: 'damaged' }>): IntegrityIssue {
    return {
      kind: read.reason === 'state key missing' ? 'missing_state' : 'corrupt_state',
      task_id: id,
      path: this.ctx.keys.state(id),
      message: read.best
        ? `${read.reason}; version ${read.best.version} in history is valid`
        : `${read.reason}; no valid version in history`,
      recoverable: read.best !== null,
    };
  }

  /** Task ids with a state key, sorted (keys only: values are not transferred). */
  async listIds(revision?: number): Promise<string[]> {
    const res = await this.ctx.conn.range({ ...prefixRange(this.ctx.keys.tasks), keys_only: true, ...(revision ? { revision } : {}) });
    const ids = new Set<string>();
    const prefix = this.ctx.keys.tasks;
    for (const kv of res.kvs) {
      const rest = kv.key.toString('utf8').slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash > 0 && rest.slice(slash) === '/state') ids.add(rest.slice(0, slash));
    }
    return [...ids].sort();
  }

  /** Every task's current state, all read at one revision; damaged ones as they would be recovered. */
  async listStates(ids?: string[], revision?: number): Promise<{ states: Map<string, TaskState>; revision: number }> {
    const rev = revision ?? (await this.ctx.conn.revision());
    const list = ids ?? (await this.listIds(rev));
    const { kvs } = await this.ctx.conn.rangeMany(
      list.map((id) => ({ key: Buffer.from(this.ctx.keys.state(id)) })),
      rev,
    );
    const states = new Map<string, TaskState>();
    for (const [i, id] of list.entries()) {
      const read = await this.interpret(id, kvs[i]?.[0], rev);
      if (read.kind === 'ok') states.set(id, read.stored.state);
      else if (read.kind === 'damaged' && read.best) states.set(id, read.best);
    }
    return { states, revision: rev };
  }

  async historyPage(id: string, limit: number): Promise<{ versions: TaskState[]; omitted: number }> {
    assertTaskId(id);
    const window = this.ctx.config.max_history + 1;
    const take = Math.min(window, Number.isFinite(limit) ? Math.max(0, limit) : window);
    const { kvs, count } = await this.historyKvs(id, { descending: true, limit: take });
    const newest = kvs[0] ? historyVersionOf(kvs[0].key.toString('utf8')) : 0;
    const out: TaskState[] = [];
    for (const kv of kvs) {
      const v = historyVersionOf(kv.key.toString('utf8'));
      if (v < newest - this.ctx.config.max_history) continue;
      const decoded = decodeVersion(kv, id, v);
      if (decoded.ok) out.push(decoded.value.state);
    }
    return { versions: out, omitted: Math.max(0, Math.min(count, window) - take) };
  }

  // ---- commits -----------------------------------------------------------------

  /** Version numbers only grow: an expected version behind the current one can never succeed. */
  async staleVersionError(id: string, expected: number): Promise<VersionConflictError | null> {
    const read = await this.read(id);
    const current = read.kind === 'ok' ? read.stored.state.version : read.kind === 'damaged' ? read.newestVersion : 0;
    return current > expected ? versionConflict(id, expected, current) : null;
  }

  commit(id: string, spec: CommitSpec, options: CommitOptions = {}): Promise<TaskState> {
    return this.commitSending(id, spec, options, []);
  }

  /** `sent`: this commit's Txns that got no answer: each may still land later (a dying leader's log entry). */
  private async commitSending(id: string, spec: CommitSpec, options: CommitOptions, sent: SentCommit[]): Promise<TaskState> {
    assertTaskId(id);
    const expected = options.expectedVersion;
    assertExpectedVersion(expected);
    const lock = options.lock;
    if (lock && (lock.record.mode !== 'write' || lock.taskId !== id)) {
      throw new InvalidInputError(`the lock passed is a ${lock.record.mode} lock on ${lock.taskId}, not a write lock on ${id}`);
    }
    const owner = options.owner ?? this.ctx.config.owner;
    // The base: what we last saw (from this process), else "absent" — a failed compare returns the truth.
    let base: StoredVersion | null = this.known.get(id) ?? null;
    let fresh = false;
    for (let attempt = 1; ; attempt++) {
      const currentVersion = base?.state.version ?? 0;
      if (expected !== undefined && currentVersion !== expected) {
        // What we remember can be behind, never ahead: versions only grow.
        if (fresh || currentVersion > expected) throw versionConflict(id, expected, currentVersion);
        base = await this.freshBase(id);
        fresh = true;
        continue;
      }
      const previous = base?.state ?? null;
      const { next, op, value, changes, entry } = this.prepareVersion(id, previous, currentVersion, spec, owner);
      sent.push({ op, version: next.version, previous, changes });
      let outcome: Outcome;
      try {
        outcome = await this.sendCommit(id, base, next, value, op, entry, lock, sent);
      } catch (err) {
        if (!isUnreachable(err) || attempt >= 3) throw err;
        // The Txn may or may not have been applied (now, or later from a dying leader's log): before
        // trying again, look for the operation id of each Txn sent so far in what the cluster holds now.
        base = await this.freshBase(id);
        fresh = true;
        const landed = await this.landedEarlier(id, base, sent);
        if (landed) return this.committed(id, landed.sent.previous, landed.stored, landed.sent.changes);
        continue;
      }
      if (outcome.kind === 'committed') return this.committed(id, previous, outcome.stored, changes);
      if (outcome.kind === 'landed') return this.committed(id, outcome.sent.previous, outcome.stored, outcome.sent.changes);
      // Answered: this Txn failed its compare (and was not one of ours landing), so it can never land.
      // Only Txns that got no answer stay in `sent`, and a plain conflict costs no extra read.
      sent.pop();
      if (outcome.kind === 'lost-lock') throw lostLockError(`task ${id}`, expected ?? null, { task_id: id });
      if (outcome.kind === 'locked') return this.commitThroughQueue(id, spec, options, owner, sent);
      // A plain update that keeps losing the race joins the FIFO lock queue: retrying alone, a
      // writer can lose to the others round after round (4 processes on one task starved one
      // of them past 50 tries); queued, it gets its turn, and the others follow it into the queue.
      if (expected === undefined && !lock && attempt >= QUEUE_AFTER_CONFLICTS)
        return this.commitThroughQueue(id, spec, options, owner, sent);
      if (attempt >= MAX_ATTEMPTS)
        throw new VersionConflictError(
          `task ${id}: gave up after ${attempt} conflicting commits`,
          expected ?? null,
          outcome.current?.state.version ?? 0,
          { task_id: id },
        );
      base = outcome.current;
      fresh = true;
    }
  }

  private async freshBase(id: string): Promise<StoredVersion | null> {
    const read = await this.read(id);
    if (read.kind === 'ok') return read.stored;
    if (read.kind === 'missing') return null;
    if (!read.best) throw new CorruptStateError(`task ${id}: ${read.reason}, and no valid version exists in history`, { task_id: id });
    // A damaged state: the next version builds on the newest valid one, numbered above every version seen.
    return { state: { ...read.best, version: Math.max(read.best.version, read.newestVersion) }, op: '', modRevision: read.modRevision };
  }

  /** Queued writers exist: take the write lock like they did, then commit under it. */
  private async commitThroughQueue(
    id: string,
    spec: CommitSpec,
    options: CommitOptions,
    owner: string,
    sent: SentCommit[],
  ): Promise<TaskState> {
    const expected = options.expectedVersion;
    const lock = await this.locks.acquire(id, 'write', {
      timeout: options.timeout,
      owner,
      abortIf: expected === undefined ? undefined : () => this.staleVersionError(id, expected),
    });
    try {
      this.known.delete(id); // the queue was there for a reason: start from the truth
      return await this.commitSending(id, spec, { ...options, lock }, sent);
    } finally {
      await this.locks.release(lock).catch(() => {});
    }
  }

  private async sendCommit(
    id: string,
    base: StoredVersion | null,
    next: TaskState,
    value: string,
    op: string,
    entry: ReturnType<typeof auditEntry>,
    lock: EtcdLock | undefined,
    /** This commit's unanswered Txns, this one last: a failed compare may be on one of our own that landed. */
    sent: readonly SentCommit[],
  ): Promise<Outcome> {
    const keys = this.ctx.keys;
    const stateKey = Buffer.from(keys.state(id));
    const locks = prefixRange(keys.locksPrefix(id));
    const oldestKept = next.version - this.ctx.config.max_history;
    const success: IRequestOp[] = [put(keys.state(id), value), put(keys.history(id, next.version), value)];
    if (oldestKept > 1)
      success.push({
        request_delete_range: { key: Buffer.from(keys.history(id, 0)), range_end: Buffer.from(keys.history(id, oldestKept)) },
      });
    success.push(auditPut(this.ctx, entry, op));
    const res = await this.ctx.conn.txn({
      compare: [
        { key: stateKey, target: 'Mod', result: 'Equal', mod_revision: base?.modRevision ?? '0' },
        lock
          ? { key: Buffer.from(lock.key), target: 'Create', result: 'Equal', create_revision: lock.createRevision }
          : { ...locks, target: 'Version', result: 'Equal', version: 0 }, // no holder, no waiter
      ],
      success,
      failure: [get(keys.state(id)), lock ? get(lock.key) : { request_range: { ...locks, count_only: true } }],
    });
    if (res.succeeded) return { kind: 'committed', stored: { state: next, op, modRevision: res.header.revision } };
    const kv = res.responses[0]!.response_range.kvs[0];
    const decoded = kv ? decodeVersion(kv, id) : null;
    const current = decoded?.ok ? decoded.value : null;
    // A resend of one of our own applied commits fails its compare on our own write.
    const landed = await this.landedEarlier(id, current, sent);
    if (landed) return { kind: 'landed', ...landed };
    const stateMoved = (kv?.mod_revision ?? '0') !== (base?.modRevision ?? '0');
    if (lock) {
      const lockKv = res.responses[1]!.response_range.kvs[0];
      if (!lockKv || lockKv.create_revision !== lock.createRevision) return { kind: 'lost-lock' };
    } else if (!stateMoved && Number(res.responses[1]!.response_range.count) > 0) {
      return { kind: 'locked' };
    }
    if (kv && !decoded?.ok) return { kind: 'conflict', current: await this.freshBase(id) };
    if (current) this.remember(id, current);
    else this.known.delete(id);
    return { kind: 'conflict', current };
  }

  /**
   * Which of our earlier sends `base` shows landed: the state is one of them, or
   * it has moved past one whose history/<version> carries its operation id.
   */
  private async landedEarlier(
    id: string,
    base: StoredVersion | null,
    sent: readonly SentCommit[],
  ): Promise<{ stored: StoredVersion; sent: SentCommit } | null> {
    if (!base) return null;
    for (const s of sent) if (base.op === s.op && base.state.version === s.version) return { stored: base, sent: s };
    for (const s of sent) {
      if (base.state.version <= s.version) continue;
      const own = await this.findOwnCommit(id, s.op, s.version);
      if (own) return { stored: own, sent: s };
    }
    return null;
  }

  /** Our commit, if it landed: the state or history/<version> carries our operation id. */
  private async findOwnCommit(id: string, op: string, version: number): Promise<StoredVersion | null> {
    const { kvs } = await this.ctx.conn.rangeMany([
      { key: Buffer.from(this.ctx.keys.history(id, version)) },
      { key: Buffer.from(this.ctx.keys.state(id)) },
    ]);
    for (const list of kvs) {
      const kv = list[0];
      const decoded = kv ? decodeVersion(kv, id) : null;
      if (decoded?.ok && decoded.value.op === op && decoded.value.state.version === version) return decoded.value;
    }
    return null;
  }

  /** The next version of a task, encoded with a new operation id, with its changes and audit entry. */
  private prepareVersion(id: string, previous: TaskState | null, currentVersion: number, spec: CommitSpec, owner: string) {
    const next = nextVersion(id, spec.next(previous), currentVersion, owner);
    const op = newOpId();
    const value = encodeVersion(next, op);
    const bytes = Buffer.byteLength(value);
    if (bytes > this.maxStateBytes) {
      throw new InvalidInputError(
        `task ${id}: the new state would be ${bytes} bytes; the limit is ${this.maxStateBytes}${this.limitNote()}`,
        { task_id: id },
      );
    }
    const changes = diffFields(previous, next, ENGINE_TASK_FIELDS);
    const entry = auditEntry(
      this.ctx,
      spec.changeType,
      spec.describe(previous, next, changes),
      commitAuditDetails(id, previous, next),
      owner,
    );
    return { next, op, value, changes, entry };
  }

  committed(id: string, previous: TaskState | null, stored: StoredVersion, changes: FieldChanges): TaskState {
    this.remember(id, stored);
    const next = stored.state;
    this.ctx.events.emit('state.task_updated', {
      task_id: id,
      previous_version: previous?.version ?? null,
      new_version: next.version,
      changes,
      state: next,
    });
    return next;
  }

  /** Reads of several tasks at one revision (a checkpoint's snapshot, a restore's compare base). */
  async readMany(ids: string[], revision?: number): Promise<{ reads: Map<string, TaskRead>; revision: number }> {
    const { kvs, revision: rev } = await this.ctx.conn.rangeMany(
      ids.map((id) => ({ key: Buffer.from(this.ctx.keys.state(id)) })),
      revision,
    );
    const reads = new Map<string, TaskRead>();
    for (const [i, id] of ids.entries()) reads.set(id, await this.interpret(id, kvs[i]?.[0], rev));
    return { reads, revision: rev };
  }

  /**
   * The compares and operations that write `content` as the next version of
   * a task, for a Txn that writes several tasks at once (a checkpoint
   * restore): each task is compared against what was read, and fenced by its lock.
   */
  restoreOps(
    id: string,
    read: TaskRead,
    content: JsonObject,
    what: string,
    lock: EtcdLock,
    owner: string,
  ): {
    compare: ICompare[];
    success: IRequestOp[];
    previous: TaskState | null;
    stored: StoredVersion;
    changes: FieldChanges;
  } {
    const previous = read.kind === 'ok' ? read.stored.state : read.kind === 'damaged' ? read.best : null;
    const currentVersion = read.kind === 'ok' ? read.stored.state.version : read.kind === 'damaged' ? read.newestVersion : 0;
    const { next, op, value, changes, entry } = this.prepareVersion(id, previous, currentVersion, restoreSpec(content, what), owner);
    const keys = this.ctx.keys;
    const oldestKept = next.version - this.ctx.config.max_history;
    const modRevision = read.kind === 'ok' ? read.stored.modRevision : read.kind === 'damaged' ? read.modRevision : '0';
    return {
      compare: [
        { key: Buffer.from(keys.state(id)), target: 'Mod', result: 'Equal', mod_revision: modRevision },
        { key: Buffer.from(lock.key), target: 'Create', result: 'Equal', create_revision: lock.createRevision },
      ],
      success: [
        put(keys.state(id), value),
        put(keys.history(id, next.version), value),
        ...(oldestKept > 1
          ? [{ request_delete_range: { key: Buffer.from(keys.history(id, 0)), range_end: Buffer.from(keys.history(id, oldestKept)) } }]
          : []),
        auditPut(this.ctx, entry, op),
      ],
      previous,
      stored: { state: next, op, modRevision: '0' },
      changes,
    };
  }

  update(id: string, updates: unknown, options: CommitOptions & { session?: string }): Promise<TaskState> {
    assertTaskId(id);
    const payload = this.checkPayload(updates);
    if (options.session !== undefined) payload.session_id = options.session;
    return this.commit(id, updateSpec(id, payload), options);
  }

  restoreContent(id: string, content: JsonObject, what: string, options: CommitOptions = {}): Promise<TaskState> {
    return this.commit(id, restoreSpec(content, what), options);
  }

  async restoreVersion(id: string, version: number, options: CommitOptions = {}): Promise<TaskState> {
    assertTaskId(id);
    if (!Number.isInteger(version) || version < 1)
      throw new InvalidInputError(`version must be a positive integer, got ${JSON.stringify(version)}`);
    const { kvs } = await this.ctx.conn.rangeMany([{ key: Buffer.from(this.ctx.keys.history(id, version)) }]);
    const kv = kvs[0]?.[0];
    if (!kv) throw new NotFoundError(`task ${id} has no version ${version} in history`);
    const decoded = decodeVersion(kv, id, version);
    if (!decoded.ok) throw new CorruptStateError(`task ${id} version ${version}: ${decoded.reason}`);
    return this.restoreContent(id, decoded.value.state, `version ${version}`, options);
  }

  /** Put the newest valid version back as the state when the state key is damaged or missing. */
  async recover(id: string): Promise<{ state: TaskState; recovered: boolean }> {
    assertTaskId(id);
    const read = await this.read(id);
    if (read.kind === 'missing') throw new NotFoundError(`task ${id} does not exist`);
    if (read.kind === 'ok') return { state: read.stored.state, recovered: false };
    if (!read.best) throw new CorruptStateError(`task ${id}: ${read.reason}, and no valid version exists in history`, { task_id: id });
    // Versions never go backwards: content newer than the best valid one was lost, so it comes back numbered above them.
    const lost = read.newestVersion > read.best.version;
    const restored: TaskState = lost ? { ...read.best, version: read.newestVersion + 1, updated_at: new Date().toISOString() } : read.best;
    const op = newOpId();
    const value = encodeVersion(restored, op);
    const what = lost ? `the content of version ${read.best.version} as version ${restored.version}` : `version ${restored.version}`;
    const entry = auditEntry(this.ctx, 'task_recovered', `recovered ${what} from history: ${read.reason}`, {
      task_id: id,
      old_version: null,
      new_version: restored.version,
    });
    const res = await this.ctx.conn.txn({
      compare: [{ key: Buffer.from(this.ctx.keys.state(id)), target: 'Mod', result: 'Equal', mod_revision: read.modRevision }],
      success: [
        put(this.ctx.keys.state(id), value),
        ...(lost ? [put(this.ctx.keys.history(id, restored.version), value)] : []),
        auditPut(this.ctx, entry, op),
      ],
      failure: [],
    });
    if (!res.succeeded) return this.recover(id); // someone else repaired or committed meanwhile: look again
    this.remember(id, { state: restored, op, modRevision: res.header.revision });
    this.ctx.events.emit('state.task_recovered', { task_id: id, version: restored.version, reason: read.reason });
    return { state: restored, recovered: true };
  }

  async verify(id: string): Promise<IntegrityIssue[]> {
    assertTaskId(id);
    const issues: IntegrityIssue[] = [];
    const read = await this.read(id);
    if (read.kind === 'damaged') issues.push(this.damageIssue(id, read));
    const { kvs } = await this.historyKvs(id);
    for (const kv of kvs) {
      const key = kv.key.toString('utf8');
      const decoded = decodeVersion(kv, id, historyVersionOf(key));
      if (!decoded.ok) issues.push({ kind: 'corrupt_history', task_id: id, path: key, message: decoded.reason, recoverable: false });
    }
    return issues;
  }

  // ---- migration ------------------------------------------------------------------

  async exportVersions(id: string): Promise<TaskState[]> {
    assertTaskId(id);
    const byVersion = new Map<number, TaskState>();
    for (const kv of (await this.historyKvs(id)).kvs) {
      const decoded = decodeVersion(kv, id, historyVersionOf(kv.key.toString('utf8')));
      if (decoded.ok) byVersion.set(decoded.value.state.version, decoded.value.state);
    }
    const current = await this.read(id);
    const best = current.kind === 'ok' ? current.stored.state : current.kind === 'damaged' ? current.best : null;
    if (best) byVersion.set(best.version, best);
    if (byVersion.size === 0) throw new NotFoundError(`task ${id} does not exist`, { task_id: id });
    return [...byVersion.values()].sort((a, b) => a.version - b.version);
  }

  /**
   * Write a task's versions exactly as given (as the file backend does): a
   * target holding an earlier part of the same history is completed, one
   * holding a different history is refused and left as it was. History keys
   * first, the state key last, compared against what was read.
   */
  async importVersions(id: string, given: unknown): Promise<'written' | 'same'> {
    assertTaskId(id);
    const versions = checkImportedVersions(id, given);
    const newest = versions[versions.length - 1]!;
    const read = await this.read(id);
    const current = read.kind === 'ok' ? read.stored.state : read.kind === 'damaged' ? read.best : null;
    let from = 0;
    if (current) {
      assertTargetIsPrefix(id, versions, current);
      if (current.version === newest.version && read.kind === 'ok') return 'same';
      from = current.version;
    }
    const op = `import-${newOpId()}`;
    const there = new Map<number, TaskState | null>();
    for (const kv of (await this.historyKvs(id)).kvs) {
      const v = historyVersionOf(kv.key.toString('utf8'));
      const decoded = decodeVersion(kv, id, v);
      there.set(v, decoded.ok ? decoded.value.state : null);
    }
    const puts: IRequestOp[] = [];
    for (const v of versions) {
      if (v.version <= from && v !== newest) continue;
      const existing = there.get(v.version);
      if (existing !== undefined) {
        if (existing && canonicalJson(existing) === canonicalJson(v)) continue;
        throw new VersionConflictError(
          `task ${id}: the target's history holds a different version ${v.version}; nothing more was imported`,
          v.version,
          v.version,
          { task_id: id },
        );
      }
      const value = encodeVersion(v, op);
      if (Buffer.byteLength(value) > this.maxStateBytes)
        throw new InvalidInputError(
          `task ${id}: version ${v.version} is ${Buffer.byteLength(value)} bytes; the limit is ${this.maxStateBytes}${this.limitNote()}`,
          { task_id: id },
        );
      puts.push(put(this.ctx.keys.history(id, v.version), value));
    }
    // Earlier versions in batches (an import cut short leaves a prefix, completed by the next run)…
    const last = puts.splice(Math.max(0, puts.length - 100));
    for (let i = 0; i < puts.length; i += 100) await this.ctx.conn.txn({ compare: [], success: puts.slice(i, i + 100), failure: [] });
    // …then the newest ones and the state, only if the state is still what we read.
    const modRevision = read.kind === 'ok' ? read.stored.modRevision : read.kind === 'damaged' ? read.modRevision : '0';
    const entry = auditEntry(this.ctx, 'migrated', `imported task ${id} up to version ${newest.version}`, {
      task_id: id,
      new_version: newest.version,
    });
    const res = await this.ctx.conn.txn({
      compare: [{ key: Buffer.from(this.ctx.keys.state(id)), target: 'Mod', result: 'Equal', mod_revision: modRevision }],
      success: [...last, put(this.ctx.keys.state(id), encodeVersion(newest, op)), auditPut(this.ctx, entry, op)],
      failure: [],
    });
    if (!res.succeeded) return this.importVersions(id, given); // the task changed meanwhile: decide again
    this.known.delete(id);
    return 'written';
  }
}

function checkImportedVersions(id: string, versions: unknown): TaskState[] {
  if (!Array.isArray(versions) || versions.length === 0) throw new InvalidInputError(`task ${id}: an import needs at least one version`);
  let last = 0;
  return versions.map((value: unknown) => {
    const check = checkTaskValue(value, id);
    if (!check.ok) throw new InvalidInputError(`task ${id}: a version to import is invalid (${check.reason})`, { task_id: id });
    if (check.state.version <= last)
      throw new InvalidInputError(`task ${id}: versions to import must be in ascending order`, { task_id: id });
    last = check.state.version;
    return check.state;
  });
}

type Outcome =
  | { kind: 'committed'; stored: StoredVersion }
  /** One of this commit's earlier or resent Txns had landed: report it, as it was built. */
  | { kind: 'landed'; stored: StoredVersion; sent: SentCommit }
  | { kind: 'conflict'; current: StoredVersion | null }
  | { kind: 'locked' }
  | { kind: 'lost-lock' };
