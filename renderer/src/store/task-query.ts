// The tasks table's visible rows: filter by search/status/session, then sort.
// Runs on every store change, so it is memoized on its inputs and avoids
// per-comparison allocations; with 10,000 rows it stays in single-digit ms.
import type { TaskRow } from '../../../shared/contract.ts';
import type { Session } from '../../../shared/model.ts';
import { lockWeight, summarizeLock } from '../lib/locks.ts';
import type { SortDir, SortKey } from '../lib/route.ts';
import type { MirrorData } from './mirror-data.ts';

export interface TaskQuery {
  q: string;
  status: string;
  session: string | null;
  sort: SortKey;
  dir: SortDir;
}

type QueryInputs = Pick<MirrorData, 'tasks' | 'taskIds' | 'locks' | 'sessions'> & Partial<Pick<MirrorData, 'lastTaskChange'>>;

function matches(row: TaskRow, needle: string): boolean {
  return (
    row.task_id.toLowerCase().includes(needle) ||
    (row.status ?? '').toLowerCase().includes(needle) ||
    (row.owner ?? '').toLowerCase().includes(needle) ||
    (row.session_id ?? '').toLowerCase().includes(needle)
  );
}

function sessionMembers(sessions: ReadonlyMap<string, Session>, id: string | null): Set<string> | null {
  if (!id) return null;
  return new Set(sessions.get(id)?.task_ids ?? []);
}

function sortKeyOf(row: TaskRow, key: SortKey, locks: MirrorData['locks'], now: number): string | number {
  switch (key) {
    case 'status':
      return row.status ?? '';
    case 'version':
      return row.version;
    case 'updated':
      return row.updated_at;
    case 'session':
      return row.session_id ?? '';
    case 'lock':
      return lockWeight(summarizeLock(locks.get(row.task_id), now));
    case 'id':
      return 0;
  }
}

/** Whether a row passes the query's filters (search, status, session). */
function passes(row: TaskRow | undefined, query: TaskQuery, needle: string, members: Set<string> | null): boolean {
  if (!row) return false;
  if (query.status && (row.status ?? '') !== query.status) return false;
  if (members && !members.has(row.task_id) && row.session_id !== query.session) return false;
  return !needle || matches(row, needle);
}

export function queryTasks(data: QueryInputs, query: TaskQuery, now = Date.now()): string[] {
  const needle = query.q.trim().toLowerCase();
  const members = sessionMembers(data.sessions, query.session);
  const rows: TaskRow[] = [];
  // taskIds is already in natural id order: filtering keeps it.
  for (const id of data.taskIds) {
    const row = data.tasks.get(id);
    if (passes(row, query, needle, members)) rows.push(row!);
  }
  const sign = query.dir === 'asc' ? 1 : -1;
  if (query.sort === 'id') return (sign === 1 ? rows : rows.reverse()).map((r) => r.task_id);
  // Decorate once, then sort; ties fall back to id order (the array's current order).
  const decorated = rows.map((row, index) => ({ id: row.task_id, key: sortKeyOf(row, query.sort, data.locks, now), index }));
  decorated.sort((a, b) => {
    if (a.key < b.key) return -sign;
    if (a.key > b.key) return sign;
    return a.index - b.index;
  });
  return decorated.map((d) => d.id);
}

/**
 * Whether the last patch (from `before` to `data`) leaves a query's result
 * as it was: no id added or removed, no changed row entering or leaving the
 * filter, and no changed row's sort key moving. Checked from the changed
 * rows only, so a patch costs O(changed), not O(tasks).
 */
function resultUnchanged(data: QueryInputs, before: QueryInputs, query: TaskQuery): boolean {
  const change = data.lastTaskChange;
  if (!change || change.from !== before.tasks || data.taskIds !== before.taskIds) return false;
  const needle = query.q.trim().toLowerCase();
  const members = sessionMembers(data.sessions, query.session);
  const now = Date.now();
  for (const [id, old] of change.previous) {
    const row = data.tasks.get(id);
    const was = passes(old, query, needle, members);
    if (was !== passes(row, query, needle, members)) return false;
    if (was && query.sort !== 'id' && sortKeyOf(old!, query.sort, data.locks, now) !== sortKeyOf(row!, query.sort, data.locks, now))
      return false;
  }
  return true;
}

/** Single-entry memo: recomputes only when the inputs or the query change. */
export function createTaskQuerySelector(query: TaskQuery): (data: QueryInputs) => string[] {
  let last: { inputs: QueryInputs; result: string[] } | null = null;
  const usesLocks = query.sort === 'lock';
  const usesSessions = query.session !== null;
  return (data) => {
    const prev = last?.inputs;
    const sameContext =
      prev !== undefined && (!usesLocks || prev.locks === data.locks) && (!usesSessions || prev.sessions === data.sessions);
    if (last && sameContext && prev!.tasks === data.tasks && prev!.taskIds === data.taskIds) return last.result;
    if (last && sameContext && resultUnchanged(data, prev!, query)) {
      last = { inputs: data, result: last.result };
      return last.result;
    }
    const result = queryTasks(data, query);
    // Same ids in the same order: hand back the old array so nothing re-renders.
    const stable = last && sameIds(last.result, result) ? last.result : result;
    last = { inputs: data, result: stable };
    return stable;
  };
}

export function sameIds(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
