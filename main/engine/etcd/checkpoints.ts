// Checkpoints on etcd. A snapshot is the session and its tasks read at ONE
// revision (pinned reads: unpinned pages gave 10–12 inconsistent snapshots in
// 15 while writers ran), under read locks on the tasks like on files, so a
// writer changing several tasks under their write locks is never caught halfway.
//
// A restore takes the tasks' write locks (in id order, like the file
// backend, so the undo checkpoint it saves first is exactly what it
// replaces), then writes in Txns of at most 128 operations. Each task in a
// Txn is compared against what was read and fenced by its lock, so a task
// that already matches is never rewritten and a run cut short can be
// repeated safely.
import type {
  Checkpoint,
  CheckpointSummary,
  RestorePreview,
  RestorePreviewItem,
  RestoreResult,
  Session,
  TaskState,
} from '../../../shared/model.ts';
import { ENGINE_TASK_FIELDS, sessionChangeId } from '../../../shared/model.ts';
import { summarizeCheckpoint } from '../../../shared/checkpoint-summary.ts';
import { diffFields, hasChanges } from '../../../shared/diff.ts';
import { CorruptStateError, InvalidInputError, LockstepError, NotFoundError, VersionConflictError } from '../errors.ts';
import { canonicalJson } from '../canonical-json.ts';
import { isPlainObject } from '../fsx.ts';
import { assertCheckpointId } from '../paths.ts';
import { userContent } from '../task-rules.ts';
import {
  buildCheckpoint,
  checkpointBaseId,
  checkpointCreatedDescription,
  checkpointIdAt,
  diffSession,
  firstFreeSuffix,
  partialRestoreError,
  restorePreview,
  type CheckpointContent,
} from '../checkpoint-rules.ts';
import { MAX_TXN_OPS } from './connection.ts';
import { appendAudit, auditEntry, auditPut, put, type EtcdContext } from './context.ts';
import { prefixRange } from './keys.ts';
import type { EtcdLock, EtcdLocks } from './locks.ts';
import type { EtcdSessions } from './sessions.ts';
import type { EtcdTasks, TaskRead } from './tasks.ts';

/** etcd refuses values over ~1.5 MiB (`--max-request-bytes`); a checkpoint is one value. */
const MAX_CHECKPOINT_BYTES = 1400 * 1024;
/** Tasks per restore Txn: 4 operations and 2 compares each, within `--max-txn-ops` (128). */
const TASKS_PER_TXN = Math.floor(MAX_TXN_OPS / 4);

function readOf(read: TaskRead): TaskState | null {
  return read.kind === 'ok' ? read.stored.state : read.kind === 'damaged' ? read.best : null;
}

/** A damaged task is always rewritten, even when its newest valid version matches. */
function needsRestore(read: TaskRead, wanted: TaskState): boolean {
  return read.kind !== 'ok' || hasChanges(diffFields(read.stored.state, wanted, ENGINE_TASK_FIELDS));
}

export class EtcdCheckpoints {
  private readonly ctx: EtcdContext;
  private readonly tasks: EtcdTasks;
  private readonly sessions: EtcdSessions;
  private readonly locks: EtcdLocks;

  constructor(ctx: EtcdContext, tasks: EtcdTasks, sessions: EtcdSessions, locks: EtcdLocks) {
    this.ctx = ctx;
    this.tasks = tasks;
    this.sessions = sessions;
    this.locks = locks;
  }

  async create(sessionId: string, reason = 'manual'): Promise<Checkpoint> {
    if (typeof reason !== 'string' || reason.length > 500) throw new InvalidInputError('reason must be a string of at most 500 characters');
    const listed = await this.sessions.readFile(sessionId);
    // Read locks (as on files) keep out writers that change several tasks under
    // their write locks; the reads then happen at one revision, with the session's.
    const held = await this.lockAll([...listed.task_ids].sort(), 'read', this.ctx.config.owner || 'checkpoint');
    const tasks: Record<string, TaskState> = {};
    let session: Session;
    try {
      const snapshot = await this.sessions.readAt(sessionId);
      session = snapshot.session;
      const { reads } = await this.tasks.readMany(session.task_ids, snapshot.revision);
      for (const [taskId, read] of reads) {
        const state = readOf(read);
        if (state) tasks[taskId] = state;
      }
    } finally {
      await Promise.allSettled([...held.values()].map((l) => this.locks.release(l)));
    }
    return this.publish({ session: await this.sessions.withMetrics(session), tasks, reason });
  }

  private async publish(content: CheckpointContent): Promise<Checkpoint> {
    const { session, reason } = content;
    const now = new Date();
    const base = checkpointBaseId(now);
    const taken = await this.ctx.conn.range({ ...prefixRange(this.ctx.keys.checkpoint(base)), keys_only: true });
    const first = firstFreeSuffix(
      base,
      taken.kvs.map((kv) => kv.key.toString('utf8').slice(this.ctx.keys.checkpoints.length)),
    );
    for (let n = first; ; n++) {
      const id = checkpointIdAt(base, n);
      const checkpoint = buildCheckpoint(id, now, content);
      const data = JSON.stringify(checkpoint);
      if (Buffer.byteLength(data) > MAX_CHECKPOINT_BYTES) {
        throw new InvalidInputError(
          `checkpoint of session ${session.id} would be ${Buffer.byteLength(data)} bytes; an etcd value holds at most ${MAX_CHECKPOINT_BYTES}`,
        );
      }
      const key = this.ctx.keys.checkpoint(id);
      const entry = auditEntry(this.ctx, 'checkpoint_created', checkpointCreatedDescription(checkpoint), {
        checkpoint_id: id,
        session_id: session.id,
      });
      const res = await this.ctx.conn.txn({
        compare: [{ key: Buffer.from(key), target: 'Create', result: 'Equal', create_revision: 0 }],
        success: [
          put(this.ctx.keys.checkpointData(id), data),
          put(key, JSON.stringify(summarizeCheckpoint(checkpoint))),
          auditPut(this.ctx, entry),
        ],
        failure: [],
      });
      if (res.succeeded) {
        this.ctx.events.emit('state.checkpoint_created', {
          checkpoint_id: id,
          session_id: session.id,
          reason,
          task_count: checkpoint.task_count,
        });
        return checkpoint;
      }
    }
  }

  async get(id: string): Promise<Checkpoint> {
    assertCheckpointId(id);
    const key = this.ctx.keys.checkpointData(id);
    const res = await this.ctx.conn.range({ key: Buffer.from(key) });
    const kv = res.kvs[0];
    if (!kv) throw new NotFoundError(`checkpoint ${id} does not exist`, { checkpoint_id: id });
    let v: unknown;
    try {
      v = JSON.parse(kv.value.toString('utf8'));
    } catch (err) {
      throw new CorruptStateError(`checkpoint ${id} (${key}): malformed JSON (${(err as Error).message})`, { path: key });
    }
    if (!isPlainObject(v) || !isPlainObject(v.session) || !isPlainObject(v.tasks) || typeof v.session_id !== 'string') {
      throw new CorruptStateError(`checkpoint ${id} (${key}): missing session or tasks`, { path: key });
    }
    return { ...(v as unknown as Checkpoint), id };
  }

  async summary(id: string): Promise<CheckpointSummary> {
    assertCheckpointId(id);
    const res = await this.ctx.conn.range({ key: Buffer.from(this.ctx.keys.checkpoint(id)) });
    const kv = res.kvs[0];
    if (!kv) throw new NotFoundError(`checkpoint ${id} does not exist`, { checkpoint_id: id });
    try {
      const s = JSON.parse(kv.value.toString('utf8')) as CheckpointSummary;
      if (typeof s.session_id === 'string' && typeof s.created_at === 'string') return { ...s, id };
    } catch {
      /* fall back to the whole checkpoint */
    }
    return summarizeCheckpoint(await this.get(id));
  }

  async list(): Promise<CheckpointSummary[]> {
    const res = await this.ctx.conn.range(prefixRange(this.ctx.keys.checkpoints));
    const out: CheckpointSummary[] = [];
    for (const kv of res.kvs) {
      const id = kv.key.toString('utf8').slice(this.ctx.keys.checkpoints.length);
      try {
        const s = JSON.parse(kv.value.toString('utf8')) as CheckpointSummary;
        if (typeof s.session_id === 'string' && typeof s.created_at === 'string') out.push({ ...s, id });
      } catch {
        /* reported by verify */
      }
    }
    return out.sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id));
  }

  /** Checkpoints whose stored value cannot be read, for verify. */
  async corrupt(): Promise<{ key: string; message: string }[]> {
    const out: { key: string; message: string }[] = [];
    const res = await this.ctx.conn.range({ ...prefixRange(this.ctx.keys.checkpoints), keys_only: true });
    for (const kv of res.kvs) {
      const id = kv.key.toString('utf8').slice(this.ctx.keys.checkpoints.length);
      try {
        await this.get(id);
      } catch (err) {
        if (err instanceof LockstepError) out.push({ key: this.ctx.keys.checkpointData(id), message: err.message });
      }
    }
    return out;
  }

  private async sessionOrNull(id: string): Promise<Session | null> {
    try {
      return await this.sessions.readFile(id);
    } catch (err) {
      if (err instanceof NotFoundError || err instanceof CorruptStateError) return null;
      throw err;
    }
  }

  async preview(id: string): Promise<RestorePreview> {
    const checkpoint = await this.get(id);
    const ids = Object.keys(checkpoint.tasks).sort();
    const { reads } = await this.tasks.readMany(ids);
    const items = ids.map((taskId): RestorePreviewItem => {
      const read = reads.get(taskId)!;
      const current = readOf(read);
      return {
        task_id: taskId,
        current_version: current?.version ?? null,
        changes: diffFields(current, checkpoint.tasks[taskId]!, ENGINE_TASK_FIELDS),
        unchanged: !needsRestore(read, checkpoint.tasks[taskId]!),
      };
    });
    return restorePreview(checkpoint, items, await this.sessionOrNull(checkpoint.session_id));
  }

  /** Locks on tasks, in id order (no two lockers wait on each other in a circle), all within one timeout; released again on failure. */
  private async lockAll(taskIds: string[], mode: 'read' | 'write', owner: string): Promise<Map<string, EtcdLock>> {
    const deadline = Date.now() + this.ctx.config.lock_timeout_ms;
    const held = new Map<string, EtcdLock>();
    try {
      for (const taskId of taskIds)
        held.set(taskId, await this.locks.acquire(taskId, mode, { timeout: Math.max(0, deadline - Date.now()), owner }));
    } catch (err) {
      await Promise.allSettled([...held.values()].map((l) => this.locks.release(l)));
      throw err;
    }
    return held;
  }

  async restore(id: string): Promise<RestoreResult> {
    const checkpoint = await this.get(id);
    const sessionId = checkpoint.session_id;
    const wantedSession: Session = { ...checkpoint.session, id: sessionId };
    const taskIds = Object.keys(checkpoint.tasks).sort();
    const owner = this.ctx.config.owner || 'restore';
    const held = await this.lockAll(taskIds, 'write', owner);
    const restored: string[] = [];
    const changed: string[] = [];
    let undo: Checkpoint | null = null;
    let writing: string | null = null;
    try {
      const { reads } = await this.tasks.readMany(taskIds);
      const toWrite = new Set(taskIds.filter((taskId) => needsRestore(reads.get(taskId)!, checkpoint.tasks[taskId]!)));
      const currentSession = await this.sessionOrNull(sessionId);
      const sessionDiffers = currentSession === null || hasChanges(diffSession(currentSession, wantedSession));
      if (toWrite.size > 0 || sessionDiffers) {
        const undoTasks: Record<string, TaskState> = {};
        for (const taskId of toWrite) {
          const state = readOf(reads.get(taskId)!);
          if (state) undoTasks[taskId] = state;
        }
        undo = await this.publish({
          session: currentSession ? await this.sessions.withMetrics(currentSession) : wantedSession,
          tasks: undoTasks,
          reason: `before restore of ${id}`,
          undoOf: id,
        });
      }
      if (sessionDiffers) {
        writing = `session ${sessionId}`;
        await this.sessions.replace(wantedSession, `restored session ${sessionId} from checkpoint ${id}`);
        changed.push(sessionChangeId(sessionId));
      }
      // Tasks in id order, TASKS_PER_TXN to a Txn. A task that cannot be written (too large) stops the
      // restore there, as on files: the tasks before it are written first.
      let batch: { taskId: string; ops: ReturnType<EtcdTasks['restoreOps']> | null }[] = [];
      const flush = async () => {
        const writes = batch.filter((b) => b.ops !== null) as { taskId: string; ops: ReturnType<EtcdTasks['restoreOps']> }[];
        if (writes.length > 0) {
          writing = `task ${writes[0]!.taskId}`;
          const res = await this.ctx.conn.txn({
            compare: writes.flatMap((w) => w.ops.compare),
            success: writes.flatMap((w) => w.ops.success),
            failure: [],
          });
          if (!res.succeeded) {
            throw new VersionConflictError(
              `a task of this batch changed or its lock was lost while the restore held it (${writes.map((w) => w.taskId).join(', ')})`,
              null,
              null,
            );
          }
          for (const w of writes) {
            this.tasks.committed(w.taskId, w.ops.previous, { ...w.ops.stored, modRevision: res.header.revision }, w.ops.changes);
            changed.push(w.taskId);
          }
        }
        for (const { taskId } of batch) {
          restored.push(taskId);
          this.ctx.events.emit('state.checkpoint_restore_progress', {
            checkpoint_id: id,
            task_id: taskId,
            done: restored.length,
            total: taskIds.length,
          });
        }
        batch = [];
      };
      for (const taskId of taskIds) {
        let ops: ReturnType<EtcdTasks['restoreOps']> | null = null;
        if (toWrite.has(taskId)) {
          try {
            ops = this.tasks.restoreOps(
              taskId,
              reads.get(taskId)!,
              userContent(checkpoint.tasks[taskId]!),
              `checkpoint ${id}`,
              held.get(taskId)!,
              owner,
            );
          } catch (err) {
            await flush();
            writing = `task ${taskId}`;
            throw err;
          }
        }
        batch.push({ taskId, ops });
        if (batch.length >= TASKS_PER_TXN) await flush();
      }
      await flush();
    } catch (err) {
      if (writing === null) throw err;
      throw partialRestoreError(id, writing, err, { restored, changed, undo });
    } finally {
      await Promise.allSettled([...held.values()].map((l) => this.locks.release(l)));
    }
    const result: RestoreResult = { checkpoint_id: id, session_id: sessionId, restored, changed, undo_checkpoint_id: undo?.id ?? null };
    const counts = `${changed.filter((c) => c !== sessionChangeId(sessionId)).length} of ${restored.length} tasks changed${changed.includes(sessionChangeId(sessionId)) ? ', session rewritten' : ''}`;
    await appendAudit(
      this.ctx,
      auditEntry(
        this.ctx,
        'checkpoint_restored',
        `restored checkpoint ${id}: ${counts}${undo ? `; undo with checkpoint ${undo.id}` : ''}`,
        {
          checkpoint_id: id,
          session_id: sessionId,
        },
      ),
    );
    this.ctx.events.emit('state.checkpoint_restored', result);
    return result;
  }

  /** A checkpoint as it is; checkpoints never change, so a different one under the same id is refused. */
  async import(given: Checkpoint): Promise<'written' | 'same'> {
    if (!isPlainObject(given) || !isPlainObject(given.session) || !isPlainObject(given.tasks) || typeof given.session_id !== 'string') {
      throw new InvalidInputError('a checkpoint to import needs session_id, session and tasks');
    }
    const id = assertCheckpointId(given.id);
    const data = JSON.stringify(given);
    if (Buffer.byteLength(data) > MAX_CHECKPOINT_BYTES)
      throw new InvalidInputError(
        `checkpoint ${id} is ${Buffer.byteLength(data)} bytes; an etcd value holds at most ${MAX_CHECKPOINT_BYTES}`,
      );
    const dataKey = this.ctx.keys.checkpointData(id);
    const entry = auditEntry(this.ctx, 'migrated', `imported checkpoint ${id}`, { checkpoint_id: id, session_id: given.session_id });
    const res = await this.ctx.conn.txn({
      compare: [{ key: Buffer.from(dataKey), target: 'Create', result: 'Equal', create_revision: 0 }],
      success: [
        put(dataKey, data),
        put(this.ctx.keys.checkpoint(id), JSON.stringify(summarizeCheckpoint(given))),
        auditPut(this.ctx, entry),
      ],
      failure: [{ request_range: { key: Buffer.from(dataKey) } }],
    });
    if (res.succeeded) return 'written';
    const there = res.responses[0]?.response_range.kvs[0];
    try {
      const value = JSON.parse(there?.value.toString('utf8') ?? 'null') as unknown;
      if (isPlainObject(value) && canonicalJson({ ...value, id }) === canonicalJson(given)) return 'same';
    } catch {
      /* a damaged copy is different */
    }
    throw new VersionConflictError(
      `checkpoint ${id}: the target holds a different checkpoint under this id; nothing was imported`,
      null,
      null,
      { checkpoint_id: id },
    );
  }
}
