// A ticket: one file per participant in a lock (holder or waiter), with a
// name nobody else ever uses. Its owner creates it once, touches its mtime to
// keep the lease alive, and unlinks it on release; anyone else may only
// unlink it when it is provably stale. No shared name is ever replaced or
// deleted on judgement.
//
//   <base>.<seq>-<r|w>-<hosttag>-<pid>-<rand>     e.g. state.lock.000000000003-w-1a2b3c4d-4711-9f8e7d6c
//
// <seq> orders the queue (see queue.ts); the rest makes the name unique and
// lets a same-host judge see a dead owner from the name alone.
import { closeSync, constants, fstatSync, futimesSync, lstatSync, openSync, readSync, utimesSync, writeSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { LockMode, LockRecord } from '../../../shared/model.ts';
import { isPlainObject, unlinkQuiet } from '../fsx.ts';
import type { TicketSpares } from './spares.ts';
import { HOST, processLiveness, SELF_START } from '../identity.ts';

export const HOST_TAG = createHash('sha1').update(HOST).digest('hex').slice(0, 8);
const SEQ_DIGITS = 12;
const NAME_RE = /^(\d{12})-([rw])-([0-9a-f]{8})-(\d+)-([0-9a-f]{8})$/;

/**
 * A garbage ticket (unreadable content) younger than this is left alone: its
 * owner may be between creating and writing it. Longer than FAT's 2 s
 * timestamp step, so a coarse mtime cannot make a fresh file look old.
 */
export const GARBAGE_GRACE_MS = 3000;
/** Added to a lease judged from an mtime on a filesystem with coarse timestamps (FAT: 2 s). */
const COARSE_MTIME_SLACK_MS = 2000;
const MAX_TICKET_BYTES = 4096;

/** A ticket's identity, parsed from its file name alone. */
export interface TicketName {
  name: string;
  seq: number;
  mode: LockMode;
  hostTag: string;
  pid: number;
}

export function parseTicketName(base: string, name: string): TicketName | null {
  if (!name.startsWith(`${base}.`)) return null;
  const m = NAME_RE.exec(name.slice(base.length + 1));
  if (!m) return null;
  return { name, seq: Number(m[1]), mode: m[2] === 'w' ? 'write' : 'read', hostTag: m[3]!, pid: Number(m[4]) };
}

/** What is stored in a ticket. expires_at is not: the lease is the file's mtime plus lease_ms. */
export interface TicketContent extends Omit<LockRecord, 'expires_at'> {
  lease_ms: number;
  /** When the ticket joined the queue (acquired_at is rewritten in place when it becomes the holder). */
  since: string;
}

/** acquired_at is written with a fixed width, so becoming the holder rewrites 24 bytes in place. */
const ISO_WIDTH = 24;

/** The last part of a ticket's name: random at start-up (a reused pid), then counting (unique within the process). */
let nameSuffix = randomBytes(4).readUInt32BE(0);

export function newTicketName(base: string, seq: number, mode: LockMode): string {
  const padded = String(seq).padStart(SEQ_DIGITS, '0');
  nameSuffix = (nameSuffix + 1) >>> 0;
  const suffix = nameSuffix.toString(16).padStart(8, '0');
  return `${base}.${padded}-${mode === 'write' ? 'w' : 'r'}-${HOST_TAG}-${process.pid}-${suffix}`;
}

export interface CreatedTicket {
  file: string;
  name: string;
  content: TicketContent;
  /** mtime slack to add when judging leases in this folder (coarse timestamps). */
  slackMs: number;
}

/**
 * Create the ticket file exclusively (EEXIST: that sequence number is taken)
 * and never through a symlink. Its mtime is set explicitly, which also tells
 * whether this filesystem keeps sub-second timestamps.
 */
export function createTicket(
  dir: string,
  name: string,
  resourceId: string,
  mode: LockMode,
  owner: string,
  leaseMs: number,
  spares?: TicketSpares,
): CreatedTicket {
  const now = new Date();
  const iso = now.toISOString();
  const content: TicketContent = {
    task_id: resourceId,
    mode,
    token: name,
    pid: process.pid,
    host: HOST,
    start: SELF_START,
    owner,
    since: iso,
    acquired_at: iso,
    lease_ms: leaseMs,
  };
  const file = join(dir, name);
  const buf = Buffer.from(JSON.stringify(content));
  // Published whole by linking a spare (spares.ts); a fresh exclusive file where no spare can serve.
  const spareSlack = spares?.publish(dir, name, buf) ?? null;
  if (spareSlack !== null) return { file, name, content, slackMs: spareSlack };
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  let slackMs: number;
  try {
    let off = 0;
    while (off < buf.length) {
      const n = writeSync(fd, buf, off, buf.length - off);
      if (n <= 0) throw new Error(`short write to ${file}`);
      off += n;
    }
    slackMs = mtimeSlackFor(fd);
  } catch (err) {
    closeSync(fd);
    unlinkQuiet(file);
    throw err;
  }
  closeSync(fd);
  return { file, name, content, slackMs };
}

/** Per filesystem (device): the slack its timestamps need. Probed once, on our first ticket there. */
const slackByDevice = new Map<number, number>();

export function mtimeSlackFor(fd: number): number {
  const dev = fstatSync(fd).dev;
  let slack = slackByDevice.get(dev);
  if (slack === undefined) {
    // A time with a half-second part: a filesystem that stores it rounded keeps coarse timestamps.
    const probe = Math.floor(Date.now() / 1000) + 0.5;
    futimesSync(fd, probe, probe);
    slack = Math.abs(fstatSync(fd).mtimeMs - probe * 1000) >= 1 ? COARSE_MTIME_SLACK_MS : 0;
    const t = Date.now() / 1000;
    futimesSync(fd, t, t);
    slackByDevice.set(dev, slack);
  }
  return slack;
}

/** Keep the lease alive. False if the ticket is gone (reclaimed while we were paused). Never recreates it. */
export function touchTicket(file: string): boolean {
  const t = Date.now() / 1000;
  try {
    utimesSync(file, t, t);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * Mark the ticket as holding since now: its acquired_at is rewritten in place
 * (our own file, same length). Fails with false if the ticket is gone, which
 * is what makes the lock provably ours when acquire returns.
 */
export function markHeld(created: CreatedTicket): boolean {
  const iso = new Date().toISOString();
  if (iso.length !== ISO_WIDTH) return ticketExists(created.file);
  let fd: number;
  try {
    fd = openSync(created.file, constants.O_WRONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  try {
    const json = JSON.stringify(created.content);
    const at = json.indexOf(`"acquired_at":"`) + '"acquired_at":"'.length;
    // The write sets the mtime, which starts the fresh lease (an explicit futimes cost one more system call per hand-off).
    if (created.content.acquired_at.length === ISO_WIDTH)
      writeSync(fd, Buffer.from(iso), 0, ISO_WIDTH, Buffer.byteLength(json.slice(0, at)));
    else futimesSync(fd, Date.now() / 1000, Date.now() / 1000);
  } finally {
    closeSync(fd);
  }
  created.content = { ...created.content, acquired_at: iso };
  return true;
}

/** Whether our own ticket is still there: the proof, at this instant, that the lock is ours. */
export function ticketExists(file: string): boolean {
  try {
    // No exception for a ticket that is gone: the common answer while waiting, and a thrown error's stack costs.
    return lstatSync(file, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false;
  }
}

/** A ticket as a judge sees it. */
export interface ObservedTicket {
  content: TicketContent | null;
  mtimeMs: number;
  /** Not a regular file (a FIFO, a directory, a socket): never opened for reading. */
  odd: boolean;
}

/**
 * Read a ticket without ever blocking (O_NONBLOCK: a FIFO planted under a
 * ticket name cannot hang us) or following a symlink. null: it is gone.
 */
export function observeTicket(file: string): ObservedTicket | null {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP' || code === 'ENXIO' || code === 'EISDIR') return { content: null, mtimeMs: 0, odd: true };
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { content: null, mtimeMs: st.mtimeMs, odd: true };
    const buf = Buffer.alloc(Math.min(MAX_TICKET_BYTES, Math.max(1, st.size)));
    const n = st.size > MAX_TICKET_BYTES ? 0 : readSync(fd, buf, 0, buf.length, 0);
    return { content: parseContent(buf.subarray(0, n).toString('utf8')), mtimeMs: st.mtimeMs, odd: false };
  } finally {
    closeSync(fd);
  }
}

/** The fields every lock record shares (tickets, and earlier versions' lock files), or null. */
export function parseHolderFields(
  raw: string,
): (Omit<LockRecord, 'acquired_at' | 'expires_at'> & { rest: Record<string, unknown> }) | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!isPlainObject(value)) return null;
  const { task_id, mode, token, pid, host, start, owner } = value;
  if (typeof token !== 'string' || (mode !== 'read' && mode !== 'write') || typeof pid !== 'number' || typeof host !== 'string')
    return null;
  return {
    task_id: String(task_id ?? ''),
    mode,
    token,
    pid,
    host,
    start: typeof start === 'string' ? start : null,
    owner: typeof owner === 'string' ? owner : '',
    rest: value,
  };
}

function parseContent(raw: string): TicketContent | null {
  const fields = parseHolderFields(raw);
  if (!fields) return null;
  const { rest, ...holder } = fields;
  const leaseMs = rest.lease_ms;
  if (typeof leaseMs !== 'number' || !(leaseMs > 0)) return null;
  const since = typeof rest.since === 'string' ? rest.since : '';
  const acquired = rest.acquired_at;
  return {
    ...holder,
    since,
    acquired_at: typeof acquired === 'string' && !Number.isNaN(Date.parse(acquired)) ? acquired : since,
    lease_ms: leaseMs,
  };
}

/** The lease end of an observed ticket. */
export function expiresAt(seen: ObservedTicket, slackMs: number): number {
  return seen.mtimeMs + (seen.content?.lease_ms ?? 0) + slackMs;
}

/**
 * Why a ticket may be taken away from its owner, or null while the owner
 * still owns it: the owner is dead (same host: pid plus start token), or its
 * lease ran out without a heartbeat, or the file is garbage past the grace.
 */
export function staleTicketReason(id: TicketName, seen: ObservedTicket, slackMs: number, now = Date.now()): string | null {
  const sameHost = id.hostTag === HOST_TAG;
  if (seen.content) {
    if (processLiveness(seen.content.pid, seen.content.host, seen.content.start) === 'dead') {
      return `holder pid ${seen.content.pid} on ${seen.content.host} is dead`;
    }
    const end = expiresAt(seen, slackMs);
    return end <= now ? `lease expired at ${new Date(end).toISOString()}` : null;
  }
  if (sameHost && processLiveness(id.pid, HOST, null) === 'dead') return `holder pid ${id.pid} is dead (unreadable ticket)`;
  return now - seen.mtimeMs >= GARBAGE_GRACE_MS + slackMs ? 'ticket is not a valid lock record' : null;
}

/** The record shown to users and returned to holders. */
export function toRecord(content: TicketContent, mtimeMs: number, slackMs = 0): LockRecord {
  const { lease_ms, since: _since, ...rest } = content;
  return { ...rest, expires_at: new Date(mtimeMs + lease_ms + slackMs).toISOString() };
}
