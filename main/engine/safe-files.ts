// Files the engine reads or appends to by a fixed name (config.json, the
// logs) are opened without following a symbolic link: in a state folder
// shared by several users, a link put in their place would otherwise make
// Lockstep read someone else's settings or append to someone else's file.
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, writeSync, type Stats } from 'node:fs';
import { InvalidInputError, StateIOError } from './errors.ts';

// Windows has neither flag (undefined there): a symlink is then caught by lstat first.
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
// A FIFO opened without it blocks until a peer shows up; it is refused after fstat instead.
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;

function describeKind(st: Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

function notRegular(path: string, kind: string): string {
  return `${path} is ${kind === 'not a regular file' ? '' : `${kind}, `}not a regular file; refusing to use it (replace it with a regular file)`;
}

/** Open `path` without following a symlink; throws `refuse(message)` for anything but a regular file. */
function openRegular(path: string, flags: number, refuse: (message: string) => Error, mode?: number): number {
  if (O_NOFOLLOW === 0) {
    try {
      const st = lstatSync(path);
      if (st.isSymbolicLink()) throw refuse(notRegular(path, describeKind(st)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  let fd: number;
  try {
    fd = openSync(path, flags | O_NOFOLLOW | O_NONBLOCK, mode);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw refuse(notRegular(path, 'a symbolic link'));
    if (code === 'EISDIR') throw refuse(notRegular(path, 'a directory'));
    if (code === 'ENXIO') throw refuse(notRegular(path, 'a FIFO or socket'));
    throw err;
  }
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    throw refuse(notRegular(path, describeKind(st)));
  }
  return fd;
}

/**
 * The text of a regular file, or null if there is none. A symlink (even a
 * dangling one), a directory or a FIFO at `path` is an InvalidInputError
 * naming the path.
 */
export function readRegularFile(path: string): string | null {
  let fd: number;
  try {
    fd = openRegular(path, constants.O_RDONLY, (m) => new InvalidInputError(m, { path }));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** Open (creating it if needed) a regular file for appending; a symlink or other file type is a StateIOError. */
export function openForAppend(path: string): number {
  return openRegular(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, (m) => new StateIOError(m, { path }), 0o644);
}

/**
 * Write every byte of `data`: write(2) may accept fewer bytes than asked (a
 * full disk, some network filesystems), so the rest is written until done.
 * A write that accepts nothing cannot make progress and is an error.
 */
export function writeFully(fd: number, data: Buffer, path: string): void {
  let offset = 0;
  while (offset < data.length) {
    const written = writeSync(fd, data, offset, data.length - offset);
    if (written <= 0) {
      throw new StateIOError(`short write to ${path}: ${offset} of ${data.length} bytes written, then the filesystem accepted none`, {
        path,
      });
    }
    offset += written;
  }
}
