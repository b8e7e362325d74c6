// Finds what changed on disk since a moment, from directory mtimes: adding,
// renaming or removing any entry (a commit, a lock file) updates its folder's
// mtime. One stat per task folder, no file reads.
import { statSync } from 'node:fs';
import type { StateStore } from '../engine/store.ts';
import { safeReaddir } from '../engine/locks.ts';
import { taskIdFromDirName } from '../engine/paths.ts';
import { join } from 'node:path';

export function dirChangedSince(dir: string, sinceMs: number): boolean {
  try {
    return statSync(dir).mtimeMs >= sinceMs;
  } catch {
    return false;
  }
}

/** Task ids whose folder changed since `sinceMs` (including folders created since). */
export function changedSince(store: StateStore, sinceMs: number): string[] {
  const out: string[] = [];
  for (const name of safeReaddir(store.layout.tasksDir)) {
    const id = taskIdFromDirName(name);
    if (id && dirChangedSince(join(store.layout.tasksDir, name), sinceMs)) out.push(id);
  }
  return out;
}
