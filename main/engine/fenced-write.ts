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
import { existsSync } from 'node:fs';
import { VersionConflictError } from './errors.ts';
import { heldTempPathFor, renameWithRetry, unlinkQuiet, writeTemp } from './fsx.ts';
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
}

/** Throws FencedError when nothing was published. */
export function writeFenced(w: FencedWrite): void {
  const held = heldTempPathFor(w.target);
  const data = Buffer.from(w.data);
  const tmp = w.useSpare && writeIntoSpare(w.target, held, data, w.durable) ? held : writeTemp(w.target, data, w.durable, held);
  if (w.durable) noteDurable();
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
    unlinkQuiet(tmp);
    throw err;
  }
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
