// What the change feed said since the last refresh began: which tasks,
// locks, sessions and checkpoints to read again, whether the logs grew, and
// whether the whole store (or its config) must be reloaded. Reading is the
// host's job; this only remembers, so a burst of changes to one task is read
// once. A refresh takes the whole tracker and starts a new one.
import type { StoreChange } from '../engine/public.ts';

export class ChangeTracker {
  readonly tasks = new Set<string>();
  readonly locks = new Set<string>();
  readonly sessions = new Set<string>();
  readonly checkpoints = new Set<string>();
  logs = false;
  /** An earlier version's state file beside the store may have appeared or gone. */
  legacy = false;
  /** Something above the items changed (the root moved, a compaction): rescan everything. */
  root = false;
  /** config.json changed: the store is reopened so new settings (max_history…) apply. */
  config = false;

  /** Remember a change; false for changes that are not about what gets re-read (integrity). */
  mark(change: StoreChange): boolean {
    const k = change.kind;
    if (k === 'integrity') return false;
    if (k === 'task') this.tasks.add(change.taskId);
    if (k === 'task' || k === 'lock') this.locks.add(change.taskId);
    else if (k === 'session') this.sessions.add(change.sessionId);
    else if (k === 'checkpoint') this.checkpoints.add(change.checkpointId);
    else if (k === 'log') this.logs = true;
    else if (k === 'config') this.config = true;
    else if (k === 'legacy') this.legacy = true;
    else this.root = true;
    return true;
  }
}
