// The rules of sessions that do not depend on where they are kept: what a
// stored session must contain, what a new one looks like, and what an update
// may change. Both the file backend (sessions.ts) and the etcd backend
// (etcd/sessions.ts) use these, so the two cannot drift apart.
import type { JsonObject, Session } from '../../shared/model.ts';
import { isTaskId } from '../../shared/ids.ts';
import { canonicalJson } from './canonical-json.ts';
import { InvalidInputError, VersionConflictError } from './errors.ts';
import { isPlainObject } from './fsx.ts';
import { assertSessionId } from './paths.ts';

/**
 * Fields of a session the engine derives each time it is read, never stored
 * truth: its metrics (from its tasks) and `alive` (whether a process that
 * created or updated it still runs with its store open: session-marks.ts on
 * files, etcd/sessions.ts on etcd).
 */
export const DERIVED_SESSION_FIELDS = ['metrics', 'alive'] as const;

/** Fields of a session the engine owns; updates cannot set them. */
const ENGINE_SESSION_FIELDS = ['id', 'started_at', 'updated_at', ...DERIVED_SESSION_FIELDS] as const;

/** A session without its derived fields: what is stored, and what migration compares. */
export function withoutDerived(session: Session): Omit<Session, 'metrics'> {
  const { metrics: _metrics, alive: _alive, ...rest } = session;
  return rest;
}

/** A stored session, normalised, or why it is not one. */
export function checkSession(value: unknown, id: string): Session | string {
  if (!isPlainObject(value)) return 'not a JSON object';
  if (typeof value.status !== 'string') return 'missing "status"';
  if (typeof value.started_at !== 'string') return 'missing "started_at"';
  const taskIds = Array.isArray(value.task_ids) ? value.task_ids.filter(isTaskId) : [];
  // A stored `alive` (a session copied from a live read) would outlive the process it describes.
  const { alive: _alive, ...stored } = value as JsonObject;
  return {
    ...stored,
    id,
    status: value.status,
    started_at: value.started_at,
    updated_at: typeof value.updated_at === 'string' ? value.updated_at : value.started_at,
    options: isPlainObject(value.options) ? (value.options as JsonObject) : {},
    task_ids: taskIds,
    metrics: { total_tasks: taskIds.length, completed: 0, in_progress: 0, failed: 0 },
  } as Session;
}

/** The `n`th session of the day `now` falls on: `<date>-<NNN>`, active, with no tasks. */
export function newSession(now: string, n: number, options: JsonObject): Session {
  return {
    id: `${now.slice(0, 10)}-${String(n).padStart(3, '0')}`,
    status: 'active',
    started_at: now,
    updated_at: now,
    options,
    task_ids: [],
    metrics: { total_tasks: 0, completed: 0, in_progress: 0, failed: 0 },
  };
}

/** Refuses an update payload (already a checked JSON object) whose task_ids or status have the wrong type. */
export function checkSessionUpdate(payload: JsonObject): void {
  if (payload.task_ids !== undefined && (!Array.isArray(payload.task_ids) || !payload.task_ids.every(isTaskId))) {
    throw new InvalidInputError('task_ids must be an array of valid task ids');
  }
  if (payload.status !== undefined && typeof payload.status !== 'string') throw new InvalidInputError('status must be a string');
}

/** `payload` merged over `current`, the engine's own fields kept. */
export function mergeSessionUpdate(current: Session, payload: JsonObject): Session {
  const merged = { ...current, ...payload } as Session;
  for (const f of ENGINE_SESSION_FIELDS) {
    if (current[f] === undefined) delete merged[f];
    else (merged as Record<string, unknown>)[f] = current[f];
  }
  return merged;
}

export function sessionUpdateDescription(id: string, payload: JsonObject): string {
  return `updated session ${id} (${Object.keys(payload).join(', ') || 'no fields'})`;
}

/** A session given to import (migration), checked: its id; an InvalidInputError when it cannot be one. */
export function checkImportedSession(given: unknown): string {
  if (!isPlainObject(given)) throw new InvalidInputError('a session to import must be a JSON object');
  const id = assertSessionId(given.id);
  if (typeof given.status !== 'string' || typeof given.started_at !== 'string' || !Array.isArray(given.task_ids)) {
    throw new InvalidInputError(`session ${id}: a session to import needs status, started_at and task_ids`, { session_id: id });
  }
  return id;
}

/**
 * Importing `given` where `existing` is stored: 'same' when they hold the
 * same data, 'replace' when `existing` is an older copy (earlier updated_at);
 * a newer or different one is refused, and nothing is imported.
 */
export function sessionImportVerdict(existing: Session, given: Session): 'same' | 'replace' {
  if (sessionCompareKey(existing) === sessionCompareKey(given)) return 'same';
  if (existing.updated_at < given.updated_at) return 'replace';
  throw new VersionConflictError(
    `session ${given.id}: the target holds a different session, updated at ${existing.updated_at}; nothing was imported`,
    null,
    null,
    { session_id: given.id },
  );
}

/** A session as compared between stores: derived fields left out, the defaults a reader fills in filled in. */
function sessionCompareKey(session: Session): string {
  const rest = withoutDerived(session);
  return canonicalJson({
    ...rest,
    updated_at: rest.updated_at ?? rest.started_at,
    options: isPlainObject(rest.options) ? rest.options : {},
  });
}
