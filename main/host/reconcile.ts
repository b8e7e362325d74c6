// Finds what changed on disk since a moment, from directory mtimes: adding,
// renaming or removing any entry (a commit, a lock file) updates its folder's
// mtime. Task folders are asked of the store (store.tasksChangedSince).
import { statSync } from 'node:fs';

export function dirChangedSince(dir: string, sinceMs: number): boolean {
  try {
    return statSync(dir).mtimeMs >= sinceMs;
  } catch {
    return false;
  }
}
