// Who is this process, and is another process still alive? Used to reclaim
// locks whose holder died on this host without waiting for the lease.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { HolderLiveness } from '../../shared/model.ts';

export const HOST = hostname();

/**
 * A token that changes when a pid is reused: on Linux the process start time
 * in clock ticks (field 22 of /proc/<pid>/stat). Other platforms return null
 * and liveness falls back to the pid alone plus lease expiry.
 */
export function processStartToken(pid: number): string | null {
  if (process.platform !== 'linux') return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null; // field 22 overall; fields[0] is field 3
  } catch {
    return null;
  }
}

export const SELF_START = processStartToken(process.pid);

/** Liveness of a process that recorded (pid, host, start). Foreign hosts are unknowable. */
export function processLiveness(pid: number, host: string, start: string | null): HolderLiveness {
  if (host !== HOST) return 'unknown';
  if (!Number.isInteger(pid) || pid <= 0) return 'dead';
  if (pid === process.pid) return start === null || start === SELF_START ? 'alive' : 'dead';
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? 'alive' : 'dead';
  }
  if (start !== null && !startSeenLately(pid, start)) {
    const current = processStartToken(pid);
    if (current !== null && current !== start) return 'dead'; // pid reused by a new process
    if (current !== null) rememberStart(pid, start);
  }
  return 'alive';
}

/**
 * pids whose start token was read from /proc lately, and when. A waiter asks
 * for its holder's liveness on every wake (several times per hand-off); the
 * /proc read is what costs, and a pid is reused by another process only
 * after its owner died and the pid space wrapped: a second later at the
 * earliest, so the token read is trusted for that long. (A dead owner is
 * still seen at once by kill(pid, 0) unless its pid was taken meanwhile, and
 * its lease runs out regardless.)
 */
const START_TRUSTED_MS = 1000;
const startsSeen = new Map<number, { start: string; at: number }>();

function startSeenLately(pid: number, start: string): boolean {
  const seen = startsSeen.get(pid);
  return seen !== undefined && seen.start === start && Date.now() - seen.at < START_TRUSTED_MS;
}

function rememberStart(pid: number, start: string): void {
  if (startsSeen.size >= 256) startsSeen.clear(); // only the holders of the moment matter
  startsSeen.set(pid, { start, at: Date.now() });
}
