// Spare inodes for commits. Every commit leaves one version behind that
// falls out of history, and needs one new temp file. Deleting the old file
// and creating the new one frees a block and allocates another, and freeing
// is the dearest step of a commit here: on ext4 mounted with `discard`,
// unlinking a 1-block file measured 600–1000 µs (synchronous) or ~100 µs of
// the main thread (async, through libuv's pool), where renaming it is ~15 µs.
// So the version that falls out is renamed to a spare in the task's folder
// and the next commit of this process writes its new version over it, in
// place: no block is freed or allocated.
//
// Why this is safe:
// - A spare is named `.tmp-<pid>-<tag>-<n>-spare-<base>`: no reader looks at
//   temp names, the fence (fsx.fenceHeldTemps) leaves it alone, and gc
//   removes the spares of a process that died. A commit writes the spare,
//   then renames it to a held temp, so the fence and the ownership check
//   that follows (fenced-write.ts) see exactly what they saw before.
// - Only a file with one link is kept (fstat after opening it, never through
//   a symlink): writing over it changes no other name's content.
// - A spare is written over only once this process has fsync'd something
//   after renaming it out of history: on ext4 that commits the journal with
//   the rename in it, so not even a power cut can leave the new bytes under
//   the old history name. Hence up to two spares per folder.
// - The spares are removed when the store closes, on process exit, and after
//   a minute without commits (gc would call older ones left-overs).
import { closeSync, constants, fstatSync, fsyncSync, ftruncateSync, futimesSync, openSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { spareTempName, unlinkQuiet } from './fsx.ts';

interface Spare {
  path: string;
  fd: number;
  size: number;
  /** The durable epoch when it was renamed out of history: it may be written over once the epoch has moved on. */
  epoch: number;
  stagedAt: number;
}

const PER_FOLDER = 2;
const MAX_FOLDERS = 32;
const IDLE_MS = 60_000;

const pool = new Map<string, Spare[]>();
/** Counts this process's fsyncs of committed data (noteDurable). */
let epoch = 0;
let idleTimer: NodeJS.Timeout | null = null;
let exitHooked = false;

/** An fsync of commit data finished: every rename made before it is on disk too. */
export function noteDurable(): void {
  epoch++;
}

/**
 * Move `file` (a history version that fell out of the window) into a spare
 * beside `target`. False when it could not be kept: the caller deletes it
 * as before (nothing is lost either way, the version was being removed).
 */
export function stageSpare(file: string, target: string): boolean {
  const dir = dirname(target);
  const list = pool.get(dir) ?? [];
  if (list.length >= PER_FOLDER) return false;
  const path = join(dir, spareTempName(`spare-${basename(target)}`));
  try {
    renameSync(file, path);
  } catch {
    return true; // already gone (another process pruned it): nothing left to delete
  }
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    unlinkQuiet(path);
    return true;
  }
  const st = fstatSync(fd);
  if (!st.isFile() || st.nlink !== 1) {
    closeSync(fd);
    unlinkQuiet(path); // what the prune would have done; another name keeps its content
    return true;
  }
  // gc counts a live process's temp older than an hour as left behind: the spare is as old as the
  // version it was, so a slow task's spare is made fresh.
  if (Date.now() - st.mtimeMs > IDLE_MS) futimesSync(fd, new Date(), new Date());
  if (!pool.has(dir)) {
    if (pool.size >= MAX_FOLDERS) dropFolder(pool.keys().next().value as string);
    pool.set(dir, list);
  }
  list.push({ path, fd, size: st.size, epoch, stagedAt: Date.now() });
  hookExit();
  idleTimer ??= setTimeout(dropIdle, IDLE_MS).unref();
  return true;
}

/**
 * Write `data` into a spare of `target`'s folder (fsync'd when durable) and
 * rename it to `held`. Returns false when no spare could serve (none ready,
 * its name was removed meanwhile, or a write to it failed): the caller then
 * creates the temp. `held` exists only if this returns true.
 */
export function writeIntoSpare(target: string, held: string, data: Buffer, durable: boolean): boolean {
  const list = pool.get(dirname(target));
  const k = list?.findIndex((s) => !durable || s.epoch < epoch) ?? -1;
  if (!list || k < 0) return false;
  const spare = list.splice(k, 1)[0]!;
  try {
    let off = 0;
    while (off < data.length) {
      const n = writeSync(spare.fd, data, off, data.length - off, off);
      if (n <= 0) throw Object.assign(new Error(`short write to ${spare.path}`), { code: 'EIO', path: spare.path });
      off += n;
    }
    if (spare.size > data.length) ftruncateSync(spare.fd, data.length);
    if (durable) fsyncSync(spare.fd);
    renameSync(spare.path, held);
  } catch {
    // gc took the spare, or the filesystem refused it: a fresh temp is written instead (and reports a real error itself).
    closeSync(spare.fd);
    unlinkQuiet(spare.path);
    return false;
  }
  closeSync(spare.fd);
  return true;
}

/** Remove the spares kept for folders under `root` (a store closing). */
export function dropSpares(root: string): void {
  for (const dir of [...pool.keys()]) if (dir.startsWith(root + sep)) dropFolder(dir);
}

function dropFolder(dir: string): void {
  for (const s of pool.get(dir) ?? []) {
    closeSync(s.fd);
    unlinkQuiet(s.path);
  }
  pool.delete(dir);
}

function dropIdle(): void {
  idleTimer = null;
  const now = Date.now();
  for (const [dir, list] of pool) {
    for (const s of list.filter((x) => now - x.stagedAt >= IDLE_MS)) {
      closeSync(s.fd);
      unlinkQuiet(s.path);
      list.splice(list.indexOf(s), 1);
    }
    if (list.length === 0) pool.delete(dir);
  }
  if (pool.size > 0) idleTimer = setTimeout(dropIdle, IDLE_MS).unref();
}

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.once('exit', () => {
    for (const dir of [...pool.keys()]) dropFolder(dir);
  });
}
