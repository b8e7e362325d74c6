// Turns task versions into what the timeline and the restore dialogs show:
// per-field rows (added / modified old → new / removed) from shared/diff.ts.
import { diffFields } from '../../../shared/diff.ts';
import type { FieldChanges, JsonObject, JsonValue, TaskState, Writer } from '../../../shared/model.ts';
import { previewValue } from './format.ts';

/** Identity and fields rewritten on every write: they would only make diffs noisy. */
export const NOISE_FIELDS = ['task_id', 'version', 'updated_at', 'updated_by'] as const;

export type DiffKind = 'added' | 'modified' | 'removed';

export interface DiffRow {
  kind: DiffKind;
  field: string;
  /** One-line previews of the values (absent on the side that lacks the field). */
  before?: string;
  after?: string;
}

export function diffRows(before: JsonObject | null, after: JsonObject | null, max = 80): DiffRow[] {
  const changes = diffFields(before, after, NOISE_FIELDS);
  return rowsFromChanges(changes, before, after, max);
}

export function rowsFromChanges(changes: FieldChanges, before: JsonObject | null, after: JsonObject | null, max = 80): DiffRow[] {
  const value = (obj: JsonObject | null, key: string): JsonValue | undefined => (obj && Object.hasOwn(obj, key) ? obj[key] : undefined);
  return [
    ...changes.modified.map((field): DiffRow => ({
      kind: 'modified',
      field,
      before: previewValue(value(before, field), max),
      after: previewValue(value(after, field), max),
    })),
    ...changes.added.map((field): DiffRow => ({ kind: 'added', field, after: previewValue(value(after, field), max) })),
    ...changes.removed.map((field): DiffRow => ({ kind: 'removed', field, before: previewValue(value(before, field), max) })),
  ];
}

/** "+1 ~2 −1", or "no changes". */
export function changeSummary(changes: FieldChanges): string {
  const parts: string[] = [];
  if (changes.added.length) parts.push(`+${changes.added.length}`);
  if (changes.modified.length) parts.push(`~${changes.modified.length}`);
  if (changes.removed.length) parts.push(`−${changes.removed.length}`);
  return parts.length ? parts.join(' ') : 'no changes';
}

/** How restoring `target` over `current` changes the task's session link; null when it keeps it (or there is none). */
export function sessionLinkChange(current: TaskState, target: TaskState): { from: string; to: string | null } | null {
  const from = typeof current.session_id === 'string' ? current.session_id : null;
  const to = typeof target.session_id === 'string' ? target.session_id : null;
  return from !== null && from !== to ? { from, to } : null;
}

export function writerOf(state: TaskState): Writer | null {
  const w = state.updated_by;
  if (!w || typeof w !== 'object' || Array.isArray(w)) return null;
  const owner = typeof w.owner === 'string' ? w.owner : null;
  if (owner === null) return null;
  return { owner, pid: typeof w.pid === 'number' ? w.pid : 0, host: typeof w.host === 'string' ? w.host : '' };
}

export interface TimelineEntry {
  state: TaskState;
  version: number;
  writer: Writer | null;
  isCurrent: boolean;
  /** The version this one is compared with: the next older one we have. */
  base: TaskState | null;
  /** How this version relates to `base`. */
  baseKind: 'previous' | 'gap' | 'created' | 'oldest-retained';
  rows: DiffRow[];
}

/** Timeline entries for a history (newest first, as getTask returns it). */
export function buildTimeline(history: readonly TaskState[]): TimelineEntry[] {
  return history.map((state, i) => {
    const base = history[i + 1] ?? null;
    const baseKind: TimelineEntry['baseKind'] = base
      ? base.version === state.version - 1
        ? 'previous'
        : 'gap'
      : state.version <= 1
        ? 'created'
        : 'oldest-retained';
    return {
      state,
      version: state.version,
      writer: writerOf(state),
      isCurrent: i === 0,
      base,
      baseKind,
      // The oldest retained version has nothing to compare with: no rows, not "everything added".
      rows: baseKind === 'oldest-retained' ? [] : diffRows(base, state),
    };
  });
}

/** Approximate serialized size (UTF-16 units ≈ bytes for ASCII JSON) to decide what is "huge". */
export function approxJsonSize(value: JsonValue): number {
  return JSON.stringify(value).length;
}

export const HUGE_JSON_BYTES = 200 * 1024;
