import type { FieldChanges, JsonValue } from './model.ts';

/** Deep equality for JSON values (key order does not matter). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  const ao = a as Record<string, JsonValue>;
  const bo = b as Record<string, JsonValue>;
  const keys = Object.keys(ao);
  if (keys.length !== Object.keys(bo).length) return false;
  return keys.every((k) => Object.hasOwn(bo, k) && jsonEqual(ao[k], bo[k]));
}

/**
 * Top-level field changes between two objects. `ignore` lists fields that
 * change on every write (version, updated_at) and would only add noise.
 */
export function diffFields(
  before: Record<string, JsonValue> | null | undefined,
  after: Record<string, JsonValue> | null | undefined,
  ignore: readonly string[] = [],
): FieldChanges {
  const prev = before ?? {};
  const next = after ?? {};
  const changes: FieldChanges = { added: [], modified: [], removed: [] };
  for (const key of Object.keys(next)) {
    if (ignore.includes(key)) continue;
    if (!Object.hasOwn(prev, key)) changes.added.push(key);
    else if (!jsonEqual(prev[key], next[key])) changes.modified.push(key);
  }
  for (const key of Object.keys(prev)) {
    if (!ignore.includes(key) && !Object.hasOwn(next, key)) changes.removed.push(key);
  }
  return changes;
}

export function hasChanges(changes: FieldChanges): boolean {
  return changes.added.length + changes.modified.length + changes.removed.length > 0;
}
