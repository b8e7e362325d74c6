// The renderer's copy of what main owns, and the pure functions that build
// it from a snapshot and move it forward by one patch. Collections are Maps
// replaced copy-on-write, and entries that did not change keep their object
// identity, so a selector for one task only fires when that task changed.
import type { Patch, Snapshot, TaskRow, WatchStatus } from '../../../shared/contract.ts';
import type { AuditEntry, CheckpointSummary, ContentionStats, IntegrityIssue, Session, TaskLocks } from '../../../shared/model.ts';
import { apply, countSynced, mapsOf, SYNCED } from '../../../shared/sync.ts';
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
  /** Each task's lock, by task id; tasks nobody holds or awaits are absent. */
  locks: ReadonlyMap<string, TaskLocks>;
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

export function fromSnapshot(snapshot: Snapshot): MirrorData {
  const { tasks, sessions, locks, checkpoints } = mapsOf(snapshot);
  return {
    ready: true,
    root: snapshot.root,
    seq: snapshot.seq,
    tasks,
    taskIds: [...tasks.keys()].sort(compareIds),
    statusCounts: countStatuses(tasks.values()),
    sessions,
    sessionIds: sortSessionIds(sessions),
    locks,
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

function applyTasks(
  data: MirrorData,
  change: NonNullable<Patch['tasks']>,
  now: number,
): Pick<MirrorData, 'tasks' | 'taskIds' | 'changedAt' | 'statusCounts' | 'lastTaskChange'> {
  const { map: tasks, previous } = apply(SYNCED.tasks, data.tasks, change);
  const statusCounts = new Map(data.statusCounts);
  const changedAt = new Map<string, number>();
  for (const [id, at] of data.changedAt) if (now - at < CHANGE_MARK_MS) changedAt.set(id, at);
  const added: string[] = [];
  const removed = new Set<string>();
  for (const [id, old] of previous) {
    const row = tasks.get(id);
    if (old) bump(statusCounts, old.status ?? '', -1);
    if (row) {
      bump(statusCounts, row.status ?? '', 1);
      changedAt.set(id, now);
      if (!old) added.push(id);
    } else {
      changedAt.delete(id);
      if (old) removed.add(id);
    }
  }
  return {
    tasks,
    taskIds: updateSortedIds(data.taskIds, added, removed),
    changedAt,
    statusCounts,
    lastTaskChange: { from: data.tasks, previous },
  };
}

/** The next mirror state after one patch (assumed to be the next in sequence). */
export function applyPatch(data: MirrorData, patch: Patch, now: number): MirrorData {
  const next: MirrorData = { ...data, seq: patch.seq };
  if (patch.tasks) Object.assign(next, applyTasks(data, patch.tasks, now));
  if (patch.sessions) {
    next.sessions = apply(SYNCED.sessions, data.sessions, patch.sessions).map;
    if (next.sessions !== data.sessions) next.sessionIds = sortSessionIds(next.sessions);
  }
  if (patch.locks) next.locks = apply(SYNCED.locks, data.locks, patch.locks).map;
  if (patch.checkpoints) {
    next.checkpoints = apply(SYNCED.checkpoints, data.checkpoints, patch.checkpoints).map;
    if (next.checkpoints !== data.checkpoints) next.checkpointIds = sortCheckpointIds(next.checkpoints);
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
    countSynced(patch) +
    (patch.activity ? patch.activity.length : 0) +
    (patch.issues ? 1 : 0) +
    (patch.watch ? 1 : 0) +
    (patch.legacyFile !== undefined ? 1 : 0) +
    (patch.demo !== undefined ? 1 : 0) +
    (patch.contention ? 1 : 0);
  // A patch that arrived changed something, even if only a statistic.
  return Math.max(1, n);
}
