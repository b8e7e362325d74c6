// The synced model, described once. Each collection the host pushes to the
// renderer says here what identifies an item and when two versions are the
// same; `diff`, `update` and `apply` do the rest on both sides, and the
// snapshot and patch types in contract.ts are derived from `SYNCED`.
//
// Adding a column to the Tasks table: add one entry to TASK_ROW_FIELDS (how
// the value is read from a task's state), then show it in the view. The host
// reads it, compares it, and sends it; the renderer store applies it.
import type { CheckpointSummary, Session, TaskLocks, TaskState } from './model.ts';

export interface Collection<T> {
  /** The item's id within its collection. */
  key(item: T): string;
  /** Two versions of an item look the same: nothing is sent, and the renderer keeps the old object. */
  equal(a: T, b: T): boolean;
}

/** How a patch changes one collection: items to put (by key) and keys to drop. */
export interface CollectionPatch<T> {
  upsert: T[];
  remove: string[];
}

/** Structural equality of plain data (what crosses the wire). */
export function sameData(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => Object.hasOwn(rb, k) && sameData(ra[k], rb[k]));
}

function structural<T>(key: (item: T) => string): Collection<T> {
  return { key, equal: sameData };
}

// ---- the Tasks table ----------------------------------------------------------

type FieldReaders = Record<string, (state: TaskState) => unknown>;
type FieldValues<F extends FieldReaders> = { [K in keyof F]: ReturnType<F[K]> };

/** A row of the tasks table: its id, the bytes of state.json, and one value per field reader. */
export type RowOf<F extends FieldReaders> = { task_id: string; size: number } & FieldValues<F>;

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Every pushed field of a task row, read from the task's state. One entry per column. */
export const TASK_ROW_FIELDS = {
  version: (s: TaskState): number => s.version,
  updated_at: (s: TaskState): string => s.updated_at,
  status: (s: TaskState) => text(s.status),
  session_id: (s: TaskState) => text(s.session_id),
  owner: (s: TaskState) => {
    const owner = (s.updated_by as { owner?: unknown } | undefined)?.owner;
    return typeof owner === 'string' && owner !== '' ? owner : null;
  },
  progress: (s: TaskState) => (typeof s.progress === 'number' ? s.progress : null),
} satisfies FieldReaders;

export interface RowCollection<F extends FieldReaders> extends Collection<RowOf<F>> {
  readonly fields: F;
  /** The row for a task's state (`size`: bytes of state.json, 0 when unknown). */
  fromState(state: TaskState, size: number): RowOf<F>;
}

/** A task-row collection over some field readers: equality compares exactly those fields. */
export function taskRows<F extends FieldReaders>(fields: F): RowCollection<F> {
  const names = Object.keys(fields);
  return {
    fields,
    key: (row) => row.task_id,
    equal: (a, b) => a.task_id === b.task_id && a.size === b.size && names.every((n) => Object.is(a[n], b[n])),
    fromState(state, size) {
      const row: Record<string, unknown> = { task_id: state.task_id, size };
      for (const n of names) row[n] = fields[n]!(state);
      return row as RowOf<F>;
    },
  };
}

export const TASKS = taskRows(TASK_ROW_FIELDS);
/** One row of the tasks table: what lists need, without the whole state. */
export type TaskRow = RowOf<typeof TASK_ROW_FIELDS>;

// ---- every synced collection --------------------------------------------------

export const SYNCED = {
  tasks: TASKS,
  sessions: structural<Session>((s) => s.id),
  /** One summary per task with a holder or a waiter. */
  locks: structural<TaskLocks>((l) => l.task_id),
  checkpoints: structural<CheckpointSummary>((c) => c.id),
};

export type SyncedName = keyof typeof SYNCED;
export type ItemOf<N extends SyncedName> = (typeof SYNCED)[N] extends Collection<infer T> ? T : never;
export const SYNCED_NAMES = Object.keys(SYNCED) as SyncedName[];

/** The synced part of a snapshot: every item of every collection. */
export type SyncedSnapshot = { [N in SyncedName]: ItemOf<N>[] };
/** The synced part of a patch: what changed in each collection, if anything. */
export type SyncedPatch = { [N in SyncedName]?: CollectionPatch<ItemOf<N>> };
/** The host's and the renderer's copy of the synced collections, by key. */
export type SyncedMaps = { [N in SyncedName]: ReadonlyMap<string, ItemOf<N>> };

/** What differs between two versions of a collection, or undefined when nothing does. */
export function diff<T>(c: Collection<T>, before: ReadonlyMap<string, T>, after: ReadonlyMap<string, T>): CollectionPatch<T> | undefined {
  const upsert: T[] = [];
  for (const [key, item] of after) {
    const old = before.get(key);
    if (old === undefined || !c.equal(old, item)) upsert.push(item);
  }
  const remove = [...before.keys()].filter((key) => !after.has(key));
  return upsert.length || remove.length ? { upsert, remove } : undefined;
}

/**
 * Fresh reads of some keys (null: gone) merged into a model the caller owns
 * (mutated in place); returns the patch section, or undefined when nothing changed.
 */
export function update<T>(
  c: Collection<T>,
  model: Map<string, T>,
  reads: Iterable<readonly [string, T | null]>,
): CollectionPatch<T> | undefined {
  const upsert: T[] = [];
  const remove: string[] = [];
  for (const [key, item] of reads) {
    const old = model.get(key);
    if (item === null) {
      if (model.delete(key)) remove.push(key);
    } else if (old === undefined || !c.equal(old, item)) {
      model.set(key, item);
      upsert.push(item);
    }
  }
  return upsert.length || remove.length ? { upsert, remove } : undefined;
}

export interface Applied<T> {
  map: ReadonlyMap<string, T>;
  /** The item each changed key had before (undefined: it was new). */
  previous: Map<string, T | undefined>;
}

/** A patch applied copy-on-write: unchanged items keep their identity, so their views do not re-render. */
export function apply<T>(c: Collection<T>, map: ReadonlyMap<string, T>, patch: CollectionPatch<T>): Applied<T> {
  const next = new Map(map);
  const previous = new Map<string, T | undefined>();
  for (const item of patch.upsert) {
    const key = c.key(item);
    const old = next.get(key);
    if (old !== undefined && c.equal(old, item)) continue;
    if (!previous.has(key)) previous.set(key, old);
    next.set(key, item);
  }
  for (const key of patch.remove) {
    if (!next.has(key)) continue;
    if (!previous.has(key)) previous.set(key, next.get(key));
    next.delete(key);
  }
  return { map: previous.size ? next : map, previous };
}

/** What differs between two copies of every collection (keys of unchanged collections are absent). */
export function diffAll(before: SyncedMaps, after: SyncedMaps): SyncedPatch {
  const out: Partial<Record<SyncedName, CollectionPatch<unknown>>> = {};
  for (const name of SYNCED_NAMES) {
    const section = diff(SYNCED[name] as Collection<unknown>, before[name], after[name]);
    if (section) out[name] = section;
  }
  return out as SyncedPatch;
}

/** Items a patch puts or drops, over every collection. */
export function countSynced(patch: SyncedPatch): number {
  let n = 0;
  for (const name of SYNCED_NAMES) {
    const section = patch[name];
    if (section) n += section.upsert.length + section.remove.length;
  }
  return n;
}

/** Maps keyed by each collection's key, from a snapshot's arrays. */
export function mapsOf(snapshot: SyncedSnapshot): SyncedMaps {
  const out: Partial<Record<SyncedName, ReadonlyMap<string, unknown>>> = {};
  for (const name of SYNCED_NAMES) {
    const c = SYNCED[name] as Collection<unknown>;
    out[name] = new Map((snapshot[name] as unknown[]).map((item) => [c.key(item), item]));
  }
  return out as SyncedMaps;
}
