// The data model every process agrees on: the engine writes these shapes to
// disk, the host pushes them over IPC, and the renderer displays them.
// Plain types only: this module imports neither Node nor the DOM.

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Who made a change; stamped by the engine on every task version. */
export interface Writer {
  owner: string;
  pid: number;
  host: string;
}

/** A task's state as stored in state.json and history/v<N>.json. */
export interface TaskState extends JsonObject {
  task_id: string;
  version: number;
  updated_at: string;
}

/** Fields the engine owns: payloads cannot set them. */
export const ENGINE_TASK_FIELDS = ['task_id', 'version', 'updated_at', 'updated_by'] as const;

export interface SessionMetrics {
  total_tasks: number;
  completed: number;
  in_progress: number;
  failed: number;
}

export interface Session {
  id: string;
  status: string;
  started_at: string;
  updated_at: string;
  options: JsonObject;
  task_ids: string[];
  metrics: SessionMetrics;
  [extra: string]: JsonValue | SessionMetrics | string[] | JsonObject;
}

export interface CheckpointSummary {
  id: string;
  session_id: string;
  created_at: string;
  reason: string;
  task_count: number;
  /**
   * Set on the checkpoint a restore takes automatically before it writes
   * anything: the id of the checkpoint whose restore this one undoes.
   */
  undo_of?: string;
}

export interface Checkpoint extends CheckpointSummary {
  session: Session;
  tasks: Record<string, TaskState>;
}

export type LockMode = 'read' | 'write';

/** The record a lock holder publishes on disk (state.lock, or one file per reader). */
export interface LockRecord {
  task_id: string;
  mode: LockMode;
  token: string;
  pid: number;
  host: string;
  /** Process start token (Linux: /proc/<pid>/stat starttime) to detect pid reuse. */
  start: string | null;
  owner: string;
  acquired_at: string;
  expires_at: string;
}

export type HolderLiveness = 'alive' | 'dead' | 'unknown';

/** One holder of a lock, with what the lister found out about it. */
export interface HolderInfo extends LockRecord {
  alive: HolderLiveness;
  expired: boolean;
  /** A writer that owns state.lock but still waits for readers to drain. */
  pending: boolean;
}

/** One holder as `lockstep locks` lists it: each carries its task's waiters. */
export interface LockHolder extends HolderInfo {
  waiters: LockWaiter[];
}

/**
 * A task's lock in one piece, as the dashboard receives it. `readers` holds
 * every holder besides `writer`: readers, and in the rare upgrade case an
 * earlier version's write record left beside this version's writer.
 */
export interface TaskLocks {
  task_id: string;
  writer: HolderInfo | null;
  readers: HolderInfo[];
  waiters: LockWaiter[];
}

export interface LockWaiter {
  task_id: string;
  mode: LockMode;
  pid: number;
  host: string;
  owner: string;
  since: string;
}

export interface ContentionStats {
  task_id: string;
  acquisitions: number;
  waited: number;
  timeouts: number;
  wait_p50_ms: number;
  wait_p95_ms: number;
  wait_max_ms: number;
}

export type LockOutcome = 'acquired' | 'timeout' | 'released' | 'broken';

/**
 * One line of the lock log: every acquisition, time-out, release and broken
 * lock. Lines written before releases were logged carry only the first seven
 * fields and the outcomes 'acquired' and 'timeout'; readers must accept them.
 */
export interface LockEvent {
  /** When it happened (for 'released': the release). */
  ts: string;
  task_id: string;
  mode: LockMode;
  /** The process the lock belonged to (for 'broken': the stale holder, not the breaker). */
  pid: number;
  owner: string;
  /** How long the lock was waited for before it was granted (or given up); 0 for 'broken'. */
  wait_ms: number;
  outcome: LockOutcome;
  /** 'released': how long it was held. With wait_ms and ts, one released line describes the whole hold. */
  hold_ms?: number;
  /** The holder's ticket name: pairs an acquisition with its release or its breaking. */
  token?: string;
  host?: string;
  /** 'released': the lock had already been taken over (its lease ran out while the holder was stopped). */
  lost?: boolean;
  /** 'broken': why the lock was stale. */
  reason?: string;
}

/** Acquisitions and time-outs make the contention figures; releases and broken locks only draw the timeline. */
export function countsForContention(event: LockEvent): boolean {
  return event.outcome === 'acquired' || event.outcome === 'timeout';
}

/**
 * One process in a deadlock: it waits for `waits_for`, which the next member
 * of the cycle holds (the last member's is held by the first). `holds` is the
 * task it holds that the previous member waits for.
 */
export interface DeadlockMember {
  owner: string;
  pid: number;
  host: string;
  holds: string;
  waits_for: string;
  mode: LockMode;
}

/** A cycle in the waits-for graph: nobody in it can proceed until one gives up (times out). */
export type Deadlock = DeadlockMember[];

export type ChangeType =
  | 'task_updated'
  | 'task_recovered'
  | 'task_restored'
  | 'session_created'
  | 'session_updated'
  | 'checkpoint_created'
  | 'checkpoint_restored'
  | 'lock_waited'
  | 'lock_timeout'
  | 'lock_broken'
  | 'migrated';

/** One line of the append-only audit log. */
export interface AuditEntry {
  timestamp: string;
  process_id: number;
  host: string;
  owner: string;
  change_type: ChangeType;
  task_id?: string;
  session_id?: string;
  checkpoint_id?: string;
  old_version?: number | null;
  new_version?: number | null;
  description: string;
}

export interface FieldChanges {
  added: string[];
  modified: string[];
  removed: string[];
}

export type IntegrityIssueKind =
  | 'corrupt_state'
  | 'missing_state'
  | 'state_behind_history'
  | 'corrupt_history'
  | 'stale_lock'
  | 'garbage_lock'
  | 'leftover_temp'
  | 'corrupt_session'
  | 'corrupt_checkpoint';

export interface IntegrityIssue {
  kind: IntegrityIssueKind;
  path: string;
  message: string;
  task_id?: string;
  /** True when `recoverTaskState` (or `gc`) can repair it. */
  recoverable: boolean;
}

export interface RestorePreviewItem {
  task_id: string;
  current_version: number | null;
  changes: FieldChanges;
  /** True when the task already matches the checkpoint: restore writes nothing for it. */
  unchanged: boolean;
}

/** What restoring a checkpoint would change, task by task and in the session file. */
export interface RestorePreview {
  checkpoint: CheckpointSummary;
  items: RestorePreviewItem[];
  /** The session file's fields that would change (task_ids, status…); `unchanged` when it already matches. */
  session: { changes: FieldChanges; unchanged: boolean };
}

export interface RestoreResult {
  checkpoint_id: string;
  session_id: string;
  restored: string[];
  /**
   * What got written: the ids of the tasks in `restored` that got a new
   * version (the rest already matched), and `session:<id>` when the session
   * file was rewritten.
   */
  changed: string[];
  /**
   * The checkpoint taken automatically before anything was written, of
   * exactly what the restore changed: restoring it undoes this restore.
   * Null when nothing needed to change.
   */
  undo_checkpoint_id: string | null;
}

/** How `RestoreResult.changed` names the session: task ids cannot contain `:`. */
export function sessionChangeId(sessionId: string): string {
  return `session:${sessionId}`;
}
