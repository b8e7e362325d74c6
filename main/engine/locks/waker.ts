// Sleeping until the ticket we queue behind goes away.
import { watch, type FSWatcher } from 'node:fs';
import { ticketExists } from './ticket.ts';

/**
 * Sleeps until a change is seen or a timer fires, whichever comes first
 * (fs.watch: inotify, FSEvents, ReadDirectoryChangesW).
 *
 * A waiter watches one file: the ticket just ahead of its own. Its owner's
 * release (an unlink: inotify reports the link count change on the file)
 * wakes that one waiter and nobody else, as in a queue lock where each
 * waiter spins on its predecessor. Watching the whole folder instead woke
 * every waiter for every file of every commit (temp, history link, rename,
 * each newcomer's ticket): measured, 16 wake-ups and 18 folder listings per
 * acquisition with 4 processes on one task, all of them stealing the CPU
 * from the holder. The folder is still watched when there is no ticket to
 * watch (an earlier version's lock file, an unreadable ticket).
 *
 * The watch is created on the first wait only, so uncontended acquisitions
 * pay nothing; the timer stays the safety net (a holder that died keeps its
 * ticket: only polling sees that).
 */
export class LockWaker {
  private watcher: FSWatcher | null = null;
  /** What the watcher watches: a ticket's path, or '' for the folder. */
  private watching: string | null = null;
  private failed = false;
  private wakeUp: (() => void) | null = null;
  private readonly dir: string;
  private readonly relevant: (name: string) => boolean;

  /** `relevant`: which entry names are worth waking for when the folder is watched (tickets, not commits or temp files). */
  constructor(dir: string, relevant: (name: string) => boolean) {
    this.dir = dir;
    this.relevant = relevant;
  }

  /**
   * Sleep for up to `ms`. `ticket`: the path of the ticket to wait behind, or
   * null to wake on any ticket change in the folder. A ticket already gone
   * wakes at once (it was released between our look and the watch).
   * Resolves true when a change woke it, false when the timer did.
   */
  wait(ms: number, ticket: string | null): Promise<boolean> {
    if (!this.watch(ticket ?? '')) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (changed: boolean) => {
        clearTimeout(timer);
        if (this.wakeUp === onChange) this.wakeUp = null;
        resolve(changed);
      };
      const onChange = () => done(true);
      const timer = setTimeout(() => done(false), ms);
      this.wakeUp = onChange;
    });
  }

  /** Watch `target` ('' = the folder). False: the ticket is already gone. */
  private watch(target: string): boolean {
    if (this.failed || this.watching === target) return true;
    this.stop();
    try {
      const watcher: FSWatcher =
        target === ''
          ? watch(this.dir, { persistent: false }, (_event, name) => {
              if (this.watcher === watcher && (name === null || this.relevant(String(name)))) this.wakeUp?.();
            })
          : // The ticket's owner also writes it (when it becomes the holder, and to keep its lease): only
            // its removal is worth waking for. Events of a watch we have moved on from are dropped too.
            watch(target, { persistent: false }, () => {
              if (this.watcher === watcher && !ticketExists(target)) this.wakeUp?.();
            });
      this.watcher = watcher;
      watcher.on('error', () => this.stop());
      this.watching = target;
      return true;
    } catch (err) {
      if (target !== '' && (err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      this.failed = true; // no watches here (or none left): polling only
      return true;
    }
  }

  private stop(): void {
    this.watcher?.close();
    this.watcher = null;
    this.watching = null;
  }

  /** Whether changes wake it (false: no watch could be set up here, so only its timer does). */
  get watches(): boolean {
    return !this.failed;
  }

  close(): void {
    this.stop();
    this.failed = true;
  }
}
