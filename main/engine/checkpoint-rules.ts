// The rules of checkpoints that do not depend on where they are kept: how
// one is named and laid out, how its creation is described, and how a
// restore preview compares a session. Both the file backend (checkpoints.ts)
// and the etcd backend (etcd/checkpoints.ts) use these.
import type { Checkpoint, FieldChanges, JsonObject, RestorePreview, RestorePreviewItem, Session, TaskState } from '../../shared/model.ts';
import { summarizeCheckpoint } from '../../shared/checkpoint-summary.ts';
import { diffFields, hasChanges } from '../../shared/diff.ts';
import { LockstepError, PartialRestoreError } from './errors.ts';

export interface CheckpointContent {
  session: Session;
  tasks: Record<string, TaskState>;
  reason: string;
  undoOf?: string;
}

/** `YYYY-MM-DD-HHMMSS` of `date` (UTC): a checkpoint id before any `-<n>` suffix. */
export function checkpointBaseId(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

/**
 * The first suffix worth trying after the ids already `taken`: many
 * checkpoints in one second would otherwise each retry every taken id.
 */
export function firstFreeSuffix(base: string, taken: Iterable<string | null>): number {
  let first = 1;
  for (const id of taken) {
    if (id === base) first = Math.max(first, 2);
    const m = id === null ? null : /^(.+)-(\d+)$/.exec(id);
    if (m && m[1] === base) first = Math.max(first, Number(m[2]) + 1);
  }
  return first;
}

export function checkpointIdAt(base: string, n: number): string {
  return n === 1 ? base : `${base}-${n}`;
}

/** Summary fields first, `session` right after them: a summary can be read from the head alone. */
export function buildCheckpoint(id: string, now: Date, { session, tasks, reason, undoOf }: CheckpointContent): Checkpoint {
  return {
    id,
    session_id: session.id,
    created_at: now.toISOString(),
    ...(undoOf ? { undo_of: undoOf } : {}),
    reason,
    task_count: Object.keys(tasks).length,
    session,
    tasks,
  };
}

export function checkpointCreatedDescription(checkpoint: Checkpoint): string {
  return `checkpoint ${checkpoint.id} of session ${checkpoint.session_id} (${checkpoint.reason}, ${checkpoint.task_count} tasks)`;
}

const SESSION_NOISE = ['id', 'updated_at', 'metrics'] as const;

export function diffSession(current: Session | null, wanted: Session): FieldChanges {
  return diffFields(current as JsonObject | null, wanted as unknown as JsonObject, SESSION_NOISE);
}

/** A restore preview of `checkpoint` from its task items and the session as stored now (null: missing or unreadable). */
export function restorePreview(checkpoint: Checkpoint, items: RestorePreviewItem[], currentSession: Session | null): RestorePreview {
  const changes = diffSession(currentSession, checkpoint.session);
  return {
    checkpoint: { ...summarizeCheckpoint(checkpoint), task_count: items.length },
    items,
    session: { changes, unchanged: currentSession !== null && !hasChanges(changes) },
  };
}

/**
 * The error of a restore that stopped at `writing` ("task <id>" or the
 * session) after `restored` were written: what was done, what failed, and the
 * undo checkpoint to go back with.
 */
export function partialRestoreError(
  id: string,
  writing: string,
  err: unknown,
  { restored, changed, undo }: { restored: string[]; changed: string[]; undo: { id: string } | null },
): PartialRestoreError {
  const cause = err instanceof Error ? err.message : String(err);
  const undoHint = undo && changed.length > 0 ? ` To undo what was written, restore checkpoint ${undo.id}.` : '';
  return new PartialRestoreError(
    `restore of checkpoint ${id} stopped at ${writing}: ${cause}. Restored so far: ${restored.join(', ') || 'none'}. Running the restore again is safe.${undoHint}`,
    restored,
    {
      checkpoint_id: id,
      failed_task: writing.startsWith('task ') ? writing.slice(5) : null,
      changed,
      undo_checkpoint_id: undo?.id ?? null,
      cause_code: err instanceof LockstepError ? err.code : 'INTERNAL',
    },
  );
}
