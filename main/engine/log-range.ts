// A time range of the lock log (locks-<date>.jsonl), read back from the
// newest line: the dashboard's 24 h window or a range the user picked, when
// it reaches further back than the host's in-memory tail. Memory is bounded
// by the limit, not by the log: files are read backwards in chunks, and only
// the newest `limit` lines of the range are kept (the rest are counted).
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { LockEvent } from '../../shared/model.ts';
import type { LockEventQuery, LockEventRange } from './backend.ts';
import { logFiles, parseJsonLines } from './audit-log.ts';
import { LockRangeCollector } from './lock-range-collector.ts';

const CHUNK_BYTES = 4 * 1024 * 1024;
/** Lines of concurrent writers interleave: a file is read on this far past the range's start. */
const INTERLEAVE_MS = 60_000;
const DAY_MS = 24 * 3600_000;

export function readLockRange(dir: string, query: LockEventQuery): LockEventRange {
  const firstDay = new Date(query.fromMs - INTERLEAVE_MS).toISOString().slice(0, 10);
  const lastDay = new Date(query.toMs + DAY_MS).toISOString().slice(0, 10);
  const files = logFiles(dir, 'locks')
    .filter((f) => f.slice(-16, -6) >= firstDay && f.slice(-16, -6) <= lastDay)
    .reverse();
  const collected = new LockRangeCollector(query);
  for (const file of files) {
    const older = readBackwards(
      file,
      (line) => (typeof line === 'object' && line !== null ? collected.offer(line) : NaN), // NaN: not a lock line
      query.fromMs - INTERLEAVE_MS,
    );
    if (older) break; // this file went back past the range: older files do too
  }
  return collected.result();
}

/**
 * Hands each line of a file to `visit`, newest first, chunk by chunk. Stops
 * after a chunk whose lines are all older than `stopBefore`; returns whether it did.
 */
function readBackwards(file: string, visit: (line: LockEvent) => number, stopBefore: number): boolean {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW); // a symlink planted in logs/ is not read
  } catch {
    return false;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return false;
    let end = stat.size;
    let carry = Buffer.alloc(0); // the start of a line cut by the previous chunk's edge
    while (end > 0) {
      const start = Math.max(0, end - CHUNK_BYTES);
      const buf = Buffer.alloc(end - start);
      readSync(fd, buf, 0, buf.length, start);
      const joined = carry.length ? Buffer.concat([buf, carry]) : buf;
      // Work in bytes: the first line may be cut (unless the chunk starts the file); it waits for the next chunk.
      const cut = start === 0 ? 0 : joined.indexOf(0x0a) + 1;
      carry = joined.subarray(0, cut);
      const lines = parseJsonLines<LockEvent>(joined.subarray(cut).toString('utf8'));
      let newest = -Infinity;
      for (let i = lines.length - 1; i >= 0; i--) {
        const t = visit(lines[i]!);
        if (t > newest) newest = t; // NaN (a torn line) is not
      }
      if (lines.length && newest < stopBefore) return true;
      end = start;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}
