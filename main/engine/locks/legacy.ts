// Lock files of earlier Lockstep versions, and anything odd at their names.
//
// Earlier versions published the writer's record at <base> itself (and
// readers at <base>.r-<token>). This version never creates those names, so a
// live record there can only come from an older process still running during
// an upgrade: it is honoured until it goes stale, and only gc removes it.
// Anything else at <base> (a symlink, a directory, a FIFO, garbage) blocks
// nobody; verify reports it and gc clears it.
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { LockMode, LockRecord } from '../../../shared/model.ts';
import { processLiveness } from '../identity.ts';
import { parseHolderFields } from './ticket.ts';

export interface LegacyEntry {
  name: string;
  mode: LockMode;
  /** A valid record of an older version's holder, or null for anything else. */
  record: LockRecord | null;
  /** What the entry is, when it is not a valid record: "a dangling symlink", "a directory"… */
  odd: string | null;
}

export function isLegacyName(base: string, name: string): boolean {
  return name === base || name.startsWith(`${base}.r-`) || name.startsWith(`${base}.w-`) || name === `${base}.reclaim`;
}

function describe(path: string): string | null {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return null;
  }
  if (st.isSymbolicLink()) return openable(path) ? 'a symlink' : 'a dangling symlink';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (!st.isFile()) return 'not a regular file';
  return null;
}

function openable(path: string): boolean {
  try {
    closeSync(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK));
    return true;
  } catch {
    return false;
  }
}

function readRecord(path: string): LockRecord | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > 4096) return null;
    const buf = Buffer.alloc(Math.max(1, st.size));
    const n = readSync(fd, buf, 0, buf.length, 0);
    const fields = parseHolderFields(buf.subarray(0, n).toString('utf8'));
    if (!fields) return null;
    const { rest, ...holder } = fields;
    const expires = rest.expires_at;
    if (typeof expires !== 'string' || Number.isNaN(Date.parse(expires))) return null;
    return { ...holder, acquired_at: typeof rest.acquired_at === 'string' ? rest.acquired_at : '', expires_at: expires };
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

export function readLegacy(dir: string, base: string, name: string): LegacyEntry {
  const path = join(dir, name);
  const mode: LockMode = name.startsWith(`${base}.r-`) ? 'read' : 'write';
  const odd = describe(path);
  if (odd) return { name, mode, record: null, odd };
  if (name === `${base}.reclaim`) return { name, mode, record: null, odd: 'a reclaim marker of an earlier Lockstep version' };
  if (name.startsWith(`${base}.w-`)) return { name, mode, record: null, odd: 'a waiter file of an earlier Lockstep version' };
  const record = readRecord(path);
  return { name, mode, record, odd: record ? null : 'not a valid lock record' };
}

/** Why a legacy record no longer holds anything (null: an older process still holds it). */
export function legacyStaleReason(record: LockRecord, now = Date.now()): string | null {
  if (Date.parse(record.expires_at) <= now) return `lease expired at ${record.expires_at}`;
  if (processLiveness(record.pid, record.host, record.start) === 'dead') return `holder pid ${record.pid} on ${record.host} is dead`;
  return null;
}
