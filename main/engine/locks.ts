// Shared and exclusive leases on a resource (a task, or a session file).
//
// On-disk protocol, for a lock file L (tasks: <task dir>/state.lock):
//   L            the writer's record, published with link(2): it appears whole
//                or not at all, and EEXIST means "held". It also blocks new
//                readers, which gives writers priority over a stream of readers.
//   L.r-<token>  one file per reader, so readers never rewrite a shared file.
//   L.w-<token>  one file per waiter, so the dashboard can show who is stuck.
//   L.reclaim    a short-lived marker that serializes reclaiming a stale L.
//
// A reader publishes its file, then re-checks L; a writer publishes L, then
// waits for reader files to drain. Either the reader sees L or the writer
// sees the reader, so the two never hold the lock together.
//
// Leases only provide waiting and fairness. Data safety comes from the
// version fence in the commit (see tasks.ts): a holder paused past its lease
// cannot overwrite the state of the one that took over.
import { mkdirSync, readdirSync, readFileSync, statSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { LockMode, LockRecord, LockWaiter, LockEvent } from '../../shared/model.ts';
import type { StoreConfig } from './config.ts';
import { LockTimeoutError } from './errors.ts';
import {
  isPlainObject,
  linkExclusive,
  publishExclusive,
  SpareRecords,
  renameWithRetry,
  tempPathFor,
  unlinkQuiet,
  withPath,
  writeFileAtomic,
} from './fsx.ts';
import { HOST, SELF_START, processLiveness } from './identity.ts';

export interface LockTarget {
  /** The id shown to users: a task id, or `session:<id>`. */
  resourceId: string;
  /** Path of the writer's lock file; reader and waiter files sit beside it. */
  lockFile: string;
}

export interface HeldLock {
  readonly target: LockTarget;
  /** The file holding this holder's record (L for writers, L.r-<token> for readers). */
  readonly file: string;
  record: LockRecord;
}

export interface AcquireOptions {
  timeout?: number;
  owner?: string;
  /**
   * Checked whenever a waiter wakes: an error returned here ends the wait
   * (e.g. a version conflict that waiting longer cannot fix).
   */
  abortIf?: () => Error | null;
}

export interface LockListener {
  onAcquired(held: HeldLock, waitMs: number): void;
  onTimeout(target: LockTarget, mode: LockMode, waitMs: number, blocker: LockRecord | null): void;
  onBroken(target: LockTarget, record: LockRecord | null, why: string): void;
}

/** A lock file whose bytes are not a valid record: treated as foreign and reclaimable. */
export interface GarbageLock {
  garbage: true;
  raw: string;
  ageMs: number;
}

export type LockFileContent = { record: LockRecord; raw: string } | GarbageLock | null;

/** A ticket in the lock's queue: our waiter file. */
interface Ticket {
  token: string;
  since: number;
  file: string;
}

interface WaiterRecord extends LockWaiter {
  token: string;
  start: string | null;
  since_ms: number;
}

/** How long the head of the queue may leave a free lock untaken before the next waiters go ahead. */
const HANDOFF_GRACE_MS = 50;

/**
 * Sleeps until something changes in a folder (fs.watch: inotify, FSEvents,
 * ReadDirectoryChangesW) or a timer fires, whichever comes first. The watch
 * is created on the first wait only, so uncontended acquisitions pay nothing.
 */
class FolderWaker {
  private watcher: FSWatcher | null = null;
  private failed = false;
  private wakeUp: (() => void) | null = null;
  private readonly dir: string;
  private readonly relevant: (name: string) => boolean;

  /** `relevant`: which entry names are worth waking for (lock files, not commits or temp files). */
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

/** Garbage lock files younger than this are left alone (a non-link writer may still be filling one). */
const GARBAGE_GRACE_MS = 1000;
/** A reclaim marker older than this belongs to a reclaimer that died mid-way. */
const RECLAIM_MARKER_STALE_MS = 5000;

export function readerPrefix(lockFile: string): string {
  return `${basename(lockFile)}.r-`;
}
export function waiterPrefix(lockFile: string): string {
  return `${basename(lockFile)}.w-`;
}

function parseRecord(value: unknown): LockRecord | null {
  if (!isPlainObject(value)) return null;
  const r = value as Partial<LockRecord>;
  if (typeof r.token !== 'string' || (r.mode !== 'read' && r.mode !== 'write')) return null;
  if (typeof r.pid !== 'number' || typeof r.host !== 'string' || typeof r.expires_at !== 'string') return null;
  if (Number.isNaN(Date.parse(r.expires_at))) return null;
  return {
    task_id: String(r.task_id ?? ''),
    mode: r.mode,
    token: r.token,
    pid: r.pid,
    host: r.host,
    start: typeof r.start === 'string' ? r.start : null,
    owner: typeof r.owner === 'string' ? r.owner : '',
    acquired_at: typeof r.acquired_at === 'string' ? r.acquired_at : '',
    expires_at: r.expires_at,
  };
}

export function readLockFile(path: string): LockFileContent {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw withPath(err, path);
  }
  let record: LockRecord | null;
  try {
    record = parseRecord(JSON.parse(raw));
  } catch {
    record = null;
  }
  if (record) return { record, raw };
  let ageMs: number;
  try {
    ageMs = Date.now() - statSync(path).mtimeMs;
  } catch {
    return null;
  }
  return { garbage: true, raw, ageMs };
}

export function isGarbage(content: LockFileContent): content is GarbageLock {
  return content !== null && 'garbage' in content;
}

/** Why a record may be taken over, or null if its holder still owns it. */
export function staleReason(record: LockRecord, now = Date.now()): string | null {
  if (Date.parse(record.expires_at) <= now) return `lease expired at ${record.expires_at}`;
  if (processLiveness(record.pid, record.host, record.start) === 'dead') {
    return `holder pid ${record.pid} on ${record.host} is dead`;
  }
  return null;
}

function contentStaleReason(content: LockFileContent): string | null {
  if (content === null) return null;
  if (isGarbage(content)) return content.ageMs >= GARBAGE_GRACE_MS ? 'lock file is not a valid record' : null;
  return staleReason(content.record);
}

function newToken(): string {
  return `${process.pid}-${randomBytes(6).toString('hex')}`;
}

export class LockManager {
  private readonly config: StoreConfig;
  private readonly listener: LockListener;
  private readonly spares = new SpareRecords();

  constructor(config: StoreConfig, listener: LockListener) {
    this.config = config;
    this.listener = listener;
  }

  private makeRecord(target: LockTarget, mode: LockMode, owner: string, token = newToken()): LockRecord {
    const now = Date.now();
    return {
      task_id: target.resourceId,
      mode,
      token,
      pid: process.pid,
      host: HOST,
      start: SELF_START,
      owner,
      acquired_at: new Date(now).toISOString(),
      expires_at: new Date(now + this.config.lease_ms).toISOString(),
    };
  }

  /**
   * Waiters are served first come, first served: a waiter registers a file
   * (its ticket, ordered by registration time) and only the earliest live
   * waiter tries to take a free lock. A newcomer that wins the lock while
   * others queue hands it back and queues too, so a process that releases and
   * immediately re-acquires cannot starve the others. Waiters sleep until the
   * lock's folder changes (fs.watch), with a short timer as a safety net. If
   * the head of the queue does not take a free lock within HANDOFF_GRACE_MS
   * (stopped, or slow), the next waiters stop deferring to it.
   */
  async acquire(target: LockTarget, mode: LockMode, options: AcquireOptions = {}): Promise<HeldLock> {
    const timeout = options.timeout ?? this.config.lock_timeout_ms;
    const owner = options.owner ?? this.config.owner;
    const started = Date.now();
    const deadline = started + timeout;
    let ticket: Ticket | null = null;
    let freeSince: number | null = null;
    let blocker: LockRecord | null = null;
    const lockName = basename(target.lockFile);
    // Wake on L appearing or going, and on readers leaving (a writer drains them).
    // Tickets coming and going are ignored: they would wake every waiter for nothing.
    const readerFiles = readerPrefix(target.lockFile);
    const waker = new FolderWaker(dirname(target.lockFile), (name) => name === lockName || name.startsWith(readerFiles));
    try {
      for (let attempt = 0; ; attempt++) {
        if (attempt > 0 && options.abortIf) {
          const abort = options.abortIf();
          if (abort) throw abort;
        }
        if (attempt === 0 && this.scanFolder(target).waiters.length > 0) {
          // Others are queued: join the queue without touching L, so the head is not disturbed.
          ticket = this.registerWaiter(target, mode, owner);
        }
        if (ticket && !this.mayTry(target, ticket)) {
          // Someone queued before us: wait for them, unless the lock sits free too long.
          const present = readLockFile(target.lockFile) !== null;
          freeSince = present ? null : (freeSince ?? Date.now());
          if (freeSince === null || Date.now() - freeSince < HANDOFF_GRACE_MS) {
            if (Date.now() >= deadline) break;
            await waker.wait(this.backoff(attempt, deadline));
            continue;
          }
        }
        const attemptResult = mode === 'write' ? this.tryWrite(target, owner) : this.tryRead(target, owner);
        if ('held' in attemptResult) {
          const held = attemptResult.held;
          if (mode === 'write') {
            const scan = this.scanFolder(target);
            if (!ticket && scan.waiters.length > 0) {
              // We came in through the fast path while others queue: give it back and queue.
              unlinkQuiet(held.file);
              ticket = this.registerWaiter(target, mode, owner);
              continue;
            }
            const drained = scan.readers.length === 0 ? { ok: true as const } : await this.waitForReaders(target, deadline, waker);
            if (!drained.ok) {
              this.releaseWriter(held);
              blocker = drained.blocker;
              break;
            }
          }
          this.listener.onAcquired(held, Date.now() - started);
          return held;
        }
        blocker = attemptResult.blocker;
        if (Date.now() >= deadline) break;
        ticket ??= this.registerWaiter(target, mode, owner);
        await waker.wait(this.backoff(attempt, deadline));
      }
    } finally {
      waker.close();
      if (ticket?.file) unlinkQuiet(ticket.file);
    }
    const waited = Date.now() - started;
    this.listener.onTimeout(target, mode, waited, blocker);
    const who = blocker ? ` held by ${blocker.owner || 'unnamed'} (pid ${blocker.pid} on ${blocker.host}, ${blocker.mode})` : '';
    throw new LockTimeoutError(`timed out after ${waited} ms waiting for the ${mode} lock on ${target.resourceId}${who}`, {
      task_id: target.resourceId,
      mode,
      waited_ms: waited,
      holder: blocker,
    });
  }

  /** A registered waiter may try when no live waiter registered before it. */
  private mayTry(target: LockTarget, ticket: Ticket): boolean {
    for (const w of this.scanFolder(target).waiters) {
      if (w.token === ticket.token) continue;
      if (w.since < ticket.since || (w.since === ticket.since && w.token < ticket.token)) return false;
    }
    return true;
  }

  /** Jittered exponential back-off, capped, never sleeping past the deadline. */
  private backoff(attempt: number, deadline: number): number {
    const cap = Math.max(1, Math.min(this.config.backoff_max_ms, 2 ** attempt));
    const ms = cap / 2 + Math.random() * (cap / 2);
    return Math.max(0, Math.min(ms, deadline - Date.now()));
  }

  private tryWrite(target: LockTarget, owner: string): { held: HeldLock } | { blocker: LockRecord | null } {
    const record = this.makeRecord(target, 'write', owner);
    if (withParentDir(target.lockFile, () => this.spares.publish(target.lockFile, JSON.stringify(record)))) {
      return { held: { target, file: target.lockFile, record } };
    }
    return { blocker: this.handleOccupied(target) };
  }

  private tryRead(target: LockTarget, owner: string): { held: HeldLock } | { blocker: LockRecord | null } {
    const existing = readLockFile(target.lockFile);
    if (existing !== null) return { blocker: this.handleOccupied(target, existing) };
    const record = this.makeRecord(target, 'read', owner);
    const file = join(dirname(target.lockFile), `${readerPrefix(target.lockFile)}${record.token}`);
    withParentDir(file, () => writeFileAtomic(file, JSON.stringify(record), false));
    // A writer may have published L between our check and our file: it wins.
    if (readLockFile(target.lockFile) !== null) {
      unlinkQuiet(file);
      return { blocker: null };
    }
    return { held: { target, file, record } };
  }

  /** L exists: reclaim it if stale, otherwise report who holds it. */
  private handleOccupied(target: LockTarget, known?: LockFileContent): LockRecord | null {
    const content = known ?? readLockFile(target.lockFile);
    const reason = contentStaleReason(content);
    if (reason !== null && content !== null) {
      this.reclaim(target, content, reason);
      return null;
    }
    return content && !isGarbage(content) ? content.record : null;
  }

  /**
   * Remove a stale L, but only the exact L we judged stale. Reclaimers are
   * serialized by an exclusive marker and re-read L under it, so a fresh lock
   * published by a faster reclaimer is never removed.
   */
  private reclaim(target: LockTarget, judged: NonNullable<LockFileContent>, reason: string): void {
    const marker = `${target.lockFile}.reclaim`;
    const markerRecord = this.makeRecord(target, 'write', 'reclaim');
    if (!publishExclusive(marker, JSON.stringify(markerRecord))) {
      this.clearDeadReclaimMarker(marker);
      return;
    }
    try {
      const current = readLockFile(target.lockFile);
      if (current !== null && current.raw === judged.raw) {
        unlinkQuiet(target.lockFile);
        this.listener.onBroken(target, isGarbage(judged) ? null : judged.record, reason);
      }
    } finally {
      this.removeIfOurs(marker, markerRecord.token);
    }
  }

  private clearDeadReclaimMarker(marker: string): void {
    const content = readLockFile(marker);
    if (content === null) return;
    const dead = isGarbage(content)
      ? content.ageMs > RECLAIM_MARKER_STALE_MS
      : processLiveness(content.record.pid, content.record.host, content.record.start) === 'dead' ||
        Date.now() - Date.parse(content.record.acquired_at) > RECLAIM_MARKER_STALE_MS;
    if (dead) this.removeIfOurs(marker, isGarbage(content) ? null : content.record.token, content.raw);
  }

  /**
   * Remove `file` only if it still holds `token` (or exactly `raw`). The file
   * is first moved aside, so a concurrent replacement is never deleted: if
   * what we moved is not ours, it is linked back.
   */
  private removeIfOurs(file: string, token: string | null, raw?: string): boolean {
    const aside = tempPathFor(file);
    try {
      renameWithRetry(file, aside);
    } catch {
      return false;
    }
    const moved = readLockFile(aside);
    const ours = moved !== null && (raw !== undefined ? moved.raw === raw : !isGarbage(moved) && moved.record.token === token);
    if (!ours) {
      try {
        linkExclusive(aside, file);
      } catch {
        /* someone published a new file meanwhile; the moved one was stale anyway */
      }
    }
    unlinkQuiet(aside);
    return ours;
  }

  /** Reader files beside L; stale ones (dead or expired holders) are removed on sight. */
  liveReaders(target: LockTarget): LockRecord[] {
    const dir = dirname(target.lockFile);
    const prefix = readerPrefix(target.lockFile);
    const readers: LockRecord[] = [];
    for (const name of safeReaddir(dir)) {
      if (!name.startsWith(prefix)) continue;
      const record = this.liveReader(target, join(dir, name));
      if (record) readers.push(record);
    }
    return readers;
  }

  private liveReader(target: LockTarget, file: string): LockRecord | null {
    const content = readLockFile(file);
    if (content === null) return null;
    const reason = contentStaleReason(content);
    if (reason !== null) {
      unlinkQuiet(file);
      this.listener.onBroken(target, isGarbage(content) ? null : content.record, reason);
      return null;
    }
    return isGarbage(content) ? null : content.record;
  }

  private async waitForReaders(target: LockTarget, deadline: number, waker: FolderWaker): Promise<{ ok: true } | { ok: false; blocker: LockRecord | null }> {
    for (let attempt = 0; ; attempt++) {
      const readers = this.liveReaders(target);
      if (readers.length === 0) return { ok: true };
      if (Date.now() >= deadline) return { ok: false, blocker: readers[0] ?? null };
      await waker.wait(this.backoff(attempt, deadline));
    }
  }

  private registerWaiter(target: LockTarget, mode: LockMode, owner: string): Ticket {
    const since = Date.now();
    // The name carries the queue order and the pid, so ordering the queue needs only a readdir.
    const token = `${String(since).padStart(15, '0')}-${process.pid}-${randomBytes(4).toString('hex')}`;
    const waiter: WaiterRecord = {
      task_id: target.resourceId,
      mode,
      token,
      pid: process.pid,
      host: HOST,
      start: SELF_START,
      owner,
      since: new Date(since).toISOString(),
      since_ms: since,
    };
    const file = join(dirname(target.lockFile), `${waiterPrefix(target.lockFile)}${token}`);
    try {
      // Written in place: the queue order is read from the name, the content only feeds listings.
      withParentDir(file, () => writeFileSync(file, JSON.stringify(waiter), { flag: 'wx' }));
      return { token, since, file };
    } catch {
      return { token, since, file: '' }; // waiting still works without the ticket; only order and visibility are lost
    }
  }

  /**
   * One readdir of the lock's folder: live readers (stale ones removed on
   * sight) and live waiters, oldest first.
   */
  scanFolder(target: LockTarget): { readers: LockRecord[]; waiters: { token: string; since: number }[] } {
    const dir = dirname(target.lockFile);
    const rPrefix = readerPrefix(target.lockFile);
    const wPrefix = waiterPrefix(target.lockFile);
    const readers: LockRecord[] = [];
    const waiters: { token: string; since: number }[] = [];
    for (const name of safeReaddir(dir)) {
      if (name.startsWith(rPrefix)) {
        const record = this.liveReader(target, join(dir, name));
        if (record) readers.push(record);
      } else if (name.startsWith(wPrefix)) {
        const m = /^(\d{15})-(\d+)-/.exec(name.slice(wPrefix.length));
        if (!m) continue;
        // Same-host waiters of dead processes are skipped; their files are removed by gc.
        if (processLiveness(Number(m[2]), HOST, null) === 'dead') continue;
        waiters.push({ token: name.slice(wPrefix.length), since: Number(m[1]) });
      }
    }
    waiters.sort((a, b) => a.since - b.since || (a.token < b.token ? -1 : 1));
    return { readers, waiters };
  }

  /** Remove this manager's spare lock records (the store is closing). */
  close(): void {
    this.spares.drop();
  }

  release(held: HeldLock): void {
    if (held.record.mode === 'read') unlinkQuiet(held.file);
    else this.releaseWriter(held);
  }

  /**
   * While the lease is fresh (less than half used) and the holder alive, no
   * other process may reclaim it, so L is still ours and is removed directly.
   * Later, it is removed only after checking it was not taken over.
   */
  private leaseFresh(held: HeldLock): boolean {
    return Date.now() < Date.parse(held.record.acquired_at) + this.config.lease_ms / 2;
  }

  private releaseWriter(held: HeldLock): void {
    if (this.leaseFresh(held)) {
      unlinkQuiet(held.file);
      return;
    }
    // A holder whose expired lease was taken over must not touch L at all:
    // removeIfOurs moves L aside for a moment, and if a third process
    // publishes L meanwhile, the current owner's record cannot be put back,
    // leaving two processes that both believe they hold the write lock.
    if (!this.stillHeld(held)) return;
    this.removeIfOurs(held.file, held.record.token);
  }

  /** Whether this holder still owns its lock (nobody took it over). */
  stillHeld(held: HeldLock): boolean {
    if (held.record.mode === 'write' && this.leaseFresh(held)) return true;
    const content = readLockFile(held.file);
    return content !== null && !isGarbage(content) && content.record.token === held.record.token;
  }

  /** Extend the lease. Returns false if the lock was lost (expired and taken over). */
  refresh(held: HeldLock): boolean {
    if (!this.stillHeld(held)) return false;
    const record = { ...held.record, expires_at: new Date(Date.now() + this.config.lease_ms).toISOString() };
    writeFileAtomic(held.file, JSON.stringify(record), false);
    held.record = record;
    return true;
  }

  /** Current holders and waiters of one lock, for listings. Does not modify anything. */
  inspect(target: LockTarget): { writer: LockFileContent; readers: LockRecord[]; waiters: (LockWaiter & { start: string | null })[] } {
    const dir = dirname(target.lockFile);
    const rPrefix = readerPrefix(target.lockFile);
    const wPrefix = waiterPrefix(target.lockFile);
    const readers: LockRecord[] = [];
    const waiters: (LockWaiter & { start: string | null })[] = [];
    const lockName = basename(target.lockFile);
    let writerPresent = false;
    for (const name of safeReaddir(dir)) {
      if (name === lockName) writerPresent = true;
      else if (name.startsWith(rPrefix)) {
        const content = readLockFile(join(dir, name));
        if (content && !isGarbage(content)) readers.push(content.record);
      } else if (name.startsWith(wPrefix)) {
        const content = readJsonQuiet(join(dir, name));
        if (isPlainObject(content) && typeof content.pid === 'number') {
          const w = content as unknown as LockWaiter & { start: string | null };
          if (processLiveness(w.pid, w.host, w.start ?? null) !== 'dead') waiters.push(w);
        }
      }
    }
    // Reading L only when the listing has it: listings of many idle tasks stay cheap.
    return { writer: writerPresent ? readLockFile(target.lockFile) : null, readers, waiters };
  }

  /** Remove stale writer, reader, waiter and marker files of one lock. Returns how many. */
  cleanup(target: LockTarget): number {
    let removed = 0;
    // First a reclaim marker left by a reclaimer that died mid-way: it is a
    // crash left-over itself, and it would make the reclaim below give up.
    const marker = `${target.lockFile}.reclaim`;
    if (readLockFile(marker) !== null) {
      this.clearDeadReclaimMarker(marker);
      if (readLockFile(marker) === null) removed++;
    }
    const writer = readLockFile(target.lockFile);
    const reason = contentStaleReason(writer);
    if (writer !== null && reason !== null) {
      this.reclaim(target, writer, reason);
      if (readLockFile(target.lockFile)?.raw !== writer.raw) removed++;
    }
    const before = this.countFiles(target, readerPrefix(target.lockFile));
    this.liveReaders(target);
    removed += before - this.countFiles(target, readerPrefix(target.lockFile));
    const dir = dirname(target.lockFile);
    for (const name of safeReaddir(dir)) {
      if (!name.startsWith(waiterPrefix(target.lockFile))) continue;
      const w = readJsonQuiet(join(dir, name));
      const dead =
        !isPlainObject(w) ||
        typeof w.pid !== 'number' ||
        processLiveness(w.pid, String(w.host), typeof w.start === 'string' ? w.start : null) === 'dead';
      if (dead && unlinkQuiet(join(dir, name))) removed++;
    }
    return removed;
  }

  private countFiles(target: LockTarget, prefix: string): number {
    return safeReaddir(dirname(target.lockFile)).filter((n) => n.startsWith(prefix)).length;
  }
}

/** Run a file creation, creating the parent directory on ENOENT (a task's first lock). */
function withParentDir<T>(file: string, create: () => T): T {
  try {
    return create();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(dirname(file), { recursive: true });
    return create();
  }
}

export function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

function readJsonQuiet(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

export function lockEventLine(held: HeldLock, waitMs: number): LockEvent {
  return {
    ts: new Date().toISOString(),
    task_id: held.target.resourceId,
    mode: held.record.mode,
    pid: process.pid,
    owner: held.record.owner,
    wait_ms: waitMs,
    outcome: 'acquired',
  };
}
