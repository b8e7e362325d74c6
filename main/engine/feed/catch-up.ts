// What changed in a state folder since a moment, from modification times:
// adding, renaming or removing any entry (a commit's rename, a lock ticket,
// a session rewrite) updates its folder's mtime, and a rewritten file is a
// new file with a new mtime. A feed started from a cursor reports these once
// its watches are in place, so a subscriber that read a snapshot at the
// cursor misses nothing that happened while the watches were being set up.
//
// A folder whose mtime moved but none of whose entries did (a file removed,
// or renamed in from a temp written before the cursor) cannot be pinned on
// one item: that is reported as a 'root' change, and the subscriber rescans.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { StoreChange } from '../backend.ts';
import { classify } from '../layout.ts';
import type { StateLayout } from '../paths.ts';

/**
 * Slack for the filesystem clock: file times come from the kernel's coarse
 * clock, a few ms behind Date.now(). Reporting a change twice is harmless.
 */
export const MTIME_SLACK_MS = 50;

function mtime(path: string): number | null {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return null;
  }
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Every change made at or after `sinceMs` (minus the slack), as the watcher would have reported it. */
export function changesSince(layout: StateLayout, sinceMs: number): StoreChange[] {
  const since = sinceMs - MTIME_SLACK_MS;
  const out = new Map<string, StoreChange>();
  const add = (change: StoreChange | null) => {
    if (change) out.set(JSON.stringify(change), change);
  };
  if ((mtime(layout.root) ?? 0) >= since) add({ kind: 'root' }); // a top-level folder created or removed
  if ((mtime(layout.configFile) ?? 0) >= since) add({ kind: 'config' });
  // Folders (tasks/task-<id>) and files (sessions, checkpoints): one stat each, nothing read.
  for (const dir of [layout.tasksDir, layout.sessionsDir, layout.checkpointsDir]) {
    const dirTime = mtime(dir);
    if (dirTime === null) continue;
    let explained = false;
    for (const name of entries(dir)) {
      const path = join(dir, name);
      const change = classify(layout.root, path);
      if (!change) continue;
      if ((mtime(path) ?? 0) < since) continue;
      explained = true;
      add(change);
    }
    if (dirTime >= since && !explained) add({ kind: 'root' });
  }
  if (entries(layout.logsDir).some((name) => (mtime(join(layout.logsDir, name)) ?? 0) >= since)) add({ kind: 'log' });
  return [...out.values()];
}
