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
 * Throws InvalidInputError if `id` would share a folder with an existing task
 * whose id differs only in case. Call it wherever a task folder may be
 * created. Cheap: one stat for an existing task; one listing of tasks/ only
 * when a task is created.
 */
export function assertNoCaseTwin(layout: StateLayout, id: string): void {
  if (!/[A-Za-z]/.test(id)) return; // digits and punctuation only: no other spelling exists
  const name = basename(layout.taskDir(id));
  if (existsSync(layout.taskDir(id))) {
    if (!foldsCase(layout.tasksDir)) return; // this exact folder exists
    // On a case-folding filesystem the folder found may be the twin: ask for its real name.
    // (A symlinked folder resolves to another name altogether: not a case twin.)
    const actual = basename(realpathSync.native(layout.taskDir(id)));
    if (actual !== name && actual.toLowerCase() === name.toLowerCase()) throw twinError(id, actual);
    return;
  }
  let names: string[];
  try {
    names = readdirSync(layout.tasksDir);
  } catch {
    return; // no tasks/ yet
  }
  const folded = name.toLowerCase();
  const twin = names.find((n) => n !== name && n.toLowerCase() === folded);
  if (twin !== undefined) throw twinError(id, twin);
}
