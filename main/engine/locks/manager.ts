// Shared and exclusive leases on a resource (a task, or a session file).
//
// Every participant owns one ticket file (ticket.ts) in the lock's folder;
// the queue order (queue.ts) decides who holds. Acquire, refresh, reclaim
// and release each touch only one file whose name nobody else ever uses:
//   acquire   create our ticket, re-scan (withdraw if overtaken), wait until
//             nothing that blocks us sorts before us, then prove the ticket
//             is still there and, for a writer, fence the previous holders'
//             pending writes (fsx.fenceHeldTemps);
//   refresh   touch our ticket's mtime (fails, never recreates, if it is gone);
//   reclaim   unlink a stale ticket by its own name, then re-scan before
//             deciding anything;
//   release   unlink our ticket.
// A holder paused past its lease loses its ticket to a reclaimer. It may
// still believe it holds; the fence and the ownership check every write
// makes after preparing it (tasks.ts, sessions.ts) are what refuse its late
// write. The README's "How it stays correct" walks through each step.
import { lstatSync, mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { LockMode, LockRecord } from '../../../shared/model.ts';
import type { StoreConfig } from '../config.ts';
import { InvalidInputError, LockTimeoutError } from '../errors.ts';
import { fenceHeldTemps, sleep, unlinkQuiet } from '../fsx.ts';
import { pausePoint } from '../pause-points.ts';
import { legacyStaleReason, readLegacy } from './legacy.ts';
import { blockersOf, nextSeq, overtaken, scanQueue, type QueueScan } from './queue.ts';
import {
  createTicket,
  markHeld,
  newTicketName,
  observeTicket,
  parseTicketName,
  staleTicketReason,
  ticketExists,
  toRecord,
  touchTicket,
  type CreatedTicket,
  type TicketName,
} from './ticket.ts';
import { TicketSpares } from './spares.ts';
import { LockWaker } from './waker.ts';

export interface LockTarget {
  /** The id shown to users: a task id, or `session:<id>`. */
  resourceId: string;
  /** The lock's base path: tickets are `<lockFile>.<seq>-…` beside it. */
  lockFile: string;
  /** The file written under this lock: a new write holder fences its held temps. */
  fences?: string;
}

export interface HeldLock {
  readonly target: LockTarget;
  /** This holder's ticket. */
  readonly file: string;
  record: LockRecord;
  /** When acquire returned it (ms since the epoch): the hold logged at release starts here. */
  readonly grantedAt: number;
  /** How long acquire waited for it. */
  readonly waitMs: number;
  /** Whether other tickets were queued behind ours when we were granted it (see AcquireOptions.abortIf). */
  readonly contended?: boolean;
  /**
   * Whether others are likely to queue behind us while we hold it: it was contended at the grant,
   * we had to wait for it, or we saw others in its queue within the last RECENT_QUEUE_MS (tasks.ts
   * hands such a lock on before its commit's fsync).
   */
  readonly queueLikely?: boolean;
  /** Taken by a commit for itself (AcquireOptions.withinCommit). */
  readonly withinCommit?: boolean;
}

export interface AcquireOptions {
  timeout?: number;
  owner?: string;
  /**
   * Checked whenever a waiter wakes: an error returned here ends the wait
   * (e.g. a version conflict that waiting longer cannot fix).
   *
   * Such a waiter is an optimistic writer, and it is also polite: if this
   * process has just released the same lock while others were queued behind
   * it, it lets them go first (see LockManager.politeTurn).
   */
  abortIf?: () => Error | null;
  /**
   * Held only by the commit that takes it and released before that commit
   * returns: its acquisition line need not be written while the lock is
   * held, and goes out with its release line (log-lines.ts).
   */
  withinCommit?: boolean;
}

export interface LockListener {
  onAcquired(held: HeldLock, waitMs: number): void;
  /** `owner`: the label the waiter asked the lock for. */
  onTimeout(target: LockTarget, mode: LockMode, waitMs: number, blocker: LockRecord | null, owner: string): void;
  onBroken(target: LockTarget, record: LockRecord | null, why: string): void;
  /** `stillHeld` false: the ticket was already gone (taken over while this process was stopped). */
  onReleased(held: HeldLock, releasedAt: number, stillHeld: boolean): void;
}

/** How much longer than backoff_max_ms a waiter queued behind another waiter may sleep between looks. */
const FAR_BACK_FACTOR = 6;

/** How far past our last number a contended join guesses its next (see join). */
const GUESS_AHEAD = 16;
/** Past this, a join lists the queue for its number again (sequence numbers have 12 digits). */
const MAX_GUESSED_SEQ = 1e11;

/** How long a queue seen on a lock makes another likely (HeldLock.queueLikely). */
const RECENT_QUEUE_MS = 1000;

/** A backoff attempt number past any cap: the timer of a waiter whose watch wakes it is a safety net only. */
const SAFETY_NET = 64;

/** A blocker whose ticket cannot be read right now. */
const UNREADABLE = Symbol('unreadable ticket');
/** Some ticket ahead blocks us; its owner was not looked at this round. */
const UNJUDGED = Symbol('blocked, owner not judged');

interface Joined {
  ticket: CreatedTicket;
  id: TicketName;
  scan: QueueScan;
}

export class LockManager {
  private readonly config: StoreConfig;
  readonly listener: LockListener;
  private readonly spares = new TicketSpares();
  /** Locks this process released while others queued behind it: when, and how long it held them. */
  private readonly contendedReleases = new Map<string, { at: number; holdMs: number }>();
  /** Locks whose queue held only our ticket when we last joined it. */
  private readonly quietLocks = new Set<string>();
  /** Locks whose queue held others when we last joined it: our number then (the highest present). */
  private readonly lastSeenSeq = new Map<string, number>();
  /** When we last saw others in a lock's queue (at a join or a grant). */
  private readonly othersSeenAt = new Map<string, number>();

  constructor(config: StoreConfig, listener: LockListener) {
    this.config = config;
    this.listener = listener;
  }

  /**
   * First come, first served: the queue is ordered by ticket. A waiter sleeps
   * until the ticket just ahead of its own goes away (fs.watch, waker.ts),
   * with a short timer as a safety net; on each wake it looks at the head of
   * the queue (which it reclaims if stale) but lists the folder again only
   * once that ticket is gone. It keeps its own ticket's lease alive while it
   * waits, so nobody takes its place for as long as it is running.
   */
  async acquire(target: LockTarget, mode: LockMode, options: AcquireOptions = {}): Promise<HeldLock> {
    const timeout = options.timeout ?? this.config.lock_timeout_ms;
    const owner = options.owner ?? this.config.owner;
    const started = Date.now();
    const deadline = started + timeout;
    const dir = dirname(target.lockFile);
    const base = basename(target.lockFile);
    const touchEvery = Math.max(10, Math.floor(this.config.lease_ms / 3));
    if (options.abortIf) await this.politeTurn(target, options.abortIf, deadline);
    let joined: Joined | null = this.join(target, mode, owner);
    let lastTouch = Date.now();
    let waited = false;
    let waker: LockWaker | null = null;
    /** The ticket we sleep behind (see waker.ts), or null: the folder is listed again on every wake. */
    let behind: string | null = null;
    let rescan = false;
    /** Whether this round looks at the owner of the ticket at the head (see below). */
    let judge = false;
    let blocker: LockRecord | null = null;
    try {
      for (let attempt = 0; ; attempt++) {
        if (attempt > 0) {
          const abort = options.abortIf?.();
          if (abort) throw abort;
          // Nothing that decides can have changed while the ticket we sleep behind is there: tickets
          // that stay only ever join behind ours (queue.ts), and the head is looked at below all the same.
          if (rescan || behind === null || !ticketExists(behind)) {
            joined.scan = scanQueue(dir, base);
            if (!joined.scan.tickets.some((t) => t.name === joined!.id.name)) {
              // Our ticket was reclaimed: we were stopped past our lease. Queue again, at the back.
              joined = this.join(target, mode, owner);
              lastTouch = Date.now();
            }
          }
        }
        rescan = false;
        // Judging the head (reading its ticket, asking whether its owner lives) is only needed to reclaim
        // a lock whose owner died or stopped: a live owner's release wakes us through the watch. So it is
        // done when the timer woke us, or when the folder is watched instead of a ticket, not on every
        // look (6 system calls fewer per contended acquisition). Who holds is decided by the scan alone.
        const ahead = judge || joined.scan.legacy.length > 0 ? this.firstLiveBlocker(target, joined) : anyBlocker(joined);
        judge = false;
        if (ahead === 'reclaimed') {
          rescan = true; // re-scan before deciding anything
          judge = true;
          continue;
        }
        if (ahead === null) {
          pausePoint('lock.before-return');
          // The proof that the lock is ours: our ticket is still there — in the scan just made, or,
          // after a wait, when markHeld rewrites it (which also starts a fresh lease).
          if (waited && !markHeld(joined.ticket)) {
            joined = this.join(target, mode, owner);
            lastTouch = Date.now();
            continue;
          }
          if (mode === 'write' && target.fences) fenceHeldTemps(dir, joined.scan.names, target.fences);
          const grantedAt = Date.now();
          const othersQueued = joined.scan.tickets.length > 1;
          const queueLikely = waited || othersQueued || this.sawOthersRecently(target.lockFile, grantedAt);
          if (othersQueued) this.noteOthers(target.lockFile);
          const held: HeldLock = {
            target,
            file: joined.ticket.file,
            record: toRecord(joined.ticket.content, grantedAt),
            grantedAt,
            waitMs: grantedAt - started,
            contended: othersQueued,
            queueLikely,
            withinCommit: options.withinCommit,
          };
          joined = null;
          this.listener.onAcquired(held, held.waitMs);
          return held;
        }
        if (ahead === UNJUDGED && Date.now() >= deadline) {
          judge = true; // one more round, to name the holder in the time-out
          continue;
        }
        if (ahead !== UNJUDGED) blocker = ahead === UNREADABLE ? null : ahead;
        if (Date.now() >= deadline) break;
        waited = true;
        if (Date.now() - lastTouch >= touchEvery) {
          if (!touchTicket(joined.ticket.file)) {
            rescan = true; // gone: the next round queues again
            continue;
          }
          lastTouch = Date.now();
        }
        behind = ticketToWaitBehind(joined, ahead, dir);
        waker ??= new LockWaker(dir, (name) => name.startsWith(base));
        // While a ticket is watched, its release wakes us: the timer only looks for an owner that died
        // (which leaves its ticket behind), so it starts at its longest instead of growing from 1 ms. Timer
        // wakes cost the holder CPU it needs (measured with 4 processes: 1.05 of the 2.3 wakes per
        // acquisition were the timer's). Behind another waiter (a live one keeps its ticket fresh) it may
        // sleep longer still; the waiter next in line keeps backoff_max_ms, which notices a holder that died.
        const watched = behind !== null && waker.watches;
        const farBack = watched && blockersOf(joined.scan, joined.id).length > 1;
        const nap = this.backoff(watched ? SAFETY_NET : attempt, deadline, farBack ? FAR_BACK_FACTOR : 1);
        const changed = await waker.wait(Math.min(nap, Math.max(1, lastTouch + touchEvery - Date.now())), behind);
        judge = !changed || behind === null;
      }
    } finally {
      waker?.close();
      if (joined) unlinkQuiet(joined.ticket.file); // timed out, aborted or failed: leave the queue
    }
    const waitedMs = Date.now() - started;
    this.listener.onTimeout(target, mode, waitedMs, blocker, owner);
    const who = blocker ? ` held by ${blocker.owner || 'unnamed'} (pid ${blocker.pid} on ${blocker.host}, ${blocker.mode})` : '';
    throw new LockTimeoutError(`timed out after ${waitedMs} ms waiting for the ${mode} lock on ${target.resourceId}${who}`, {
      task_id: target.resourceId,
      mode,
      waited_ms: waitedMs,
      holder: blocker,
    });
  }

  /**
   * Take a ticket numbered after every present one, then scan again: if some
   * ticket now sorts after ours, our number may be older than a ticket
   * created before ours, so we withdraw and take a new one (see queue.ts).
   */
  private join(target: LockTarget, mode: LockMode, owner: string): Joined {
    const dir = dirname(target.lockFile);
    const base = basename(target.lockFile);
    assertRealFolder(dir);
    // Skip the first listing by guessing our number. Where we were alone last time, the queue is most
    // likely empty again: seq 1. Where others queued, a number past the highest we saw: tickets joined
    // since then sort before ours, as they should. Any number is safe: a ticket that sorts before ours
    // is trusted only if it was there at our validating scan, and one that sorts after ours makes us
    // withdraw (queue.ts); a guess too low only costs a retry, and numbers restart once the queue empties.
    let guess = this.quietLocks.has(target.lockFile) ? 1 : this.guessAfterLastSeen(target.lockFile);
    for (;;) {
      const name = newTicketName(base, guess ?? nextSeq(scanQueue(dir, base)), mode);
      const ticket = withParentDir(dir, () => createTicket(dir, name, target.resourceId, mode, owner, this.config.lease_ms, this.spares));
      pausePoint('lock.after-join');
      const scan = scanQueue(dir, base);
      const id = parseTicketName(base, name)!;
      if (!overtaken(scan, id)) {
        if (scan.tickets.length > 1) {
          this.noteOthers(target.lockFile);
          this.quietLocks.delete(target.lockFile);
          if (this.lastSeenSeq.size >= 256) this.lastSeenSeq.clear(); // only the most recent ones matter
          this.lastSeenSeq.set(target.lockFile, id.seq);
        } else {
          this.lastSeenSeq.delete(target.lockFile);
          if (this.quietLocks.size >= 256) this.quietLocks.clear(); // only the most recent ones matter
          this.quietLocks.add(target.lockFile);
        }
        return { ticket, id, scan };
      }
      unlinkQuiet(ticket.file);
      // Past every ticket the validating scan just saw: no second listing to number the retry.
      guess = nextSeq(scan);
    }
  }

  private noteOthers(lockFile: string): void {
    if (this.othersSeenAt.size >= 256) this.othersSeenAt.clear(); // only the most recent ones matter
    this.othersSeenAt.set(lockFile, Date.now());
  }

  private sawOthersRecently(lockFile: string, now: number): boolean {
    return now - (this.othersSeenAt.get(lockFile) ?? Number.NEGATIVE_INFINITY) < RECENT_QUEUE_MS;
  }

  /**
   * A number past every ticket likely present: ours last time, plus room for every process that may
   * have joined since (a guess too low is refused by the validating scan and costs a retry).
   */
  private guessAfterLastSeen(lockFile: string): number | null {
    const last = this.lastSeenSeq.get(lockFile);
    return last === undefined || last > MAX_GUESSED_SEQ ? null : last + GUESS_AHEAD;
  }

  /**
   * The first ticket (or older-version lock) that keeps us waiting, if its
   * owner still owns it. A stale one is reclaimed by unlinking its own file,
   * and the caller must re-scan: only a scan made after the reclaim may
   * decide, so that the fence sees every temp the stale owner left.
   */
  private firstLiveBlocker(target: LockTarget, joined: Joined): LockRecord | typeof UNREADABLE | 'reclaimed' | null {
    const dir = dirname(target.lockFile);
    const base = basename(target.lockFile);
    for (const name of joined.scan.legacy) {
      const entry = readLegacy(dir, base, name);
      if (entry.record && legacyStaleReason(entry.record) === null && (joined.id.mode === 'write' || entry.record.mode === 'write')) {
        return entry.record;
      }
    }
    const first = blockersOf(joined.scan, joined.id)[0];
    if (!first) return null;
    const file = join(dir, first.name);
    const seen = observeTicket(file);
    if (seen === null) return 'reclaimed'; // released meanwhile
    const reason = staleTicketReason(first, seen, joined.ticket.slackMs);
    if (reason === null) {
      // Unreadable but not stale (its owner is between creating and writing it): it blocks all the same.
      return seen.content ? toRecord(seen.content, seen.mtimeMs, joined.ticket.slackMs) : UNREADABLE;
    }
    pausePoint('lock.reclaim.before-unlink');
    if (unlinkQuiet(file)) {
      this.listener.onBroken(target, seen.content ? toRecord(seen.content, seen.mtimeMs) : null, reason);
      return 'reclaimed';
    }
    // Not removable by us (another user's file in a shared folder): it keeps blocking, visibly.
    if (observeTicket(file) === null) return 'reclaimed';
    return seen.content ? toRecord(seen.content, seen.mtimeMs, joined.ticket.slackMs) : UNREADABLE;
  }

  /**
   * An optimistic writer that just committed reads the new version first:
   * the writers it overtook are still waking up to find their expected
   * version stale. Left alone it wins every round (measured with 4
   * processes in a read-then-compare-and-set loop: 735/211/111/40 commits).
   * So when this process has just released this lock while others were
   * queued behind it, it waits one to two of its own hold times (capped at
   * backoff_max_ms) before queueing again, which lets them re-read and queue
   * first; if one of them commits meanwhile, its own attempt is already
   * stale and fails here without queueing. Nothing is decided while it
   * waits: this only delays the join.
   */
  private async politeTurn(target: LockTarget, abortIf: () => Error | null, deadline: number): Promise<void> {
    const last = this.contendedReleases.get(target.lockFile);
    if (!last) return;
    this.contendedReleases.delete(target.lockFile);
    const ms =
      Math.min(this.config.backoff_max_ms, Math.max(1, last.holdMs) * (1 + Math.random()), deadline - Date.now()) - (Date.now() - last.at);
    if (ms <= 0) return;
    await sleep(ms);
    const abort = abortIf();
    if (abort) throw abort;
  }

  /** Jittered exponential back-off, capped (`factor` × backoff_max_ms), never sleeping past the deadline. */
  private backoff(attempt: number, deadline: number, factor = 1): number {
    const cap = Math.max(1, Math.min(this.config.backoff_max_ms * factor, 2 ** attempt));
    const ms = cap / 2 + Math.random() * (cap / 2);
    return Math.max(0, Math.min(ms, deadline - Date.now()));
  }

  /** Leave the lock. False if it had already been taken away (our lease ran out while we were stopped). */
  release(held: HeldLock): boolean {
    // Taken before the unlink: the next holder's grant, which the unlink allows, is then never logged
    // before this release (a release stamped after it, by a process preempted in between, was).
    const releasedAt = Date.now();
    const stillHeld = unlinkQuiet(held.file);
    if (held.contended) {
      if (this.contendedReleases.size >= 64) this.contendedReleases.clear(); // only the most recent ones matter
      this.contendedReleases.set(held.target.lockFile, { at: releasedAt, holdMs: releasedAt - held.grantedAt });
    } else this.contendedReleases.delete(held.target.lockFile);
    this.listener.onReleased(held, releasedAt, stillHeld);
    return stillHeld;
  }

  /** Whether this holder still owns its lock: its ticket is still there. */
  stillHeld(held: HeldLock): boolean {
    return ticketExists(held.file);
  }

  /** Extend the lease. False if the lock was lost (taken over after the lease ran out); nothing is recreated. */
  refresh(held: HeldLock): boolean {
    pausePoint('refresh.before-touch');
    if (!touchTicket(held.file)) return false;
    held.record = { ...held.record, expires_at: new Date(Date.now() + this.config.lease_ms).toISOString() };
    return true;
  }

  /** Remove this manager's spare ticket files (the store is closing). Held locks are not released. */
  close(): void {
    this.spares.drop();
  }
}

/**
 * The ticket just ahead of ours among those that block us: its release is
 * the change that can let us in (or moves us one place up). null when the
 * folder must be watched instead: an earlier version's lock file or an
 * unreadable ticket is in the way.
 */
function ticketToWaitBehind(joined: Joined, ahead: LockRecord | typeof UNREADABLE | typeof UNJUDGED, dir: string): string | null {
  if (ahead === UNREADABLE || joined.scan.legacy.length > 0) return null;
  const nearest = blockersOf(joined.scan, joined.id).at(-1);
  return nearest ? join(dir, nearest.name) : null;
}

/** Whether some ticket ahead of ours blocks us, from the scan alone (no earlier version's lock file is there). */
function anyBlocker(joined: Joined): typeof UNJUDGED | null {
  return blockersOf(joined.scan, joined.id).length > 0 ? UNJUDGED : null;
}

/**
 * A lock folder that is a symlink would lead tickets, and the writes they
 * guard, out of the root (in a folder shared by several users, onto another
 * user's files). Refused.
 */
export function assertRealFolder(dir: string): void {
  let st;
  try {
    st = lstatSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // created below, as a real folder
    throw err;
  }
  if (st.isSymbolicLink()) throw new InvalidInputError(`${dir} is a symlink; Lockstep does not write through symlinks`, { path: dir });
  if (!st.isDirectory()) throw new InvalidInputError(`${dir} is not a folder`, { path: dir });
}

/** Run a file creation, creating the folder on ENOENT (a task's first lock). */
function withParentDir<T>(dir: string, create: () => T): T {
  try {
    return create();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(dir, { recursive: true });
    return create();
  }
}
