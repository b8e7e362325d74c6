// The lock log's lines (logs/locks-<date>.jsonl), one per acquisition,
// time-out, release and broken lock. A released line carries the wait and
// the hold, so one line describes a whole hold; the dashboard's timeline and
// the contention figures are built from these lines alone.
import type { LockEvent, LockMode, LockRecord } from '../../../shared/model.ts';
import type { AppendLog } from '../audit-log.ts';
import type { EventHub } from '../events.ts';
import { HOST } from '../identity.ts';
import type { HeldLock, LockTarget } from './manager.ts';

export function acquiredLine(held: HeldLock): LockEvent {
  return {
    ts: new Date(held.grantedAt).toISOString(),
    task_id: held.target.resourceId,
    mode: held.record.mode,
    pid: process.pid,
    owner: held.record.owner,
    wait_ms: held.waitMs,
    outcome: 'acquired',
    token: held.record.token,
    host: HOST,
  };
}

export function timeoutLine(target: LockTarget, mode: LockMode, owner: string, waitMs: number): LockEvent {
  return {
    ts: new Date().toISOString(),
    task_id: target.resourceId,
    mode,
    pid: process.pid,
    owner,
    wait_ms: waitMs,
    outcome: 'timeout',
    host: HOST,
  };
}

/** `lost`: the ticket was already gone (reclaimed while this process was stopped past its lease). */
export function releasedLine(held: HeldLock, releasedAt: number, lost: boolean): LockEvent {
  return {
    ...acquiredLine(held),
    ts: new Date(releasedAt).toISOString(),
    outcome: 'released',
    hold_ms: Math.max(0, releasedAt - held.grantedAt),
    ...(lost ? { lost: true } : {}),
  };
}

/** A stale lock removed by a waiter, gc or `break`: the line names the stale holder, when its ticket could be read. */
export function brokenLine(resourceId: string, record: LockRecord | null, why: string): LockEvent {
  return {
    ts: new Date().toISOString(),
    task_id: resourceId,
    mode: record?.mode ?? 'write',
    pid: record?.pid ?? 0,
    owner: record?.owner ?? '',
    wait_ms: 0,
    outcome: 'broken',
    ...(record ? { token: record.token, host: record.host } : {}),
    reason: why,
  };
}

/**
 * Append one line; a line that cannot be written is reported (state.log_error)
 * and never fails the lock. Lines that may wait (`soon`: releases, and the
 * acquisition of a lock a commit takes for itself) go out together with the
 * next line written at once, or within 50 ms (AppendLog.appendLockEventSoon):
 * a commit then writes nothing to the lock log while it holds the lock.
 */
export function appendLockLine(log: AppendLog, events: EventHub, line: LockEvent, soon = line.outcome === 'released'): void {
  const report = (err: Error) => events.emit('state.log_error', { message: err.message });
  if (soon) {
    log.appendLockEventSoon(line, report);
    return;
  }
  try {
    log.appendLockEvent(line);
  } catch (err) {
    report(err as Error);
  }
}
