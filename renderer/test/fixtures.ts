// Builders for contract objects in unit tests (never used by the product).
import type { Patch, Snapshot, TaskRow } from '../../shared/contract.ts';
import type { AuditEntry, HolderInfo, LockWaiter, Session, TaskLocks, TaskState } from '../../shared/model.ts';

export function row(id: string, over: Partial<TaskRow> = {}): TaskRow {
  return {
    task_id: id,
    version: 1,
    updated_at: '2026-01-01T00:00:00.000Z',
    status: 'pending',
    session_id: null,
    owner: null,
    progress: null,
    size: 100,
    ...over,
  };
}

export function session(id: string, over: Partial<Session> = {}): Session {
  return {
    id,
    status: 'active',
    started_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    options: {},
    task_ids: [],
    metrics: { total_tasks: 0, completed: 0, in_progress: 0, failed: 0 },
    ...over,
  };
}

export function holder(taskId: string, over: Partial<HolderInfo> = {}): HolderInfo {
  return {
    task_id: taskId,
    mode: 'write',
    token: `t-${taskId}`,
    pid: 100,
    host: 'h',
    start: null,
    owner: 'agent-1',
    acquired_at: '2026-01-01T00:00:00.000Z',
    expires_at: '2999-01-01T00:00:00.000Z',
    alive: 'alive',
    expired: false,
    pending: false,
    ...over,
  };
}

/** A task's lock summary from its holders (the first writer is `writer`) and waiters. */
export function locks(taskId: string, holders: HolderInfo[], waiters: LockWaiter[] = []): TaskLocks {
  const writer = holders.find((h) => h.mode === 'write') ?? null;
  return { task_id: taskId, writer, readers: holders.filter((h) => h !== writer), waiters };
}

export function audit(ts: string, over: Partial<AuditEntry> = {}): AuditEntry {
  return { timestamp: ts, process_id: 1, host: 'h', owner: 'agent-1', change_type: 'task_updated', description: `at ${ts}`, ...over };
}

export function snapshot(over: Partial<Snapshot> = {}): Snapshot {
  return {
    root: '/tmp/root',
    legacyFile: null,
    tasks: [],
    sessions: [],
    locks: [],
    checkpoints: [],
    issues: [],
    activity: [],
    contention: [],
    watch: { mode: 'native', reason: null, rootPresent: true },
    demo: null,
    seq: 0,
    ...over,
  };
}

export function taskPatch(seq: number, ...rows: TaskRow[]): Patch {
  return { seq, tasks: { upsert: rows, remove: [] } };
}

export function state(version: number, fields: Record<string, string | number | boolean | null> = {}, owner = 'agent-1'): TaskState {
  return {
    task_id: 't1',
    version,
    updated_at: `2026-01-01T00:00:0${version % 10}.000Z`,
    updated_by: { owner, pid: 10 + version, host: 'h' },
    ...fields,
  };
}
