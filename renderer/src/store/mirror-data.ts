// The renderer's copy of what main owns, and the pure functions that build
// it from a snapshot and move it forward by one patch. Collections are Maps
// replaced copy-on-write, and entries that did not change keep their object
// identity, so a selector for one task only fires when that task changed.
import type { Patch, Snapshot, TaskRow, WatchStatus } from '../../../shared/contract.ts';
import type { AuditEntry, CheckpointSummary, ContentionStats, IntegrityIssue, LockHolder, Session } from '../../../shared/model.ts';
import { compareIds } from '../lib/compare.ts';

/** Newest audit entries kept in memory; the feed shows far fewer. */
export const ACTIVITY_LIMIT = 500;
/** How long a changed task keeps its "just changed" mark. */
export const CHANGE_MARK_MS = 4_000;

export interface MirrorData {
  ready: boolean;
  root: string;
  /** Seq of the last applied snapshot or patch. */
  seq: number;
  tasks: ReadonlyMap<string, TaskRow>;
  /** Every task id, natural order (sim-2 before sim-10). */
  taskIds: readonly string[];
  /** Tasks per status value ('' for none), kept incrementally: no 10k scan per patch. */
  statusCounts: ReadonlyMap<string, number>;
  sessions: ReadonlyMap<string, Session>;
  /** Active sessions first, then newest start first. */
  sessionIds: readonly string[];
  /** Holders by task id; tasks without holders are absent. */
  locks: ReadonlyMap<string, readonly LockHolder[]>;
  checkpoints: ReadonlyMap<string, CheckpointSummary>;
  /** Newest first. */
  checkpointIds: readonly string[];
  /** Newest first, at most ACTIVITY_LIMIT. */
  activity: readonly AuditEntry[];
  issues: readonly IntegrityIssue[];
  contention: readonly ContentionStats[];
  watch: WatchStatus;
  legacyFile: string | null;
  demo: Snapshot['demo'];
  /** Task id → epoch ms when a patch last changed it (for the row highlight). */
  changedAt: ReadonlyMap<string, number>;
  /**
   * What the last patch did to `tasks`: the map it started from, and the
   * previous row of each id it changed. Lets the tasks query update its
   * result from the changed rows alone instead of re-filtering 10,000.
   */
  lastTaskChange: TaskChange | null;
}

export interface TaskChange {
  from: ReadonlyMap<string, TaskRow>;
  previous: ReadonlyMap<string, TaskRow | undefined>;
}

export const EMPTY_MIRROR: MirrorData = {
  ready: false,
  root: '',
  seq: 0,
  tasks: new Map(),
  taskIds: [],
  statusCounts: new Map(),
  sessions: new Map(),
  sessionIds: [],
  locks: new Map(),
  checkpoints: new Map(),
  checkpointIds: [],
  activity: [],
  issues: [],
  contention: [],
  watch: { mode: 'native', reason: null, rootPresent: true },
  legacyFile: null,
  demo: null,
  changedAt: new Map(),
  lastTaskChange: null,
};

function sortSessionIds(sessions: ReadonlyMap<string, Session>): string[] {
  return [...sessions.values()]
    .sort((a, b) => {
      const activeA = a.status === 'active' ? 0 : 1;
      const activeB = b.status === 'active' ? 0 : 1;
      if (activeA !== activeB) return activeA - activeB;
      return a.started_at < b.started_at ? 1 : a.started_at > b.started_at ? -1 : compareIds(a.id, b.id);
    })
    .map((s) => s.id);
}

function sortCheckpointIds(checkpoints: ReadonlyMap<string, CheckpointSummary>): string[] {
  return [...checkpoints.values()]
    .sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : compareIds(b.id, a.id)))
    .map((c) => c.id);
}

function newestFirst(entries: readonly AuditEntry[]): AuditEntry[] {
  // Array.prototype.sort is stable: entries with equal timestamps keep log order reversed below.
  return [...entries].reverse().sort((a, b) => (a.timestamp < b.timestamp ? 1 : a.timestamp > b.timestamp ? -1 : 0));
}

function countStatuses(rows: Iterable<TaskRow>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const row of rows) bump(counts, row.status ?? '', 1);
  return counts;
}

function bump(counts: Map<string, number>, status: string, delta: number): void {
  const n = (counts.get(status) ?? 0) + delta;
  if (n > 0) counts.set(status, n);
  else counts.delete(status);
}

function groupLocks(holders: readonly LockHolder[]): Map<string, LockHolder[]> {
  const byTask = new Map<string, LockHolder[]>();
  for (const h of holders) {
    const list = byTask.get(h.task_id);
    if (list) list.push(h);
    else byTask.set(h.task_id, [h]);
  }
  return byTask;
}

export function fromSnapshot(snapshot: Snapshot): MirrorData {
  const tasks = new Map(snapshot.tasks.map((t) => [t.task_id, t]));
  const sessions = new Map(snapshot.sessions.map((s) => [s.id, s]));
  const checkpoints = new Map(snapshot.checkpoints.map((c) => [c.id, c]));
  return {
    ready: true,
    root: snapshot.root,
    seq: snapshot.seq,
    tasks,
    taskIds: [...tasks.keys()].sort(compareIds),
    statusCounts: countStatuses(tasks.values()),
    sessions,
    sessionIds: sortSessionIds(sessions),
    locks: groupLocks(snapshot.locks),
    checkpoints,
    checkpointIds: sortCheckpointIds(checkpoints),
    activity: newestFirst(snapshot.activity).slice(0, ACTIVITY_LIMIT),
    issues: snapshot.issues,
    contention: snapshot.contention,
    watch: snapshot.watch,
    legacyFile: snapshot.legacyFile,
    demo: snapshot.demo,
    changedAt: new Map(),
    lastTaskChange: null,
  };
}

/** Inserts into / removes from a sorted id list without a full re-sort when few ids move. */
export function updateSortedIds(ids: readonly string[], added: readonly string[], removed: ReadonlySet<string>): readonly string[] {
  if (added.length === 0 && removed.size === 0) return ids;
  const next = removed.size > 0 ? ids.filter((id) => !removed.has(id)) : [...ids];
  if (added.length > 64) return [...next, ...added].sort(compareIds);
  for (const id of added) {
    let lo = 0;
    let hi = next.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareIds(next[mid]!, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    next.splice(lo, 0, id);
  }
  return next;
}

function rowChanged(a: TaskRow, b: TaskRow): boolean {
  return (
    a.version !== b.version || a.updated_at !== b.updated_at || a.status !== b.status || a.session_id !== b.session_id ||
    a.owner !== b.owner || a.progress !== b.progress || a.size !== b.size
  );
}

function applyTasks(data: MirrorData, change: NonNullable<Patch['tasks']>, now: number): Pick<MirrorData, 'tasks' | 'taskIds' | 'changedAt' | 'statusCounts' | 'lastTaskChange'> {
  const tasks = new Map(data.tasks);
  const previous = new Map<string, TaskRow | undefined>();
  const statusCounts = new Map(data.statusCounts);
  const changedAt = new Map<string, number>();
  for (const [id, at] of data.changedAt) if (now - at < CHANGE_MARK_MS) changedAt.set(id, at);
  const added: string[] = [];
  const removed = new Set<string>();
  for (const row of change.upsert) {
    const old = tasks.get(row.task_id);
    if (old && !rowChanged(old, row)) continue; // keep identity: no re-render
    if (!previous.has(row.task_id)) previous.set(row.task_id, old);
    if (!old) added.push(row.task_id);
    else bump(statusCounts, old.status ?? '', -1);
    bump(statusCounts, row.status ?? '', 1);
    tasks.set(row.task_id, row);
    changedAt.set(row.task_id, now);
  }
  for (const id of change.remove) {
    const old = tasks.get(id);
    if (!previous.has(id)) previous.set(id, old);
    if (old && tasks.delete(id)) {
      removed.add(id);
      bump(statusCounts, old.status ?? '', -1);
    }
    changedAt.delete(id);
  }
  const dedupAdded = added.filter((id) => !removed.has(id));
  return { tasks, taskIds: updateSortedIds(data.taskIds, dedupAdded, removed), changedAt, statusCounts, lastTaskChange: { from: data.tasks, previous } };
}

function applyLocks(data: MirrorData, change: NonNullable<Patch['locks']>): ReadonlyMap<string, readonly LockHolder[]> {
  const locks = new Map(data.locks);
  const grouped = groupLocks(change.holders);
  for (const id of change.taskIds) {
    const holders = grouped.get(id);
    if (holders && holders.length > 0) locks.set(id, holders);
    else locks.delete(id);
  }
  return locks;
}

/** The next mirror state after one patch (assumed to be the next in sequence). */
export function applyPatch(data: MirrorData, patch: Patch, now: number): MirrorData {
  const next: MirrorData = { ...data, seq: patch.seq };
  if (patch.tasks) Object.assign(next, applyTasks(data, patch.tasks, now));
  if (patch.sessions) {
    const sessions = new Map(data.sessions);
    for (const s of patch.sessions.upsert) sessions.set(s.id, s);
    for (const id of patch.sessions.remove) sessions.delete(id);
    next.sessions = sessions;
    next.sessionIds = sortSessionIds(sessions);
  }
  if (patch.locks) next.locks = applyLocks(data, patch.locks);
  if (patch.checkpoints) {
    const checkpoints = new Map(data.checkpoints);
    for (const c of patch.checkpoints.upsert) checkpoints.set(c.id, c);
    for (const id of patch.checkpoints.remove) checkpoints.delete(id);
    next.checkpoints = checkpoints;
    next.checkpointIds = sortCheckpointIds(checkpoints);
  }
  if (patch.activity && patch.activity.length > 0) {
    next.activity = [...newestFirst(patch.activity), ...data.activity].slice(0, ACTIVITY_LIMIT);
  }
  if (patch.issues) next.issues = patch.issues;
  if (patch.contention) next.contention = patch.contention;
  if (patch.watch) next.watch = patch.watch;
  if (patch.legacyFile !== undefined) next.legacyFile = patch.legacyFile;
  if (patch.demo !== undefined) next.demo = patch.demo;
  return next;
}

/** How many things a patch changes, for the "N new changes" badge while paused. */
export function countChanges(patch: Patch): number {
  const n =
    (patch.tasks ? patch.tasks.upsert.length + patch.tasks.remove.length : 0) +
    (patch.sessions ? patch.sessions.upsert.length + patch.sessions.remove.length : 0) +
    (patch.checkpoints ? patch.checkpoints.upsert.length + patch.checkpoints.remove.length : 0) +
    (patch.locks ? patch.locks.taskIds.length : 0) +
    (patch.activity ? patch.activity.length : 0) +
    (patch.issues ? 1 : 0) +
    (patch.watch ? 1 : 0) +
    (patch.legacyFile !== undefined ? 1 : 0) +
    (patch.demo !== undefined ? 1 : 0) +
    (patch.contention ? 1 : 0);
  // A patch that arrived changed something, even if only a statistic.
  return Math.max(1, n);
}
