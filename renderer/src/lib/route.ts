// The URL is the source of truth for where the user is: view, filters,
// search, sort, selection and the open task. It lives in the hash
// (`#/tasks?q=sim&sort=updated&dir=desc`) so it works from file:// in
// Electron and over HTTP alike, and reload/back/forward just work.
import { isSessionId, isTaskId, TASK_ID_PATTERN } from '../../../shared/ids.ts';

export const VIEWS = ['overview', 'sessions', 'tasks', 'locks', 'checkpoints', 'integrity'] as const;
export type View = (typeof VIEWS)[number];
/** Each view's name, as the sidebar links it and the top bar and window title show it. */
export const VIEW_TITLES: Record<View, string> = {
  overview: 'Overview',
  sessions: 'Sessions',
  tasks: 'Tasks',
  locks: 'Locks',
  checkpoints: 'Checkpoints',
  integrity: 'Integrity',
};

export const SORT_KEYS = ['id', 'status', 'version', 'updated', 'session', 'lock'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortDir = 'asc' | 'desc';

export const CONTENTION_WINDOWS = { '5m': 5 * 60_000, '15m': 15 * 60_000, '1h': 60 * 60_000 } as const;
export type ContentionWindow = keyof typeof CONTENTION_WINDOWS;

export interface Route {
  view: View;
  /** Tasks search text. */
  q: string;
  /** Tasks status filter: a status value, or '' for all. */
  status: string;
  sort: SortKey;
  dir: SortDir;
  /** Highlighted task row (j/k). */
  sel: string | null;
  /** The task whose detail drawer is open (any view). */
  task: string | null;
  /** Selected session (Sessions view) or session filter (Tasks view). */
  session: string | null;
  /** Contention window on the Locks view. */
  window: ContentionWindow;
  /** A range picked on the Locks view (ms since the epoch, `from` before `to`); it overrides the windows. Both or neither. */
  from: number | null;
  to: number | null;
  /** Two versions compared in the task detail, older first. */
  compare: readonly [number, number] | null;
  /** A `task` parameter that is not a valid task id: reported to the user, never used, never written back. */
  invalidTask: string | null;
}

export const DEFAULT_ROUTE: Route = {
  view: 'overview',
  q: '',
  status: '',
  sort: 'id',
  dir: 'asc',
  sel: null,
  task: null,
  session: null,
  window: '15m',
  from: null,
  to: null,
  compare: null,
  invalidTask: null,
};

/** Natural first direction per column: newest / highest first where that is what one looks for. */
export const DEFAULT_DIR: Record<SortKey, SortDir> = {
  id: 'asc',
  status: 'asc',
  version: 'desc',
  updated: 'desc',
  session: 'asc',
  lock: 'desc',
};

function oneOf<T extends string>(value: string | null, allowed: readonly T[], fallback: T): T {
  return value !== null && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}

/** A picked range from its ISO times in the URL: both, valid, and in order, or none. */
function parseRange(from: string | null, to: string | null): { from: number | null; to: number | null } {
  const a = from === null ? NaN : Date.parse(from);
  const b = to === null ? NaN : Date.parse(to);
  return Number.isFinite(a) && Number.isFinite(b) && a < b ? { from: a, to: b } : { from: null, to: null };
}

function parseCompare(value: string | null): readonly [number, number] | null {
  if (!value) return null;
  const parts = value.split(',').map(Number);
  if (parts.length !== 2 || !parts.every((n) => Number.isInteger(n) && n > 0)) return null;
  const [a, b] = parts as [number, number];
  if (a === b) return null;
  return a < b ? [a, b] : [b, a];
}

export function parseHash(hash: string): Route {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  const [path = '', query = ''] = raw.split(/\?(.*)/s, 2);
  const params = new URLSearchParams(query);
  const view = oneOf(path.replace(/^\/+|\/+$/g, ''), VIEWS, DEFAULT_ROUTE.view);
  const sort = oneOf(params.get('sort'), SORT_KEYS, DEFAULT_ROUTE.sort);
  const task = params.get('task');
  const sel = params.get('sel');
  const session = params.get('session');
  return {
    view,
    q: (params.get('q') ?? '').slice(0, 200),
    status: (params.get('status') ?? '').slice(0, 64),
    sort,
    dir: oneOf(params.get('dir'), ['asc', 'desc'] as const, DEFAULT_DIR[sort]),
    sel: isTaskId(sel) ? sel : null,
    task: isTaskId(task) ? task : null,
    session: isSessionId(session) ? session : null,
    window: oneOf(params.get('window'), Object.keys(CONTENTION_WINDOWS) as ContentionWindow[], DEFAULT_ROUTE.window),
    ...parseRange(params.get('from'), params.get('to')),
    compare: parseCompare(params.get('compare')),
    invalidTask: task !== null && !TASK_ID_PATTERN.test(task) ? task.slice(0, 200) : null,
  };
}

/** The hash for a route; default values are left out so URLs stay short. */
export function formatHash(route: Route): string {
  const params = new URLSearchParams();
  if (route.q) params.set('q', route.q);
  if (route.status) params.set('status', route.status);
  if (route.session) params.set('session', route.session);
  if (route.sort !== DEFAULT_ROUTE.sort) params.set('sort', route.sort);
  if (route.dir !== DEFAULT_DIR[route.sort]) params.set('dir', route.dir);
  if (route.sel) params.set('sel', route.sel);
  if (route.window !== DEFAULT_ROUTE.window) params.set('window', route.window);
  if (route.from !== null && route.to !== null) {
    params.set('from', new Date(route.from).toISOString());
    params.set('to', new Date(route.to).toISOString());
  }
  if (route.task) params.set('task', route.task);
  if (route.compare) params.set('compare', `${route.compare[0]},${route.compare[1]}`);
  const query = params.toString();
  return `#/${route.view}${query ? `?${query}` : ''}`;
}

/** A link to a view with its filters cleared (the sidebar, the overview cards). */
export function viewHref(view: View, extra: Partial<Route> = {}): string {
  return formatHash({ ...DEFAULT_ROUTE, ...extra, view });
}
