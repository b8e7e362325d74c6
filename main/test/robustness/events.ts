// The records a robustness run leaves behind, shared by the processes that
// write them (driver, workers, observer) and the checker that reads them.
// Types only: the checker stays a pure function of these records.

export type OpKind = 'init' | 'plain' | 'optimistic' | 'locked' | 'link' | 'checkpoint' | 'restore' | 'read_hold';

/** Kinds that write one task version whose `last_op` is the op's id. */
export const UPDATE_KINDS: readonly OpKind[] = ['init', 'plain', 'optimistic', 'locked', 'link'];

/** ok: acknowledged. refused: a VersionConflict or LockTimeout, which promise nothing was written. error: anything else (outcome unknown). */
export type Outcome = 'ok' | 'refused' | 'error';

/** Written (and fsynced) before the operation starts. Times are Date.now() ms, the engine's clock. */
export interface InvokeEvent {
  type: 'invoke';
  op: string;
  worker: string;
  pid: number;
  kind: OpKind;
  task?: string;
  t: number;
  /** What the op asked for: {note} for plain updates, {session} for links and inits, {checkpoint} for restores. */
  input?: { note?: string; session?: string; checkpoint?: string };
}

/** Written (and fsynced) after the operation ends. A killed worker leaves none: the outcome is unknown. */
export interface ReturnEvent {
  type: 'return';
  op: string;
  t: number;
  outcome: Outcome;
  error?: { name: string; code: string; message: string };
  /** The version the engine reported for an update. */
  version?: number;
  /** Increments: the version read before writing. Read holds: the version read once the read lock was held. */
  read_version?: number;
  /** Read holds: the version read again at the end of the hold, just before `held_until`. */
  end_version?: number;
  held_until?: number;
  /** Locked increments and read holds: when acquireLock returned. */
  acquired_at?: number;
  /** Locked increments: when the marker was written and read back, and just before updateTaskState. */
  marker_at?: number;
  marker_read_at?: number;
  pre_commit_at?: number;
  /** Locked increments: the op id found in the occupancy marker when read back ('' if unreadable). */
  marker_seen?: string;
  /** Checkpoints: the id and the version of each task it holds. Restores: the checkpoint restored. */
  checkpoint?: string;
  tasks?: Record<string, number>;
  /** Restores: what the engine reports as written (task ids, and `session:<id>`). */
  changed?: string[];
}

/** The worker's event loop did not run for this long (a pause, or a stall long enough to miss a lease refresh). */
export interface StallEvent {
  type: 'stall';
  worker: string;
  from: number;
  to: number;
}

export type WorkerEvent = InvokeEvent | ReturnEvent | StallEvent;

/** Faults the driver injected, and worker process lifetimes; on etcd also members killed (-9) and started again. */
export type FaultEvent =
  | { type: 'member-kill'; member: string; pid: number; leader: boolean; t: number }
  | { type: 'member-restart'; member: string; pid: number; t: number; healthy_ms: number }
  | { type: 'spawn'; worker: string; pid: number; t: number }
  | { type: 'stop'; worker: string; pid: number; t: number }
  | { type: 'cont'; worker: string; pid: number; t: number }
  | { type: 'kill'; worker: string; pid: number; t: number; reason: 'fault' | 'shutdown' }
  | { type: 'exit'; worker: string; pid: number; t: number; code: number | null; signal: string | null };

/** One read by the observer, started at t0 and finished at t1. `raw` is the stored version read without the engine (state.json, or the state key). */
export type Observation =
  | {
      type: 'task';
      task: string;
      t0: number;
      t1: number;
      raw: number | null;
      raw_problem?: 'missing' | 'torn' | 'unreachable';
      api: number | null;
    }
  | { type: 'session'; t0: number; t1: number; task_ids: string[] | null };

/** A parsed history/v<N>.json, or why it is not a valid version. */
export type HistoryEntry = { ok: true; state: Record<string, unknown> } | { ok: false; reason: string };

export interface CheckpointFile {
  id: string;
  session_task_ids: string[];
  tasks: Record<string, Record<string, unknown>>;
}

/** Everything the checker needs, loaded from a run folder. */
export interface RunData {
  lease_ms: number;
  session_id: string;
  task_ids: string[];
  events: WorkerEvent[];
  faults: FaultEvent[];
  observations: Observation[];
  /** etcd: per task, version number -> the operation id its commit stored with it (engine/etcd/codec.ts). */
  write_ids?: Record<string, Record<number, string>>;
  /** Per task: version number -> file content. */
  history: Record<string, Record<number, HistoryEntry>>;
  /** How the stored current version is named in reports: state.json (default), or the etcd state key. */
  raw_label?: string;
  /** Per task, after the workers stopped: getTaskState's version and the stored one (state.json, or the state key). */
  final_versions: Record<string, { api: number | null; raw: number | null }>;
  final_session_task_ids: string[] | null;
  checkpoints: Record<string, CheckpointFile | { invalid: string }>;
}
