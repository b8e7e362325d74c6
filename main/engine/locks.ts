// The lock layer's public face for the rest of the engine. One small module
// per concern, as Python's filelock keeps one per lock kind:
//   locks/ticket.ts   one participant's file: name, content, lease, staleness
//   locks/queue.ts    the order of a lock's tickets, and who blocks whom
//   locks/manager.ts  acquire, refresh, release
//   locks/waker.ts    sleeping until a lock folder changes
//   locks/legacy.ts   lock files of earlier versions and odd files at their names
//   locks/listing.ts  holders and waiters for people; verify and gc
export { LockManager, assertRealFolder, type AcquireOptions, type HeldLock, type LockListener, type LockTarget } from './locks/manager.ts';
export { cleanupLock, inspectLock, lockIssues, liveness, waiterOf, type LockEntry, type LockView } from './locks/listing.ts';
import type { LockEvent } from '../../shared/model.ts';
import type { HeldLock } from './locks/manager.ts';

export function lockEventLine(held: HeldLock, waitMs: number): LockEvent {
  return {
    ts: new Date().toISOString(),
    task_id: held.target.resourceId,
    mode: held.record.mode,
    pid: process.pid,
    owner: held.record.owner,
    wait_ms: waitMs,
    outcome: 'acquired',
  };
}
