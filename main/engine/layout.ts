// The on-disk layout, named once: every file and folder name, every name
// pattern, and what a path inside a root means (`classify`). StateLayout
// (paths.ts) builds paths from these names; watchers and listings read them.
//
//   <parent>/.parallel-dev-state.json       an earlier version's state file
//   <root>/config.json
//   <root>/tasks/task-<id>/state.json        the current version
//   <root>/tasks/task-<id>/state.lock.<…>    lock tickets (locks/ticket.ts)
//   <root>/tasks/task-<id>/history/v<n>.json every version
//   <root>/sessions/<id>.json
//   <root>/sessions/.alive/<id>/<mark>       processes working on a session (session-marks.ts)
//   <root>/checkpoints/checkpoint-<id>.json
//   <root>/logs/<name>.jsonl
import { basename, join, relative, sep } from 'node:path';
import { isTaskId } from '../../shared/ids.ts';
import type { StoreChange } from './backend.ts';

export const STATE_DIR_NAME = join('.worktrees', '.state');
export const LEGACY_STATE_FILE = '.parallel-dev-state.json';
export const CONFIG_FILE = 'config.json';
/** The root's folders, in the order they are created. */
export const TOP_LEVEL_DIRS = ['tasks', 'sessions', 'checkpoints', 'logs'] as const;
/** Under sessions/: one folder per session, holding the marks of the processes working on it. */
export const SESSION_MARKS_DIR = '.alive';
export const TASK_DIR_PREFIX = 'task-';
export const STATE_FILE = 'state.json';
export const HISTORY_DIR = 'history';
/** The lock of a task: its tickets are named `state.lock.<…>`. */
export const LOCK_FILE = 'state.lock';
/** What an earlier version's lock reclaim left beside the lock. */
export const RECLAIM_SUFFIX = '.reclaim';
/** Files being written (then renamed into place) start with this. */
export const TEMP_PREFIX = '.tmp-';

const CHECKPOINT_FILE = /^checkpoint-(.+)\.json$/;
const HISTORY_FILE = /^v(\d+)\.json$/;

/** `task-<id>` folder name → id, or null for anything else in tasks/. */
export function taskIdFromDirName(name: string): string | null {
  if (!name.startsWith(TASK_DIR_PREFIX)) return null;
  const id = name.slice(TASK_DIR_PREFIX.length);
  return isTaskId(id) ? id : null;
}

export function checkpointFileName(id: string): string {
  return `checkpoint-${id}.json`;
}

/** `checkpoint-<id>.json` → id, or null. */
export function checkpointIdFromFileName(name: string): string | null {
  return CHECKPOINT_FILE.exec(name)?.[1] ?? null;
}

export function historyFileName(version: number): string {
  return `v${version}.json`;
}

/** `v<n>.json` → n, or null. */
export function versionFromHistoryName(name: string): number | null {
  const m = HISTORY_FILE.exec(name);
  return m ? Number(m[1]) : null;
}

/** What a change at a path inside (or beside) the root is about: a feed change that is not a verify result. */
export type LayoutChange = Exclude<StoreChange, { kind: 'integrity' }>;

export function classify(root: string, path: string): LayoutChange | null {
  const rel = relative(root, path);
  if (rel === '') return { kind: 'root' };
  if (rel.startsWith('..')) return basename(path) === LEGACY_STATE_FILE ? { kind: 'legacy' } : null;
  const parts = rel.split(sep);
  const name = parts[parts.length - 1]!;
  if (name.startsWith(TEMP_PREFIX)) return null;
  if (rel === CONFIG_FILE) return { kind: 'config' };
  switch (parts[0]) {
    case 'tasks': {
      if (parts.length < 2) return { kind: 'root' };
      const taskId = taskIdFromDirName(parts[1]!);
      if (!taskId) return null;
      if (parts.length === 2) return { kind: 'task', taskId };
      if (parts.length !== 3) return null; // history/ is not watched
      if (name === STATE_FILE) return { kind: 'task', taskId };
      if (name.startsWith(LOCK_FILE) && !name.endsWith(RECLAIM_SUFFIX)) return { kind: 'lock', taskId };
      return null;
    }
    case 'sessions':
      if (parts.length === 1) return { kind: 'root' };
      return parts.length === 2 && name.endsWith('.json') ? { kind: 'session', sessionId: name.slice(0, -5) } : null;
    case 'checkpoints': {
      if (parts.length === 1) return { kind: 'root' };
      const checkpointId = checkpointIdFromFileName(name);
      return parts.length === 2 && checkpointId ? { kind: 'checkpoint', checkpointId } : null;
    }
    case 'logs':
      return parts.length === 2 && name.endsWith('.jsonl') ? { kind: 'log' } : null;
    default:
      return null;
  }
}

/** Names a watcher never needs to see: temp files, history folders, reclaim markers. */
export function isUnwatchedName(name: string): boolean {
  return name.startsWith(TEMP_PREFIX) || name === HISTORY_DIR || name.endsWith(RECLAIM_SUFFIX);
}
