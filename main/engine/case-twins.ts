// Task ids are case-sensitive, but the default filesystems of macOS and
// Windows are not: there, ids `A` and `a` would share one folder, and each
// would read the other's files as damaged. So an id that differs from an
// existing task only in letter case is refused, on every filesystem, so that
// a state folder stays portable between them.
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InvalidInputError } from './errors.ts';
import { taskIdFromDirName, type StateLayout } from './paths.ts';

/** Per tasks/ folder: does its filesystem compare names without case? Probed once. */
const foldsCaseByDir = new Map<string, boolean>();

function foldsCase(tasksDir: string): boolean {
  let folds = foldsCaseByDir.get(tasksDir);
  if (folds === undefined) {
    // `tasks` and `TASKS` name the same folder only where case is folded.
    try {
      const exact = statSync(tasksDir);
      let swapped: ReturnType<typeof statSync> | null = null;
      try {
        swapped = statSync(join(dirname(tasksDir), basename(tasksDir).toUpperCase()));
      } catch {
        swapped = null;
      }
      folds = swapped !== null && swapped.ino === exact.ino && swapped.dev === exact.dev;
    } catch {
      return false; // no tasks/ yet: nothing to collide with (and nothing to cache)
    }
    foldsCaseByDir.set(tasksDir, folds);
  }
  return folds;
}

function twinError(id: string, folder: string): InvalidInputError {
  const other = taskIdFromDirName(folder);
  const existing = other !== null ? `task ${JSON.stringify(other)}` : `folder tasks/${folder}`;
  return new InvalidInputError(
    `task id ${JSON.stringify(id)} differs only in letter case from the existing ${existing}: ` +
      'on case-insensitive filesystems (the macOS and Windows defaults) both would share one folder, so such ids are refused',
    { id, existing: other ?? folder },
  );
}

/**
 * Listings of tasks/ (names folded to lower case → names), per folder. Listing
 * 10,000 folders takes ~5 ms, too slow to repeat for every task a process
 * creates, so a listing is reused for up to LISTING_MAX_AGE_MS, together with
 * the ids this process let through since. A twin created by another process
 * within that time can slip through on a case-sensitive filesystem, where it
 * harms nothing but portability; on a case-insensitive one, the twin's folder
 * is found as existing and the check on its real name is exact.
 */
const listings = new Map<string, { listedAt: number; names: Map<string, string> }>();
const LISTING_MAX_AGE_MS = 1000;

function knownNames(tasksDir: string): Map<string, string> | null {
  const cached = listings.get(tasksDir);
  if (cached && Date.now() - cached.listedAt <= LISTING_MAX_AGE_MS) return cached.names;
  const listedAt = Date.now();
  let entries: string[];
  try {
    entries = readdirSync(tasksDir);
  } catch {
    listings.delete(tasksDir);
    return null; // no tasks/ yet
  }
  const names = new Map<string, string>();
  for (const entry of entries) names.set(entry.toLowerCase(), entry);
  listings.set(tasksDir, { listedAt, names });
  return names;
}

/**
 * Throws InvalidInputError if `id` would share a folder with an existing task
 * whose id differs only in case. Call it wherever a task folder may be
 * created. Cheap: one stat for an existing task; a listing of tasks/ (at most
 * one a second) when a task is created.
 */
export function assertNoCaseTwin(layout: StateLayout, id: string): void {
  if (!/[A-Za-z]/.test(id)) return; // digits and punctuation only: no other spelling exists
  const dir = layout.taskDir(id);
  const name = basename(dir);
  if (existsSync(dir)) {
    if (!foldsCase(layout.tasksDir)) return; // this exact folder exists
    // On a case-folding filesystem the folder found may be the twin: ask for its real name.
    // (A symlinked folder resolves to another name altogether: not a case twin.)
    const actual = basename(realpathSync.native(dir));
    if (actual !== name && actual.toLowerCase() === name.toLowerCase()) throw twinError(id, actual);
    return;
  }
  const names = knownNames(layout.tasksDir);
  if (names === null) return;
  const folded = name.toLowerCase();
  const twin = names.get(folded);
  // The listing may be up to a second old: a twin counts only if it is still there.
  if (twin !== undefined && twin !== name && existsSync(join(layout.tasksDir, twin))) throw twinError(id, twin);
  names.set(folded, name); // about to be created: a twin requested next is refused
}
