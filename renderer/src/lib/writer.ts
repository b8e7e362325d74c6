// One wording for who wrote a version, wherever the dashboard shows it: the
// task header, the version timeline and the tasks table.
import type { Writer } from '../../../shared/model.ts';

/** Shown when the writing process gave no owner label (the engine's default owner is ""). */
export const UNNAMED_WRITER = 'unnamed writer';
/** Shown when a version carries no writer at all (written without Lockstep). */
export const UNKNOWN_WRITER = 'writer unknown';

/** An owner label as shown: itself, or "unnamed writer" when empty or absent. */
export function ownerLabel(owner: string | null | undefined): string {
  return owner ? owner : UNNAMED_WRITER;
}

/** Who wrote a version, from its parsed `updated_by` (null: none recorded). */
export function writerLabel(writer: Writer | null): string {
  return writer ? ownerLabel(writer.owner) : UNKNOWN_WRITER;
}

/** True when the label names no one: shown muted, so it does not read like an owner called that. */
export function isAnonymous(label: string): boolean {
  return label === UNNAMED_WRITER || label === UNKNOWN_WRITER;
}
