// What the change feed said since the last flush: which tasks, locks,
// sessions and checkpoints to read again, whether the logs grew, and whether
// the whole root (or its config) must be reloaded. Reading is the host's job;
// this only remembers, so a burst of changes to one task is read once.
import type { StoreChange } from '../engine/public.ts';

export class ChangeTracker {
  readonly tasks = new Set<string>();
  readonly locks = new Set<string>();
  readonly sessions = new Set<string>();
  readonly checkpoints = new Set<string>();
  logs = false;
  /** Something above the items changed (the root, a legacy file): rescan everything. */
  root = false;
  /** config.json changed: the store is reopened so new settings (max_history…) apply. */
  config = false;

  /** Remember a change; false for changes that are not about what gets re-read (integrity). */
  mark(change: StoreChange): boolean {
    switch (change.kind) {
      case 'task':
        this.tasks.add(change.taskId);
        this.locks.add(change.taskId);
        return true;
      case 'lock':
        this.locks.add(change.taskId);
        return true;
      case 'session':
        this.sessions.add(change.sessionId);
        return true;
      case 'checkpoint':
        this.checkpoints.add(change.checkpointId);
        return true;
      case 'log':
        this.logs = true;
        return true;
      case 'legacy':
      case 'root':
        this.root = true;
        return true;
      case 'config':
        this.config = true;
        return true;
      case 'integrity':
        return false;
    }
  }

  /** Forget the items (the root and config flags are cleared where they are handled). */
  clearItems(): void {
    this.tasks.clear();
    this.locks.clear();
    this.sessions.clear();
    this.checkpoints.clear();
    this.logs = false;
  }
}
