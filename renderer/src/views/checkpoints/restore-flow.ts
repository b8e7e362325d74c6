// The checkpoint restore flow as a small state machine, kept pure so its
// transitions are tested without a DOM.
import type { RestoreProgress, Responses } from '../../../../shared/contract.ts';
import { sessionChangeId, type CheckpointSummary, type RestoreResult } from '../../../../shared/model.ts';
import type { ApiError } from '../../bridge/api.ts';

type Preview = Responses['previewRestore'];

/** Every step knows which checkpoint it is about: undo and redo switch to another one in the same dialog. */
export type RestoreFlow =
  | { step: 'loading'; checkpointId: string }
  | { step: 'preview'; checkpointId: string; preview: Preview }
  | { step: 'running'; checkpointId: string; preview: Preview | null; done: number; total: number; current: string | null }
  | { step: 'done'; checkpointId: string; result: RestoreResult }
  | { step: 'failed'; checkpointId: string; error: ApiError; during: 'preview' | 'restore'; preview: Preview | null };

/** Start restoring `checkpointId`: from its preview, or at once (undo and redo in the summary). */
export function startRunning(flow: RestoreFlow, checkpointId = flow.checkpointId): RestoreFlow {
  if (flow.step === 'preview' && checkpointId === flow.checkpointId) {
    const changing = flow.preview.items.filter((i) => !i.unchanged).length;
    return { step: 'running', checkpointId, preview: flow.preview, done: 0, total: changing || flow.preview.items.length, current: null };
  }
  // Undo from a summary, or from a restore that stopped part-way: no preview, it starts at once.
  if ((flow.step === 'done' || flow.step === 'failed') && checkpointId !== flow.checkpointId) {
    return { step: 'running', checkpointId, preview: null, done: 0, total: 0, current: null };
  }
  return flow;
}

/** Progress events for the checkpoint being restored advance the bar; others are ignored. */
export function onProgress(flow: RestoreFlow, event: RestoreProgress): RestoreFlow {
  if (flow.step !== 'running' || event.checkpoint_id !== flow.checkpointId) return flow;
  return { ...flow, done: Math.max(flow.done, event.done), total: event.total, current: event.task_id };
}

export function previewCounts(preview: Preview): { changing: number; unchanged: number; missing: number } {
  let changing = 0;
  let unchanged = 0;
  let missing = 0;
  for (const item of preview.items) {
    if (item.unchanged) unchanged++;
    else changing++;
    if (item.current_version === null) missing++;
  }
  return { changing, unchanged, missing };
}

/** The tasks a restore wrote, and whether it rewrote the session file (`changed` names both). */
export function splitChanged(result: RestoreResult): { tasks: string[]; session: boolean } {
  const sessionId = sessionChangeId(result.session_id);
  return { tasks: result.changed.filter((id) => id !== sessionId), session: result.changed.includes(sessionId) };
}

/**
 * What restoring a checkpoint means to the user. Every restore first saves
 * an undo checkpoint (`undo_of`), and restoring that undoes it, which saves
 * another one: restoring that redoes the original, and so on. Counting the
 * links back to the first, ordinary checkpoint tells which it is.
 */
export interface RestoreMeaning {
  kind: 'restore' | 'undo' | 'redo';
  /** The ordinary checkpoint at the start of the chain: the one whose restore is undone or redone. */
  origin: string;
}

export function restoreMeaning(checkpoints: ReadonlyMap<string, CheckpointSummary>, checkpointId: string): RestoreMeaning {
  let depth = 0;
  let origin = checkpointId;
  const seen = new Set<string>();
  for (let c = checkpoints.get(checkpointId); c?.undo_of && !seen.has(c.id); c = checkpoints.get(c.undo_of)) {
    seen.add(c.id);
    depth++;
    origin = c.undo_of;
  }
  return { kind: depth === 0 ? 'restore' : depth % 2 === 1 ? 'undo' : 'redo', origin };
}

/** What restoring the undo checkpoint of a restore means: an undo of a restore or a redo, an undo of an undo or a redo. */
export function undoMeaning(restored: RestoreMeaning): RestoreMeaning {
  return { kind: restored.kind === 'undo' ? 'redo' : 'undo', origin: restored.origin };
}

/** The label of the button that restores a restore's undo checkpoint. */
export function undoLabel(restored: RestoreMeaning): string {
  return undoMeaning(restored).kind === 'redo' ? 'Redo restore' : 'Undo restore';
}

/**
 * How an undo checkpoint's row says when it was saved, by what the restore it
 * preceded meant: "before restore of A", "before undo of the restore of A"…
 * (the stored reason names the checkpoint restored, which for an undo is
 * another undo checkpoint: accurate, but not what a user thinks in).
 */
export function undoPointReason(checkpoints: ReadonlyMap<string, CheckpointSummary>, checkpoint: CheckpointSummary): string {
  if (!checkpoint.undo_of) return checkpoint.reason;
  const preceded = restoreMeaning(checkpoints, checkpoint.undo_of);
  return preceded.kind === 'restore'
    ? `before restore of ${preceded.origin}`
    : `before ${preceded.kind} of the restore of ${preceded.origin}`;
}
