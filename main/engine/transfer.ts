// Copy everything a store holds into another one, whatever their backends
// (`lockstep migrate`: a folder to an etcd cluster and back). Sessions go
// first (tasks and checkpoints name them), then every task's history, then
// checkpoints, each written exactly as it was stored. The target's importers
// keep this idempotent: an identical item is 'same' (a second run copies
// nothing), and one that differs is refused and left as it is ('conflict').
import type { Checkpoint, Session, TaskState } from '../../shared/model.ts';
import type { StateStore } from './backend.ts';
import { NotFoundError, VersionConflictError } from './errors.ts';
import { withoutDerived } from './session-rules.ts';

export type TransferKind = 'session' | 'task' | 'checkpoint';

/** 'write' is what a dry run would do; 'written' what a real run did. */
export type TransferOutcome = 'write' | 'written' | 'same' | 'conflict';

export interface TransferItem {
  kind: TransferKind;
  id: string;
  outcome: TransferOutcome;
  /** Tasks: how many stored versions the source holds (history and current). */
  versions?: number;
  /** Conflicts: what differs, for the person who has to decide. */
  message?: string;
}

export interface TransferReport {
  dry_run: boolean;
  items: TransferItem[];
  /** Counts per outcome ('write' in a dry run, 'written' otherwise). */
  written: number;
  same: number;
  conflicts: number;
}

export interface TransferOptions {
  dryRun?: boolean;
  /** Called as each item is decided, for progress output. */
  onItem?: (item: TransferItem) => void;
  /** Items compared or written at once: each is a round trip on etcd. */
  concurrency?: number;
}

export async function transferState(source: StateStore, target: StateStore, options: TransferOptions = {}): Promise<TransferReport> {
  const dryRun = options.dryRun ?? false;
  const concurrency = options.concurrency ?? 8;
  const items: TransferItem[] = [];
  const record = (item: TransferItem) => {
    items.push(item);
    options.onItem?.(item);
  };
  if (!dryRun) await target.init();

  const sessions = await source.listSessionFiles();
  await forEachLimited(sessions, concurrency, async (session) => record(await copySession(target, session, dryRun)));

  const taskIds = await source.listTaskIds();
  await forEachLimited(taskIds, concurrency, async (id) => record(await copyTask(target, id, await source.exportTask(id), dryRun)));

  const checkpoints = await source.listCheckpoints();
  await forEachLimited(checkpoints, concurrency, async ({ id }) =>
    record(await copyCheckpoint(target, await source.getCheckpoint(id), dryRun)),
  );

  const order: Record<TransferKind, number> = { session: 0, task: 1, checkpoint: 2 };
  items.sort((a, b) => order[a.kind] - order[b.kind] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    dry_run: dryRun,
    items,
    written: items.filter((i) => i.outcome === 'write' || i.outcome === 'written').length,
    same: items.filter((i) => i.outcome === 'same').length,
    conflicts: items.filter((i) => i.outcome === 'conflict').length,
  };
}

// A real run lets the target's importer decide (it compares under the
// target's own lock); a dry run predicts its answer by the same rules
// (backend.ts, file-import.ts): a task whose target history is a prefix of
// the source's is completed, a session the target holds an older copy of is
// replaced, and anything else that differs is a conflict.

async function copySession(target: StateStore, session: Session, dryRun: boolean): Promise<TransferItem> {
  const item = { kind: 'session' as const, id: session.id };
  if (!dryRun) return { ...item, ...(await imported(() => target.importSession(session))) };
  const existing = await orNull(target.readSessionFile(session.id));
  if (!existing) return { ...item, outcome: 'write' };
  if (sameJson(withoutDerived(existing), withoutDerived(session))) return { ...item, outcome: 'same' };
  if (existing.updated_at < session.updated_at) return { ...item, outcome: 'write' };
  return {
    ...item,
    outcome: 'conflict',
    message: `session ${session.id}: the target holds a different session, updated at ${existing.updated_at} (the source's: ${session.updated_at})`,
  };
}

async function copyTask(target: StateStore, id: string, versions: TaskState[], dryRun: boolean): Promise<TransferItem> {
  const item = { kind: 'task' as const, id, versions: versions.length };
  if (!dryRun) return { ...item, ...(await imported(() => target.importTask(id, versions))) };
  const existing = await orNull(target.exportTask(id));
  const verdict = predictTaskImport(existing ?? [], versions);
  return verdict.outcome === 'conflict'
    ? { ...item, outcome: 'conflict', message: `task ${id}: ${verdict.message}` }
    : { ...item, outcome: verdict.outcome };
}

async function copyCheckpoint(target: StateStore, checkpoint: Checkpoint, dryRun: boolean): Promise<TransferItem> {
  const item = { kind: 'checkpoint' as const, id: checkpoint.id };
  if (!dryRun) return { ...item, ...(await imported(() => target.importCheckpoint(checkpoint))) };
  const existing = await orNull(target.getCheckpoint(checkpoint.id));
  if (!existing) return { ...item, outcome: 'write' };
  if (sameJson(existing, checkpoint)) return { ...item, outcome: 'same' };
  return { ...item, outcome: 'conflict', message: `checkpoint ${checkpoint.id}: the target holds a different checkpoint under this id` };
}

/**
 * What importing `source` (a task's versions, oldest first) over the
 * target's `target` versions would do: nothing there → write; the target's
 * current version is the source's newest → same; it is an earlier version
 * of the source's history → write (the rest is added); otherwise conflict.
 */
export function predictTaskImport(
  target: TaskState[],
  source: TaskState[],
): { outcome: 'write' | 'same' } | { outcome: 'conflict'; message: string } {
  const current = target.at(-1);
  const newest = source.at(-1);
  if (!current) return { outcome: 'write' };
  const match = source.find((v) => v.version === current.version);
  if (!match || !sameJson(match, current)) {
    return {
      outcome: 'conflict',
      message: `the target holds a version ${current.version} that differs from the source's (the source is at version ${newest?.version ?? 0})`,
    };
  }
  return { outcome: current.version === newest!.version ? 'same' : 'write' };
}

/** The importer's own answer; a conflict it detects (a race with a writer) is reported, not thrown. */
async function imported(run: () => Promise<'written' | 'same'>): Promise<{ outcome: TransferOutcome; message?: string }> {
  try {
    return { outcome: await run() };
  } catch (err) {
    if (err instanceof VersionConflictError) return { outcome: 'conflict', message: err.message };
    throw err;
  }
}

async function orNull<T>(read: Promise<T>): Promise<T | null> {
  try {
    return await read;
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw err;
  }
}

/** Equal as JSON values, whatever the key order each backend stored them in. */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Run fn over items with at most `limit` in flight; the first failure rejects (the rest finish first). */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < items.length && errors.length === 0) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length > 0) throw errors[0];
}
