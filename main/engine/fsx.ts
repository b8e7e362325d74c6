// Filesystem primitives. Everything that must survive a crash goes through
// here: no file is ever written in place, so a reader (or a process that
// restarts after kill -9) sees either the old bytes or the new ones.
import {
  closeSync,
  copyFileSync,
  constants,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** Temp files start with this prefix so watchers and listings can skip them. */
export const TEMP_PREFIX = '.tmp-';

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

export function writeTemp(target: string, data: string | Buffer, durable: boolean): string {
  const tmp = tempPathFor(target);
  const fd = openSync(tmp, 'wx', 0o644);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    if (durable) fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkQuiet(tmp);
    throw err;
  }
  closeSync(fd);
  return tmp;
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
  | { kind: 'missing' }
  | { kind: 'ok'; raw: string; value: unknown }
  | { kind: 'corrupt'; raw: string; reason: string };

/** Read and parse a JSON file without throwing for missing, empty or malformed content. */
export function readJsonFile(path: string): ReadResult {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
    throw withPath(err, path);
  }
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
