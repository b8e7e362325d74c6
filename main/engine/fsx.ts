// Filesystem primitives. Everything that must survive a crash goes through
// here: no file a reader can name is ever written in place, so a reader (or a
// process that restarts after kill -9) sees either the old bytes or the new
// ones. (A file renamed away may be: a commit recycles the history version
// that fell out as a later version's inode, and readJsonFileAsNamed keeps
// readers of history from the bytes written after the rename.)
import {
  closeSync,
  copyFileSync,
  constants,
  fstatSync,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { TEMP_PREFIX } from './layout.ts';
import { pausePoint } from './pause-points.ts';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** Temp files start with this prefix so watchers and listings can skip them. */
export { TEMP_PREFIX } from './layout.ts';

let tempCounter = 0;
const processTag = `${process.pid}-${randomBytes(3).toString('hex')}`;

/** A unique temp path in the same directory (same filesystem, so link/rename work). */
export function tempPathFor(target: string): string {
  tempCounter += 1;
  return join(dirname(target), `${TEMP_PREFIX}${processTag}-${tempCounter}-${basename(target)}`);
}

/** pid of the process that created a temp file, parsed from its name. */
export function tempFileOwnerPid(name: string): number | null {
  if (!name.startsWith(TEMP_PREFIX)) return null;
  const pid = Number.parseInt(name.slice(TEMP_PREFIX.length), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/** Write `data` to a new temp file beside `target` (`tmp`: a name from tempPathFor or heldTempPathFor). */
export function writeTemp(target: string, data: string | Buffer, durable: boolean, tmp = tempPathFor(target)): string {
  const fd = writeTempOpen(tmp, data);
  try {
    if (durable) fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkQuiet(tmp);
    throw err;
  }
  closeSync(fd);
  return tmp;
}

/** writeTemp without the fsync, returning the open file: its owner fsyncs it once published (fenced-write.ts), then closes it. */
export function writeTempOpen(tmp: string, data: string | Buffer): number {
  const fd = openSync(tmp, 'wx', 0o644);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) {
      const n = writeSync(fd, buf, off, buf.length - off);
      if (n <= 0) throw Object.assign(new Error(`short write to ${tmp}`), { code: 'EIO', path: tmp });
      off += n;
    }
  } catch (err) {
    closeSync(fd);
    unlinkQuiet(tmp);
    throw err;
  }
  return fd;
}

/** Atomically replace `target` with `data` (temp file + optional fsync + rename). */
export function writeFileAtomic(target: string, data: string | Buffer, durable = true): void {
  const tmp = writeTemp(target, data, durable);
  try {
    renameWithRetry(tmp, target);
  } catch (err) {
    unlinkQuiet(tmp);
    throw err;
  }
}

/** A unique temp file name for a file a process keeps for itself (a spare lock record, a spare version). */
export function spareTempName(kind: string): string {
  tempCounter += 1;
  return `${TEMP_PREFIX}${processTag}-${tempCounter}-${kind}`;
}

/**
 * A temp file for a write made under a write lock (a commit of state.json, a
 * session rewrite). These are what a new holder fences: see fenceHeldTemps.
 */
export function heldTempPathFor(target: string): string {
  tempCounter += 1;
  return join(dirname(target), `${TEMP_PREFIX}${processTag}-${tempCounter}-held-${basename(target)}`);
}

const HELD_TEMP_RE = /^\.tmp-\d+-[0-9a-f]{6}-\d+-held-(.+)$/;

/**
 * The fence. A holder paused past its lease may still be about to publish a
 * write it prepared in a held temp file (link it into history, rename it over
 * the state). The next holder removes every held temp of `target` present
 * when it took the lock, before it reads anything: the paused writer's link
 * or rename then fails with ENOENT. A temp created after that belongs to a
 * holder whose ticket was already gone, and its own ownership check (made
 * after creating the temp) refuses it. `names`: the folder's entries, read
 * after the previous holder's ticket was gone.
 */
export function fenceHeldTemps(dir: string, names: readonly string[], target: string): number {
  const base = basename(target);
  let fenced = 0;
  for (const name of names) {
    const m = HELD_TEMP_RE.exec(name);
    if (m && m[1] === base && unlinkQuiet(join(dir, name))) fenced++;
  }
  return fenced;
}

export function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Hard links are missing on some filesystems (FAT, some network and FUSE mounts). */
function linkUnsupported(err: NodeJS.ErrnoException): boolean {
  return err.code === 'EPERM' || err.code === 'ENOTSUP' || err.code === 'EOPNOTSUPP' || err.code === 'ENOSYS';
}

/**
 * Create `target` from an existing file, failing with EEXIST if it exists.
 * `link` never replaces a file and publishes complete bytes in one step.
 * Where hard links are unsupported, falls back to an exclusive copy.
 */
export function linkExclusive(existing: string, target: string): void {
  try {
    linkSync(existing, target);
  } catch (err) {
    if (!linkUnsupported(err as NodeJS.ErrnoException)) throw err;
    copyFileSync(existing, target, constants.COPYFILE_EXCL);
  }
}

/**
 * Publish `data` at `target` only if nothing is there. Returns false when the
 * target exists. Readers never observe a partial record.
 */
export function publishExclusive(target: string, data: string, durable = false): boolean {
  const tmp = writeTemp(target, data, durable);
  try {
    linkExclusive(tmp, target);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkQuiet(tmp);
  }
}

const RETRYABLE_RENAME = new Set(['EPERM', 'EBUSY', 'EACCES']);

/**
 * rename(2), retried briefly on Windows, where a reader holding the target
 * open makes rename fail with EPERM/EBUSY for a moment.
 */
export function renameWithRetry(from: string, to: string): void {
  const deadline = Date.now() + (process.platform === 'win32' ? 2000 : 0);
  for (let attempt = 0; ; attempt++) {
    try {
      renameSync(from, to);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (!RETRYABLE_RENAME.has(code) || Date.now() >= deadline) throw err;
      const until = Date.now() + Math.min(100, 2 ** attempt);
      while (Date.now() < until) {
        /* brief spin: this path only runs on Windows */
      }
    }
  }
}

export function unlinkQuiet(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}

export type ReadResult =
  { kind: 'missing' } | { kind: 'ok'; raw: string; value: unknown } | { kind: 'corrupt'; raw: string; reason: string };

/** ENOENT or ENOTDIR: the file is not there. Any other error is thrown, naming the path. */
function missingOrThrow(err: unknown, path: string): { kind: 'missing' } {
  if (['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '')) return { kind: 'missing' };
  throw withPath(err, path);
}

/** Read and parse a JSON file without throwing for missing, empty or malformed content. */
export function readJsonFile(path: string): ReadResult {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (err) {
    return missingOrThrow(err, path);
  }
  return parseJson(raw);
}

/**
 * readJsonFile for a name that is never reused but whose file may be written
 * again once renamed away: a commit recycles the history version that fell
 * out of the window as the inode of a later version (version-spares.ts). The
 * bytes count only if `path` still names the file they were read from after
 * they were read; if it does not, the version was pruned during the read and
 * is 'missing', as when it is deleted then. Without this, a reader that opened
 * the old version just before it was recycled could read the newer bytes, or a
 * mix of both, and report a damaged history file that never was.
 */
export function readJsonFileAsNamed(path: string): ReadResult {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    return missingOrThrow(err, path);
  }
  let raw: string;
  let read: { ino: number; dev: number };
  try {
    read = fstatSync(fd);
    pausePoint('history-read.after-open');
    raw = readFileSync(fd, 'utf8');
  } catch (err) {
    throw withPath(err, path);
  } finally {
    closeSync(fd);
  }
  try {
    const named = statSync(path);
    if (named.ino !== read.ino || named.dev !== read.dev) return { kind: 'missing' };
  } catch (err) {
    return missingOrThrow(err, path);
  }
  return parseJson(raw);
}

function parseJson(raw: string): ReadResult {
  if (raw.trim() === '') return { kind: 'corrupt', raw, reason: 'empty file' };
  try {
    return { kind: 'ok', raw, value: JSON.parse(raw) };
  } catch (err) {
    return { kind: 'corrupt', raw, reason: `malformed JSON (${(err as Error).message})` };
  }
}

/**
 * Errors from read(2) (EISDIR, EIO) carry no path, unlike those from open(2):
 * add it, so the StateIOError shown to the user names the file.
 */
export function withPath(err: unknown, path: string): unknown {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && typeof e.code === 'string' && e.path === undefined) e.path = path;
  return err;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
