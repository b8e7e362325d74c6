// Filesystem primitives. Everything that must survive a crash goes through
// here: no file is ever written in place, so a reader (or a process that
// restarts after kill -9) sees either the old bytes or the new ones.
import {
  closeSync,
  copyFileSync,
  constants,
  fstatSync,
  ftruncateSync,
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

/**
 * Spare record files, one per directory, reused for every lock a store
 * publishes there. A lock record is published by linking the spare to the
 * lock name, and released by unlinking that name: the inode survives in the
 * spare, so creating and deleting a file per lock is avoided (each costs
 * ~0.1 ms or more on ext4, far more when freeing blocks on a filesystem
 * mounted with `discard`). Bounded, least recently used first out; removed
 * when the store closes or the process exits (left-overs of a crash are
 * ordinary temp files for gc).
 */
export class SpareRecords {
  private static live = new Set<SpareRecords>();
  private static exitHookInstalled = false;
  private readonly files = new Map<string, string>();
  private readonly tag = `${processTag}-${randomBytes(2).toString('hex')}`;

  constructor() {
    SpareRecords.live.add(this);
    if (!SpareRecords.exitHookInstalled) {
      SpareRecords.exitHookInstalled = true;
      process.once('exit', () => SpareRecords.live.forEach((s) => s.drop()));
    }
  }

  private spareFor(dir: string): string {
    let spare = this.files.get(dir);
    if (spare) {
      this.files.delete(dir); // re-inserted below as the most recently used
    } else {
      spare = join(dir, `${TEMP_PREFIX}${this.tag}-lockrec`);
      if (this.files.size >= MAX_SPARES) {
        const [oldDir, oldSpare] = this.files.entries().next().value as [string, string];
        this.files.delete(oldDir);
        unlinkQuiet(oldSpare);
      }
    }
    this.files.set(dir, spare);
    return spare;
  }

  /**
   * Publish a small record at `target` only if nothing is there (false when
   * it exists). The caller releases it by unlinking `target`. A spare still
   * linked as a lock this store holds in the same folder is never rewritten.
   */
  publish(target: string, data: string): boolean {
    const spare = this.spareFor(dirname(target));
    const buf = Buffer.from(data);
    const fd = openSync(spare, constants.O_WRONLY | constants.O_CREAT, 0o644);
    let busy: boolean;
    try {
      busy = fstatSync(fd).nlink > 1;
      if (!busy) {
        writeSync(fd, buf, 0, buf.length, 0);
        ftruncateSync(fd, buf.length);
      }
    } finally {
      closeSync(fd);
    }
    if (busy) return publishExclusive(target, data);
    try {
      linkExclusive(spare, target);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
  }

  drop(): void {
    for (const file of this.files.values()) unlinkQuiet(file);
    this.files.clear();
    SpareRecords.live.delete(this);
  }
}

const MAX_SPARES = 16;

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
