// The rules of a task commit that do not depend on where versions are kept:
// what an update payload may be, how a new version is numbered and stamped,
// and how updates and restores describe themselves. Both backends (the file
// backend in tasks.ts, the etcd backend in etcd/tasks.ts) commit through
// these, so the two cannot drift apart.
import type { FieldChanges, JsonObject, TaskState } from '../../shared/model.ts';
import { ENGINE_TASK_FIELDS } from '../../shared/model.ts';
import { InvalidInputError, VersionConflictError } from './errors.ts';
import { isPlainObject } from './fsx.ts';
import { HOST } from './identity.ts';

export interface CommitSpec {
  /** The new user content (engine fields are added on top), from the current state. */
  next(current: TaskState | null): JsonObject;
  changeType: 'task_updated' | 'task_restored';
  describe(current: TaskState | null, next: TaskState, changes: FieldChanges): string;
}

/**
 * Validates an update payload: a plain JSON object of at most `limit` bytes.
 * `limitNote` says where the limit comes from, for the error message.
 */
export function checkUpdatePayload(
  updates: unknown,
  limit: number,
  limitNote = ' (max_state_bytes)',
): { updates: JsonObject; bytes: number } {
  if (!isPlainObject(updates)) {
    const what = updates === null ? 'null' : Array.isArray(updates) ? 'an array' : typeof updates;
    throw new InvalidInputError(`update payload must be a JSON object, got ${what}`);
  }
  let json: string;
  try {
    json = JSON.stringify(updates);
  } catch (err) {
    throw new InvalidInputError(`update payload is not serializable as JSON: ${(err as Error).message}`);
  }
  const bytes = Buffer.byteLength(json);
  if (bytes > limit) {
    throw new InvalidInputError(`update payload is ${bytes} bytes; the limit is ${limit}${limitNote}`, { bytes, limit });
  }
  // Round-trip so the stored content is exactly what JSON can represent.
  return { updates: JSON.parse(json) as JsonObject, bytes };
}

export function assertExpectedVersion(expected: number | undefined): void {
  if (expected !== undefined && (!Number.isInteger(expected) || expected < 0)) {
    throw new InvalidInputError(`expectedVersion must be a non-negative integer, got ${JSON.stringify(expected)}`);
  }
}

export function versionConflict(taskId: string, expected: number, current: number): VersionConflictError {
  return new VersionConflictError(
    `task ${taskId}: expected version ${expected}, but the current version is ${current}`,
    expected,
    current,
    { task_id: taskId },
  );
}

/** User content of a state: everything except the engine-managed fields. */
export function userContent(state: TaskState | JsonObject | null): JsonObject {
  const out: JsonObject = { ...(state ?? {}) };
  for (const f of ENGINE_TASK_FIELDS) delete out[f];
  return out;
}

/** The version after `currentVersion`: `content` stamped with its number, time and writer. */
export function nextVersion(taskId: string, content: JsonObject, currentVersion: number, owner: string): TaskState {
  return {
    ...userContent(content),
    task_id: taskId,
    version: currentVersion + 1,
    updated_at: new Date().toISOString(),
    updated_by: { owner, pid: process.pid, host: HOST },
  };
}

/** The audit details of a commit from `previous` to `next`. */
export function commitAuditDetails(
  taskId: string,
  previous: TaskState | null,
  next: TaskState,
): { task_id: string; session_id: string | undefined; old_version: number | null; new_version: number } {
  return {
    task_id: taskId,
    session_id: typeof next.session_id === 'string' ? next.session_id : undefined,
    old_version: previous?.version ?? null,
    new_version: next.version,
  };
}

/** An update: the payload's fields merged over the current content. */
export function updateSpec(taskId: string, payload: JsonObject): CommitSpec {
  return {
    changeType: 'task_updated',
    next: (current) => ({ ...userContent(current), ...userContent(payload) }),
    describe: (prev, _next, changes) => {
      const parts = [
        changes.added.length ? `+${changes.added.join(',')}` : '',
        changes.modified.length ? `~${changes.modified.join(',')}` : '',
        changes.removed.length ? `-${changes.removed.join(',')}` : '',
      ].filter(Boolean);
      return `${prev ? 'updated' : 'created'} task ${taskId}${parts.length ? ` (${parts.join(' ')})` : ''}`;
    },
  };
}

/** A restore: `content` (a history version or a checkpoint, named by `what`) written back as a new version. */
export function restoreSpec(content: JsonObject, what: string): CommitSpec {
  return {
    changeType: 'task_restored',
    next: () => userContent(content),
    describe: (prev, next) => restoreDescription(what, prev, next),
  };
}

export function restoreDescription(what: string, previous: TaskState | null, next: TaskState): string {
  return `restored ${what} as version ${next.version} (was ${previous?.version ?? 'absent'})`;
}
