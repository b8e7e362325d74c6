// One handler per request of the contract. Both hosts (Electron IPC and the
// serve WebSocket) call `dispatch`, which validates the payload with the
// contract's zod schema and always answers with a Result: handlers never
// throw raw errors across the boundary.
import { summarizeCheckpoint } from '../../shared/checkpoint-summary.ts';
import { REQUEST_CHANNELS, type RequestMethod } from '../../shared/channels.ts';
import { REQUEST_SCHEMAS, TASK_HISTORY_LIMIT, type RequestOf, type Responses, type Result } from '../../shared/contract.ts';
import type { SerializedError } from '../../shared/errors.ts';
import type { TaskState } from '../../shared/model.ts';
import { LockstepError } from '../engine/public.ts';
import type { DemoRunner } from './demo.ts';
import { answerLockEvents } from './lock-history.ts';
import type { Subscription } from './publisher.ts';
import type { StateHost } from './state-host.ts';

export type Handlers = { [M in RequestMethod]: (request: RequestOf<M>) => Promise<Responses[M]> };
/** Every handler but `ready`, which each connection answers with its own subscription. */
export type HostHandlers = Omit<Handlers, 'ready'>;

/** One connection's handlers: the host's, and `ready` for the subscription that feeds this connection. */
export function connectionHandlers(handlers: HostHandlers, subscription: Subscription): Handlers {
  return { ...handlers, ready: () => subscription.ready() };
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof LockstepError) return { code: err.code, message: err.message, details: err.details };
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

export function createHandlers(host: StateHost, demo: DemoRunner): HostHandlers {
  const store = () => host.store;
  return {
    getTask: async ({ taskId, after }) => {
      try {
        const state = await store().getTaskState(taskId);
        const page = historyPage(state, after);
        const { versions, omitted } = await store().getTaskHistoryPage(taskId, page.limit);
        const since = page.after;
        const history = since === null ? versions : versions.filter((v) => v.version > since);
        return { task_id: taskId, state, history, after: since, retained: versions.length + omitted, error: null };
      } catch (err) {
        return { task_id: taskId, state: null, history: [], after: null, retained: 0, error: serializeError(err) };
      }
    },
    restoreTaskVersion: ({ taskId, version, expectedVersion }) =>
      store().restoreTaskVersion(taskId, version, { expectedVersion, owner: 'dashboard' }),
    recoverTask: async ({ taskId }) => {
      const result = await store().recoverTaskState(taskId);
      // Only this task can have changed: verify it alone, not every task of the root.
      host.replaceTaskIssues(taskId, await store().verifyTaskState(taskId));
      return result;
    },
    breakLock: ({ taskId }) => store().breakLock(taskId),
    getContention: async ({ windowMs }) => {
      await host.whenLockHistoryRead();
      return host.contentionFor(windowMs);
    },
    getLockEvents: async ({ limit, ...request }) => {
      await host.whenLockHistoryRead(); // else lines read with the tail would be neither answered nor pushed
      return answerLockEvents(host.lockHistory, store(), { ...request, limit: limit ?? 50_000 });
    },
    createCheckpoint: async ({ sessionId, reason }) =>
      summarizeCheckpoint(await store().createCheckpoint(sessionId, reason ?? 'manual (dashboard)')),
    previewRestore: ({ checkpointId }) => store().previewRestore(checkpointId),
    restoreCheckpoint: async ({ checkpointId }) => {
      const s = store();
      const off = s.on('state.checkpoint_restore_progress', (p) => host.emit('restoreProgress', p));
      try {
        return await s.restoreCheckpoint(checkpointId);
      } finally {
        off();
      }
    },
    getActivity: ({ limit, taskId }) => store().readAuditLog({ task: taskId, limit }),
    runVerify: () => store().verifyAllStates(),
    migrateLegacy: async () => (await store().init()).migrated,
    startDemo: (request) => demo.start(request),
  };
}

/**
 * How many versions a getTask reads, and the `after` it honours (null: the
 * whole list). Version numbers only grow, so the newest (current - after)
 * retained versions hold every one newer than `after`.
 */
function historyPage(state: TaskState | null, after: number | undefined): { after: number | null; limit: number } {
  if (!state || after === undefined || after > state.version || state.version - after > TASK_HISTORY_LIMIT) {
    return { after: null, limit: TASK_HISTORY_LIMIT };
  }
  // At least one: the page then holds the current version, and counts the retained ones as a full read does.
  return { after, limit: Math.max(1, state.version - after) };
}

/**
 * Validate and run one request. Unknown methods, invalid payloads and
 * failures (a payload too deep for the validator included) are answered with
 * a Result; the promise never rejects.
 */
export async function dispatch(handlers: Handlers | HostHandlers, method: unknown, payload: unknown): Promise<Result<unknown>> {
  try {
    if (typeof method !== 'string' || !Object.hasOwn(REQUEST_CHANNELS, method)) {
      return { ok: false, error: { code: 'INVALID_INPUT', message: `unknown method ${describe(method)}` } };
    }
    const m = method as RequestMethod;
    const parsed = REQUEST_SCHEMAS[m].safeParse(payload ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return {
        ok: false,
        error: {
          code: 'INVALID_INPUT',
          message: `invalid ${m} request: ${issue ? `${issue.path.join('.') || '(payload)'}: ${issue.message}` : 'malformed'}`,
        },
      };
    }
    const handler = (handlers as Partial<Handlers>)[m] as ((request: unknown) => Promise<unknown>) | undefined;
    if (!handler) return { ok: false, error: { code: 'INVALID_INPUT', message: `${m} is not answered here` } };
    return { ok: true, value: await handler(parsed.data) };
  } catch (err) {
    return { ok: false, error: serializeError(err) };
  }
}

/** A method name for an error message: a client may send anything, even an array nested too deep to stringify. */
function describe(method: unknown): string {
  return typeof method === 'string'
    ? JSON.stringify(method.slice(0, 100))
    : `of type ${Array.isArray(method) ? 'array' : method === null ? 'null' : typeof method}`;
}
