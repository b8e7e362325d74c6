// One write under a write lock, fenced so that a holder stopped past its
// lease cannot publish it late (tasks.ts explains why each step is safe):
//   1. write the data to a held temp (fsx.heldTempPathFor), fsync'd if durable
//      (a spare inode renamed to that name once written, when the caller
//      recycles them: version-spares.ts);
//   2. check that our lock is still ours — after the temp exists, because a
//      new holder's fence that missed the temp ran before it, when our
//      ticket was already gone;
//   3. optionally link the temp elsewhere first (a task's history version);
//   4. rename it over the target.
// A new holder that removed our temp makes step 3 or 4 fail with ENOENT.
//
// With syncAfterPublish the fsync of step 1 is left to the caller, after
// step 4 (and after it released its lock): see tasks.ts, "a contended commit".
import { closeSync, existsSync, fsyncSync } from 'node:fs';
import { VersionConflictError } from './errors.ts';
import { heldTempPathFor, renameWithRetry, unlinkQuiet, writeTemp, writeTempOpen } from './fsx.ts';
import { pausePoint, type PausePoint } from './pause-points.ts';
import { noteDurable, writeIntoSpare } from './version-spares.ts';

/** Nothing of ours was published: the lock was taken over (and our temp fenced). */
export class FencedError extends Error {}

export interface FencedWrite {
  target: string;
  data: string;
  durable: boolean;
  stillHeld: () => boolean;
  /** Where a test may stop the writer, right after its ownership check. */
  pause: PausePoint;
  /**
   * Publish the temp under another name before the rename (a history
   * version). Once it succeeded the write counts, even if the rename then
   * finds the temp fenced: every later holder reads after its fence and
   * rolls forward over it. It throws FencedError when it finds the temp gone.
   */
  link?: (tmp: string) => void;
  /** Write into a spare inode of the target's folder when one is ready (version-spares.ts). */
  useSpare?: boolean;
  /**
   * Durable, but fsync'd only when the caller calls the returned function,
   * after publishing: a fresh temp is written then, never a spare, whose old
   * bytes could otherwise sit under the new names after a power cut.
   */
  syncAfterPublish?: boolean;
}

/** The fsync a write published with syncAfterPublish still owes (call it once); otherwise nothing to do. */
export type PendingSync = () => void;

const nothingPending: PendingSync = () => {};

/** Throws FencedError when nothing was published. */
export function writeFenced(w: FencedWrite): PendingSync {
  // Every branch writes the temp under this one name.
  const tmp = heldTempPathFor(w.target);
  const data = Buffer.from(w.data);
  let openFd: number | null = null;
  if (w.durable && w.syncAfterPublish === true) openFd = writeTempOpen(tmp, data);
  else {
    if (!(w.useSpare && writeIntoSpare(w.target, tmp, data, w.durable))) writeTemp(w.target, data, w.durable, tmp);
    if (w.durable) noteDurable();
  }
  try {
    if (!w.stillHeld()) throw new FencedError();
    pausePoint(w.pause);
    if (w.link) {
      w.link(tmp);
      pausePoint('commit.after-link');
    }
    try {
      renameWithRetry(tmp, w.target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || existsSync(tmp)) throw err;
      if (!w.link) throw new FencedError();
      // Fenced after our link: committed all the same (see `link`).
    }
  } catch (err) {
    if (openFd !== null) closeSync(openFd);
    unlinkQuiet(tmp);
    throw err;
  }
  if (openFd === null) return nothingPending;
  const fd = openFd;
  return () => {
    pausePoint('commit.before-sync');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    noteDurable();
  };
}

/** What a writer whose lock was taken over is told; retrying after a re-read is safe. */
export function lostLockError(what: string, expected: number | null, details: Record<string, unknown>): VersionConflictError {
  return new VersionConflictError(
    `${what}: the lock lease ran out while this process was stopped and another writer took it over; nothing was written`,
    expected,
    null,
    details,
  );
}
