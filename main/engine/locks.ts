// The lock layer's public face for the rest of the engine. One small module
// per concern, as Python's filelock keeps one per lock kind:
//   locks/ticket.ts   one participant's file: name, content, lease, staleness
//   locks/queue.ts    the order of a lock's tickets, and who blocks whom
//   locks/manager.ts  acquire, refresh, release
//   locks/waker.ts    sleeping until the ticket ahead goes away
//   locks/legacy.ts   lock files of earlier versions and odd files at their names
//   locks/listing.ts  holders and waiters for people; verify and gc
//   locks/log-lines.ts the lock log's lines: acquired, timed out, released, broken
export { LockManager, assertRealFolder, type AcquireOptions, type HeldLock, type LockListener, type LockTarget } from './locks/manager.ts';
export { cleanupLock, inspectLock, lockIssues, liveness, waiterOf, type LockEntry, type LockView } from './locks/listing.ts';
export { acquiredLine, appendLockLine, brokenLine, releasedLine, timeoutLine } from './locks/log-lines.ts';
