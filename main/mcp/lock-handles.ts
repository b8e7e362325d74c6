// The locks one MCP client holds across calls. The server process is the
// holder the engine sees: it keeps each lease alive (heartbeat) until the
// client calls release_lock, and releases everything when the client goes
// away. If this process dies instead, nothing releases the locks: their
// leases run out and the next waiter takes over (or sooner, on this host,
// when the engine finds our pid gone).
import { randomBytes } from 'node:crypto';
import { InvalidInputError, LockTimeoutError, NotFoundError, type Lock, type LockMode, type StateStore } from '../engine/public.ts';

/** Locks one client may hold at once: each one is a ticket on disk and a heartbeat timer. */
export const MAX_HELD_LOCKS = 256;

export interface HeldLock {
  handle: string;
  lock: Lock;
  mode: LockMode;
  /** The heartbeat found the lease taken over (this process was stopped past it). */
  lost: boolean;
}

export class LockHandles {
  private readonly held = new Map<string, HeldLock>();
  /** Acquisitions still waiting; they count against the limit and are settled on close. */
  private readonly waiting = new Set<Promise<unknown>>();
  private closed = false;
  private readonly stopWatching: () => void;

  private readonly store: StateStore;

  constructor(store: StateStore) {
    this.store = store;
    this.stopWatching = store.on('state.lock_lost', ({ token }) => {
      for (const entry of this.held.values()) if (entry.lock.record.token === token) entry.lost = true;
    });
  }

  async acquire(taskId: string, mode: LockMode, options: { timeout?: number; owner: string; signal?: AbortSignal }): Promise<HeldLock> {
    if (this.closed) throw new LockTimeoutError('the connection is closing: no new locks');
    if (this.held.size + this.waiting.size >= MAX_HELD_LOCKS) {
      throw new InvalidInputError(`this connection already holds or awaits ${MAX_HELD_LOCKS} locks: release some first`, {
        limit: MAX_HELD_LOCKS,
      });
    }
    const taking = this.store.acquireLock(taskId, mode, { timeout: options.timeout, owner: options.owner, heartbeat: true });
    this.waiting.add(taking);
    let lock: Lock;
    try {
      lock = await taking;
    } finally {
      this.waiting.delete(taking);
    }
    // The client cancelled the call or went away while we waited: nobody would ever release this lock.
    if (this.closed || options.signal?.aborted) {
      await this.store.releaseLock(lock);
      throw new LockTimeoutError(`the ${mode} lock on ${taskId} came after the request was cancelled; it was released at once`, {
        task_id: taskId,
        mode,
      });
    }
    const entry: HeldLock = { handle: newHandle(), lock, mode, lost: false };
    this.held.set(entry.handle, entry);
    return entry;
  }

  /** A held lock by its handle; NOT_FOUND for a handle this connection does not hold. */
  get(handle: string): HeldLock {
    const entry = this.held.get(handle);
    if (!entry)
      throw new NotFoundError(
        `no lock with handle ${JSON.stringify(handle)} is held by this connection (released already, or never acquired here)`,
        { handle },
      );
    return entry;
  }

  /** The write lock to commit a change of `taskId` under. */
  forCommit(handle: string, taskId: string): Lock {
    const entry = this.get(handle);
    if (entry.lock.taskId !== taskId) {
      throw new InvalidInputError(`lock ${handle} is on task ${entry.lock.taskId}, not ${taskId}`, { handle, task_id: taskId });
    }
    if (entry.mode !== 'write') throw new InvalidInputError(`lock ${handle} is a read lock: committing needs a write lock`, { handle });
    if (entry.lost) throw lostError(entry);
    return entry.lock;
  }

  /** Release by handle. `lost` says the lease had been taken over before (nothing committed under it after that was kept). */
  async release(handle: string): Promise<{ released: true; lost: boolean }> {
    const entry = this.get(handle);
    this.held.delete(handle);
    const stillOurs = await this.store.releaseLock(entry.lock);
    return { released: true, lost: entry.lost || !stillOurs };
  }

  /** Handles by lock token, to mark which listed locks are this client's. */
  handlesByToken(): Map<string, string> {
    return new Map([...this.held.values()].map((e) => [e.lock.record.token, e.handle]));
  }

  get size(): number {
    return this.held.size;
  }

  /**
   * The client went away: release every lock it held. Acquisitions still
   * waiting release their lock themselves when they get it; we wait for them
   * up to `graceMs`, after which the caller may exit (a dead waiter's ticket
   * is reclaimed by the others).
   */
  async releaseAll(graceMs = 1_000): Promise<number> {
    this.closed = true;
    this.stopWatching();
    const entries = [...this.held.values()];
    this.held.clear();
    await Promise.all(entries.map((e) => this.store.releaseLock(e.lock).catch(() => false)));
    if (this.waiting.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise((resolve) => (timer = setTimeout(resolve, graceMs)));
      await Promise.race([Promise.allSettled([...this.waiting]), grace]);
      clearTimeout(timer);
    }
    return entries.length;
  }
}

function newHandle(): string {
  return `lock-${randomBytes(8).toString('hex')}`;
}

function lostError(entry: HeldLock): LockTimeoutError {
  return new LockTimeoutError(
    `lost the ${entry.mode} lock on ${entry.lock.taskId} (${entry.handle}): its lease ran out while this server was stopped, and another process took it over; release it, re-read and start again`,
    { handle: entry.handle, task_id: entry.lock.taskId, mode: entry.mode },
  );
}
