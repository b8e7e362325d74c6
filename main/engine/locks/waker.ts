// Sleeping until a lock folder changes.
import { watch, type FSWatcher } from 'node:fs';

/**
 * Sleeps until something changes in a folder (fs.watch: inotify, FSEvents,
 * ReadDirectoryChangesW) or a timer fires, whichever comes first. The watch
 * is created on the first wait only, so uncontended acquisitions pay nothing.
 */
export class FolderWaker {
  private watcher: FSWatcher | null = null;
  private failed = false;
  private wakeUp: (() => void) | null = null;
  private readonly dir: string;
  private readonly relevant: (name: string) => boolean;

  /** `relevant`: which entry names are worth waking for (tickets, not commits or temp files). */
  constructor(dir: string, relevant: (name: string) => boolean) {
    this.dir = dir;
    this.relevant = relevant;
  }

  wait(ms: number): Promise<void> {
    if (!this.watcher && !this.failed) {
      try {
        this.watcher = watch(this.dir, { persistent: false }, (_event, name) => {
          if (name === null || this.relevant(String(name))) this.wakeUp?.();
        });
        this.watcher.on('error', () => this.close());
      } catch {
        this.failed = true; // polling only
      }
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.wakeUp === done) this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
    this.failed = true;
  }
}
