// The typed API between main (which owns the engine and the watcher) and
// the renderer. Requests are validated in main with these zod schemas;
// responses and events are plain data described by the types below.
// Used over Electron IPC (preload) and over the `lockstep serve` WebSocket.
//
// Both transports start the same way: once its listeners are in place the
// renderer calls `ready`; the host pushes the snapshot (`reset`) and then
// every `patch` after it, in `seq` order. A reconnect, a reload or a seq gap
// calls `ready` again.
import { z } from 'zod';
import type { SerializedError } from './errors.ts';
import { TASK_ID_PATTERN } from './ids.ts';
import { LOCK_EVENTS_LIMIT, TASK_HISTORY_LIMIT } from './limits.ts';
import type {
  AuditEntry,
  CheckpointSummary,
  ContentionStats,
  IntegrityIssue,
  LockEvent,
  RestorePreview,
  RestoreResult,
  TaskState,
} from './model.ts';
import type { SyncedPatch, SyncedSnapshot } from './sync.ts';
import type { EventName, RequestMethod } from './channels.ts';

const taskId = z.string().regex(TASK_ID_PATTERN, 'invalid task id');
const safeId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'invalid id');
const empty = z.object({}).strict();

export const REQUEST_SCHEMAS = {
  ready: empty,
  /** `after`: the newest version the caller has; only newer ones are sent (see TaskDetail). */
  getTask: z.object({ taskId, after: z.number().int().nonnegative().optional() }).strict(),
  restoreTaskVersion: z
    .object({ taskId, version: z.number().int().positive(), expectedVersion: z.number().int().nonnegative().optional() })
    .strict(),
  recoverTask: z.object({ taskId }).strict(),
  breakLock: z.object({ taskId }).strict(),
  getContention: z
    .object({
      windowMs: z
        .number()
        .int()
        .positive()
        .max(7 * 24 * 3600_000),
    })
    .strict(),
  /** The last `windowMs` (up to 24 h), or a range the user picked: `from` and `to` in ms since the epoch. */
  getLockEvents: z
    .object({
      windowMs: z
        .number()
        .int()
        .positive()
        .max(24 * 3600_000)
        .optional(),
      from: z.number().int().nonnegative().optional(),
      to: z.number().int().positive().optional(),
      taskId: taskId.optional(),
      limit: z.number().int().positive().max(LOCK_EVENTS_LIMIT).optional(),
    })
    .strict()
    .refine(
      (r) => {
        const range = r.from !== undefined || r.to !== undefined;
        return (r.windowMs !== undefined) !== range && (!range || (r.from !== undefined && r.to !== undefined));
      },
      { message: 'give windowMs, or both from and to' },
    )
    .refine((r) => r.from === undefined || r.to === undefined || r.from < r.to, { message: 'from must be before to' }),
  createCheckpoint: z.object({ sessionId: safeId, reason: z.string().max(500).optional() }).strict(),
  previewRestore: z.object({ checkpointId: safeId }).strict(),
  restoreCheckpoint: z.object({ checkpointId: safeId }).strict(),
  getActivity: z.object({ limit: z.number().int().positive().max(5000), taskId: taskId.optional() }).strict(),
  runVerify: empty,
  migrateLegacy: empty,
  startDemo: z.object({ agents: z.number().int().min(1).max(16).optional(), tasks: z.number().int().min(1).max(500).optional() }).strict(),
} satisfies Record<RequestMethod, z.ZodType>;

export type RequestOf<M extends RequestMethod> = z.infer<(typeof REQUEST_SCHEMAS)[M]>;

export type { TaskRow } from './sync.ts';

export { LOCK_EVENTS_LIMIT, TASK_HISTORY_LIMIT };

export interface TaskDetail {
  task_id: string;
  state: TaskState | null;
  /**
   * Newest first. When `after` is null: the newest retained versions, the
   * current one included, at most TASK_HISTORY_LIMIT. Otherwise only the
   * retained versions newer than `after`; the caller keeps those it has.
   */
  history: TaskState[];
  /**
   * The `after` of the request when it was honoured; null when the answer is
   * the whole list instead (no `after`, more than TASK_HISTORY_LIMIT newer
   * versions, or a task that went back below `after`: recreated).
   */
  after: number | null;
  /** How many versions the task keeps now, the current one included: older ones were pruned. */
  retained: number;
  /** Set when the task could not be read: shown in place of the timeline. */
  error: SerializedError | null;
}

export type WatchMode = 'native' | 'polling' | 'stopped';

export interface WatchStatus {
  mode: WatchMode;
  /** Why the mode is what it is (e.g. "inotify watch limit reached"). */
  reason: string | null;
  /** The root exists and holds a state layout. */
  rootPresent: boolean;
  /** The last refresh failed and is being retried: what the screen shows may be behind. */
  error?: string | null;
}

/** Everything the dashboard shows; the collections are described in sync.ts. */
export interface Snapshot extends SyncedSnapshot {
  root: string;
  /** A legacy .parallel-dev-state.json waits beside the root. */
  legacyFile: string | null;
  issues: IntegrityIssue[];
  activity: AuditEntry[];
  contention: ContentionStats[];
  watch: WatchStatus;
  /** Set while a demo simulation runs into a temporary root. */
  demo: { root: string; running: boolean } | null;
  /** Monotonic sequence of the last change included; patches carry the next ones. */
  seq: number;
}

/** What changed since the previous patch; each collection section replaces items by key. */
export interface Patch extends SyncedPatch {
  seq: number;
  activity?: AuditEntry[];
  issues?: IntegrityIssue[];
  contention?: ContentionStats[];
  /** Lock log lines read since the previous patch (the lock timeline appends them). */
  lockEvents?: LockEvent[];
  watch?: WatchStatus;
  legacyFile?: string | null;
  demo?: Snapshot['demo'];
}

export interface RestoreProgress {
  checkpoint_id: string;
  task_id: string;
  done: number;
  total: number;
}

export interface Responses {
  /** Sent after the `reset` it triggered: the seq of that snapshot. */
  ready: { seq: number };
  getTask: TaskDetail;
  restoreTaskVersion: TaskState;
  recoverTask: { state: TaskState; recovered: boolean };
  breakLock: { removed: number };
  getContention: ContentionStats[];
  /** The newest events of the window, oldest first; `total` counts all the host holds for it. */
  getLockEvents: { events: LockEvent[]; total: number };
  createCheckpoint: CheckpointSummary;
  previewRestore: RestorePreview;
  restoreCheckpoint: RestoreResult;
  getActivity: AuditEntry[];
  runVerify: IntegrityIssue[];
  migrateLegacy: { sessions: number; tasks: number; from: string } | null;
  startDemo: { root: string };
}

export interface Events {
  reset: Snapshot;
  patch: Patch;
  restoreProgress: RestoreProgress;
}

/** How every response crosses the boundary: handlers never throw raw errors across it. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: SerializedError };

/**
 * The domain API the preload exposes as `window.lockstep` (and the serve
 * client implements over a WebSocket): one method per request, plus event
 * subscription returning an unsubscribe function.
 */
export type LockstepBridge = {
  [M in RequestMethod]: (request: RequestOf<M>) => Promise<Result<Responses[M]>>;
} & {
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void;
};
