// Reading a lock for people (listings, verify) and clearing what is stale
// (gc, break). Listing never changes anything.
import { lstatSync, readdirSync, rmdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { IntegrityIssue, LockRecord, LockWaiter } from '../../../shared/model.ts';
import { unlinkQuiet } from '../fsx.ts';
import { processLiveness } from '../identity.ts';
import { legacyStaleReason, readLegacy } from './legacy.ts';
import type { LockTarget } from './manager.ts';
import { roleOf, scanQueue } from './queue.ts';
import { observeTicket, staleTicketReason, toRecord } from './ticket.ts';

/**
 * A judge without a ticket of its own cannot tell whether the folder's
 * filesystem keeps coarse timestamps, so it allows for the coarsest (FAT).
 */
const JUDGE_SLACK_MS = 2000;

export interface LockEntry {
  record: LockRecord;
  role: 'holder' | 'waiter';
  /** Why the entry no longer holds anything, or null while its owner still owns it. */
  stale: string | null;
}

export interface LockView {
  entries: LockEntry[];
  /** Files at the lock's names that are not tickets: older-version locks and odd files. */
  odd: { path: string; what: string; stale: string | null; record: LockRecord | null }[];
}

/** Current holders and waiters of one lock, in queue order. Does not modify anything. */
export function inspectLock(target: LockTarget): LockView {
  const dir = dirname(target.lockFile);
  const base = basename(target.lockFile);
  const scan = scanQueue(dir, base);
  const entries: LockEntry[] = [];
  scan.tickets.forEach((t, index) => {
    const seen = observeTicket(join(dir, t.name));
    if (seen === null) return;
    const stale = staleTicketReason(t, seen, JUDGE_SLACK_MS);
    const record: LockRecord = seen.content
      ? toRecord(seen.content, seen.mtimeMs)
      : {
          task_id: target.resourceId,
          mode: t.mode,
          token: t.name,
          pid: t.pid,
          host: '',
          start: null,
          owner: '(unreadable ticket)',
          acquired_at: '',
          expires_at: '',
        };
    entries.push({ record: { ...record, task_id: target.resourceId }, role: roleOf(scan, index), stale });
  });
  const odd: LockView['odd'] = [];
  for (const name of scan.legacy) {
    const entry = readLegacy(dir, base, name);
    odd.push({
      path: join(dir, name),
      what: entry.record ? `a lock record of an earlier Lockstep version` : (entry.odd ?? 'not a valid lock record'),
      stale: entry.record ? legacyStaleReason(entry.record) : 'not a lock this version uses',
      record: entry.record,
    });
  }
  return { entries, odd };
}

export function waiterOf(record: LockRecord): LockWaiter & { start: string | null } {
  return {
    task_id: record.task_id,
    mode: record.mode,
    pid: record.pid,
    host: record.host,
    owner: record.owner,
    since: record.acquired_at,
    start: record.start,
  };
}

/** Alive/expired flags for a listed record. */
export function liveness(record: LockRecord): { alive: ReturnType<typeof processLiveness>; expired: boolean } {
  return {
    alive: record.host ? processLiveness(record.pid, record.host, record.start) : 'dead',
    expired: record.expires_at === '' || Date.parse(record.expires_at) <= Date.now(),
  };
}

/** Problems verify reports for one lock: stale tickets, older-version locks, odd files at the lock's names. */
export function lockIssues(target: LockTarget, taskId: string): IntegrityIssue[] {
  const view = inspectLock(target);
  const issues: IntegrityIssue[] = [];
  for (const e of view.entries) {
    if (e.stale)
      issues.push({
        kind: 'stale_lock',
        task_id: taskId,
        path: join(dirname(target.lockFile), e.record.token),
        message: e.stale,
        recoverable: true,
      });
  }
  for (const o of view.odd) {
    if (o.record && o.stale === null) continue; // an older version's live lock: honoured, not a problem
    const kind = o.record ? 'stale_lock' : 'garbage_lock';
    const message = o.record ? `${o.what}: ${o.stale}` : `${basename(o.path)} is ${o.what}; it blocks nobody, and gc removes it`;
    issues.push({ kind, task_id: taskId, path: o.path, message, recoverable: !isNonEmptyDir(o.path) });
  }
  return issues;
}

/**
 * Remove stale tickets (by their own names) and whatever an older version or
 * a stray process left at the lock's names. Returns how many were removed.
 */
export function cleanupLock(target: LockTarget, onBroken: (record: LockRecord | null, why: string) => void): number {
  const view = inspectLock(target);
  let removed = 0;
  for (const e of view.entries) {
    if (e.stale && unlinkQuiet(join(dirname(target.lockFile), e.record.token))) {
      removed++;
      onBroken(e.record, e.stale);
    }
  }
  for (const o of view.odd) {
    if (o.record && o.stale === null) continue;
    if (removeOdd(o.path)) {
      removed++;
      onBroken(o.record, o.stale ?? o.what);
    }
  }
  return removed;
}

function isNonEmptyDir(path: string): boolean {
  try {
    return lstatSync(path).isDirectory() && readdirSync(path).length > 0;
  } catch {
    return false;
  }
}

/** A symlink, FIFO or file is unlinked (never followed); an empty folder is removed; a full one is left for a person. */
function removeOdd(path: string): boolean {
  try {
    if (lstatSync(path).isDirectory()) {
      rmdirSync(path);
      return true;
    }
  } catch {
    return false;
  }
  return unlinkQuiet(path);
}
