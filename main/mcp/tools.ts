// The tools an agent calls. Each has a strict input schema (built from the
// contract's zod types, so the ids an agent may send are the ones the
// dashboard accepts), a description that says when to use it, and a handler
// that only calls the store's public API.
import { z } from 'zod';
import { REQUEST_SCHEMAS } from '../../shared/contract.ts';
import { findDeadlocks, queuesOf } from '../../shared/deadlocks.ts';
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { NotFoundError, type LockRecord, type StateStore } from '../engine/public.ts';
import type { LockHandles } from './lock-handles.ts';

/** Tasks list_tasks returns by default: a page an agent's context can take. */
const LIST_PAGE = 100;

/** The longest lock wait a call may ask for. Most MCP clients give up on a call after 60 s. */
export const MAX_WAIT_MS = 600_000;

const taskId = REQUEST_SCHEMAS.getTask.shape.taskId.describe(
  'Task id: 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit (case-sensitive)',
);
const sessionId = REQUEST_SCHEMAS.createCheckpoint.shape.sessionId.describe(
  'Session id, as returned by create_session (e.g. "2026-11-27-001")',
);
const checkpointId = REQUEST_SCHEMAS.restoreCheckpoint.shape.checkpointId.describe('Checkpoint id, as returned by create_checkpoint');
const version = REQUEST_SCHEMAS.restoreTaskVersion.shape.version;
const expectedVersion = z
  .number()
  .int()
  .nonnegative()
  .optional()
  .describe(
    'The version you read (0 for a task that does not exist yet). If the task moved on since, nothing is written and you get VERSION_CONFLICT: re-read and decide again',
  );
const lockHandle = z.string().min(1).max(64).describe('A handle returned by acquire_lock on this connection');
const commitLock = lockHandle
  .optional()
  .describe('Commit under this write lock (from acquire_lock on the same task) instead of taking the lock just for this write');
const timeoutMs = z
  .number()
  .int()
  .min(0)
  .max(MAX_WAIT_MS)
  .optional()
  .describe(
    `How long to wait for the lock, in ms (0: do not wait; default: the store's lock_timeout_ms, 5000). Keep it under your client's request time-out, unless your client resets that time-out on progress (sent every 2 s while waiting)`,
  );
/**
 * A JSON object of any shape (the store checks its size and content). A
 * custom check rather than z.record: zod walks every member of a record,
 * which took seconds for a payload of 300,000 keys. Listed as
 * {"type": "object"} (see jsonSchemaOf in server.ts).
 */
const jsonObject = z.custom<Record<string, unknown>>(
  (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
  'expected a JSON object',
);

export interface ToolContext {
  store: StateStore;
  locks: LockHandles;
  /** The label locks and audit entries carry: the client's name, or --owner. */
  owner: string;
  /** Aborted when the client cancels the call or disconnects. */
  signal: AbortSignal;
}

export interface Tool {
  name: string;
  title: string;
  description: string;
  input: z.ZodObject;
  annotations: ToolAnnotations;
  run(args: never, ctx: ToolContext): Promise<unknown>;
}

function tool<S extends z.ZodObject>(spec: {
  name: string;
  title: string;
  description: string;
  input: S;
  annotations: ToolAnnotations;
  run: (args: z.output<S>, ctx: ToolContext) => Promise<unknown>;
}): Tool {
  return spec as Tool;
}

const read: ToolAnnotations = { readOnlyHint: true, openWorldHint: false };
const write: ToolAnnotations = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false };

/** A lock record as agents see it: the token and process start are internal. */
function publicRecord({ token: _token, start: _start, ...rest }: LockRecord): Omit<LockRecord, 'token' | 'start'> {
  return rest;
}

/**
 * The lock table as agents see it (list_locks, and the lockstep://locks
 * resource): every holder with its waiters, the deadlocks among them, and
 * the handle of each lock this connection holds.
 */
export async function lockTable(store: StateStore, locks: LockHandles): Promise<{ locks: unknown[]; deadlocks: unknown[] }> {
  const holders = await store.listLocks();
  const mine = locks.handlesByToken();
  const summaries = await store.lockSummaries([...new Set(holders.map((h) => h.task_id))]);
  return {
    locks: holders.map((h) => ({ ...publicRecord(h), ...(mine.has(h.token) ? { handle: mine.get(h.token) } : {}) })),
    deadlocks: findDeadlocks(queuesOf(summaries)),
  };
}

export const TOOLS: Tool[] = [
  tool({
    name: 'get_task',
    title: 'Get a task',
    description:
      'Read the current state of one task: its fields plus version, updated_at and updated_by. Read before you change a task, and pass its version as expected_version to update_task. NOT_FOUND if the task does not exist.',
    input: z.strictObject({ task_id: taskId }),
    annotations: read,
    async run({ task_id }, { store }) {
      const state = await store.getTaskState(task_id);
      if (!state) throw new NotFoundError(`task ${task_id} does not exist`, { task_id });
      return state;
    },
  }),
  tool({
    name: 'list_tasks',
    title: 'List tasks',
    description: `The current state of the tasks, by id, optionally only those with a given status; at most \`limit\` (default ${LIST_PAGE}) from \`offset\`, with the \`total\` that match. Use it to find work and to see what other agents are doing.`,
    input: z.strictObject({
      status: z.string().max(200).optional().describe('Only tasks whose status field equals this (e.g. "in_progress")'),
      limit: z.number().int().min(1).max(10_000).optional().describe(`At most this many tasks (default ${LIST_PAGE})`),
      offset: z.number().int().min(0).optional().describe('Skip this many matching tasks first (for the next page)'),
    }),
    annotations: read,
    async run({ status, limit, offset }, { store }) {
      const all = await store.listTasks();
      const matching = (status === undefined ? all : all.filter((t) => t.status === status)).sort((a, b) =>
        a.task_id < b.task_id ? -1 : a.task_id > b.task_id ? 1 : 0,
      );
      const from = offset ?? 0;
      return { tasks: matching.slice(from, from + (limit ?? LIST_PAGE)), total: matching.length, offset: from };
    },
  }),
  tool({
    name: 'task_history',
    title: 'Task history',
    description:
      "A task's versions, newest first (the current one included), with who wrote each. Use it to see how a task got where it is, or to pick a version for restore_task_version.",
    input: z.strictObject({
      task_id: taskId,
      limit: z
        .number()
        .int()
        .min(1)
        .max(200)
        .optional()
        .describe('At most this many versions (default 20); `omitted` counts the older ones kept'),
    }),
    annotations: read,
    async run({ task_id, limit }, { store }) {
      const page = await store.getTaskHistoryPage(task_id, limit ?? 20);
      if (page.versions.length === 0 && !(await store.getTaskState(task_id)))
        throw new NotFoundError(`task ${task_id} does not exist`, { task_id });
      return page;
    },
  }),
  tool({
    name: 'update_task',
    title: 'Update a task',
    description: [
      'Merge `changes` into a task (creating it if needed) and return the new state. Fields you leave out are kept; task_id, version, updated_at and updated_by are set by Lockstep.',
      "Pass expected_version (the version you read) so you never overwrite someone else's change: a stale one gives VERSION_CONFLICT.",
      'For read-think-write work, take the write lock first (acquire_lock), read, then pass its handle as `lock`: nobody can commit in between.',
      'Without `lock`, the write takes the lock itself for just this commit, waiting up to timeout_ms (LOCK_TIMEOUT if another agent holds it that long).',
    ].join(' '),
    input: z.strictObject({
      task_id: taskId,
      changes: jsonObject.describe(
        'Fields to set, as a JSON object (e.g. {"status": "in_progress", "progress": 10}); at most max_state_bytes (8 MiB) in all',
      ),
      expected_version: expectedVersion,
      session: sessionId
        .optional()
        .describe("Also record the task in this session (sets session_id, adds the task to the session's task_ids)"),
      lock: commitLock,
      timeout_ms: timeoutMs,
    }),
    annotations: write,
    async run(args, { store, locks, owner }) {
      const lock = args.lock === undefined ? undefined : locks.forCommit(args.lock, args.task_id);
      return store.updateTaskState(args.task_id, args.changes, {
        expectedVersion: args.expected_version,
        session: args.session,
        owner,
        timeout: args.timeout_ms,
        lock,
      });
    },
  }),
  tool({
    name: 'restore_task_version',
    title: 'Restore a task version',
    description:
      'Write an earlier version of a task back as a new version (history is kept: this can itself be undone). Pick the version from task_history.',
    input: z.strictObject({ task_id: taskId, version, expected_version: expectedVersion, lock: commitLock, timeout_ms: timeoutMs }),
    annotations: write,
    async run(args, { store, locks, owner }) {
      const lock = args.lock === undefined ? undefined : locks.forCommit(args.lock, args.task_id);
      return store.restoreTaskVersion(args.task_id, args.version, {
        expectedVersion: args.expected_version,
        owner,
        timeout: args.timeout_ms,
        lock,
      });
    },
  }),
  tool({
    name: 'acquire_lock',
    title: 'Acquire a lock',
    description: [
      'Take a lock on a task and keep it across calls until release_lock: returns a `handle`.',
      'A write lock is exclusive: take it before read-think-write work, read the task, then commit with update_task({lock: handle}) and release.',
      'Read locks are shared, and keep writers out while you read several things consistently.',
      'Waits up to timeout_ms while another agent holds it, then fails with LOCK_TIMEOUT (list_locks shows who holds it).',
      'The lock is released if you disconnect; always release it when done.',
    ].join(' '),
    input: z.strictObject({
      task_id: taskId,
      mode: z.enum(['read', 'write']).optional().describe('"write" (default): exclusive; "read": shared with other readers'),
      timeout_ms: timeoutMs,
    }),
    annotations: write,
    async run({ task_id, mode, timeout_ms }, { store, locks, owner, signal }) {
      const held = await locks.acquire(task_id, mode ?? 'write', { timeout: timeout_ms, owner, signal });
      return { handle: held.handle, ...publicRecord(held.lock.record), lease_ms: store.config.lease_ms };
    },
  }),
  tool({
    name: 'release_lock',
    title: 'Release a lock',
    description:
      'Release a lock taken with acquire_lock, so others can proceed. `lost: true` means its lease had run out (this server was stopped) and another agent took it over meanwhile: nothing you committed under it after that was kept.',
    input: z.strictObject({ handle: lockHandle }),
    annotations: { ...write, idempotentHint: true },
    async run({ handle }, { locks }) {
      return { handle, ...(await locks.release(handle)) };
    },
  }),
  tool({
    name: 'list_locks',
    title: 'List locks',
    description:
      'Every lock holder (task, mode, owner, pid, host, alive, expires_at) with the agents waiting behind it, and any deadlock (a cycle of agents each waiting for a lock another holds). Locks this connection holds carry their `handle`.',
    input: z.strictObject({}),
    annotations: read,
    run: (_args, { store, locks }) => lockTable(store, locks),
  }),
  tool({
    name: 'create_session',
    title: 'Create a session',
    description:
      'Start a session: a named run of work that groups the tasks you update with `session`, and that checkpoints are taken of. Returns the session with its id.',
    input: z.strictObject({
      options: jsonObject
        .optional()
        .describe('Anything to remember with the session, e.g. {"branch": "feature/x", "agent": "claude-code"}'),
    }),
    annotations: write,
    async run({ options }, { store }) {
      return store.createSession((options ?? {}) as never);
    },
  }),
  tool({
    name: 'update_session',
    title: 'Update a session',
    description:
      'Merge `changes` into a session, e.g. {"status": "completed"} when the work is done. id, started_at and metrics are kept by Lockstep.',
    input: z.strictObject({ session_id: sessionId, changes: jsonObject.describe('Fields to set, as a JSON object') }),
    annotations: write,
    async run({ session_id, changes }, { store }) {
      return store.updateSession(session_id, changes);
    },
  }),
  tool({
    name: 'create_checkpoint',
    title: 'Create a checkpoint',
    description: "Save a session's tasks as they are now, before risky work: restore_checkpoint brings them back.",
    input: z.strictObject({
      session_id: sessionId,
      reason: REQUEST_SCHEMAS.createCheckpoint.shape.reason.describe('Why (shown in the dashboard)'),
    }),
    annotations: write,
    async run({ session_id, reason }, { store }) {
      return store.createCheckpoint(session_id, reason ?? 'mcp');
    },
  }),
  tool({
    name: 'restore_checkpoint',
    title: 'Restore a checkpoint',
    description:
      "Write a checkpoint's tasks and session back, each task as a new version. Use dry_run: true first to see what would change. The result names undo_checkpoint_id: restoring it undoes this restore.",
    input: z.strictObject({
      checkpoint_id: checkpointId,
      dry_run: z.boolean().optional().describe('Only preview the changes, task by task; write nothing'),
    }),
    annotations: { ...write, destructiveHint: true },
    async run({ checkpoint_id, dry_run }, { store }) {
      return dry_run ? store.previewRestore(checkpoint_id) : store.restoreCheckpoint(checkpoint_id);
    },
  }),
  tool({
    name: 'verify',
    title: 'Verify integrity',
    description:
      'Check stored state for damage (unreadable or inconsistent versions): one task, or all. Returns {issues: [...]}, empty when all is well.',
    input: z.strictObject({ task_id: taskId.optional().describe('Only this task (default: every task)') }),
    annotations: read,
    async run({ task_id }, { store }) {
      return { issues: task_id === undefined ? await store.verifyAllStates() : await store.verifyTaskState(task_id) };
    },
  }),
];
