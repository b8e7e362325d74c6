// Updates one task in a tight loop (fsync on) until killed. Every version it
// writes keeps the invariant counter === version, so a lost or duplicated
// commit shows up as a mismatch. Mixes optimistic updates, commits under a
// held write lock and read locks, so kill -9 lands in every phase.
// Prints "ready", waits for "go" on stdin.
import { LockTimeoutError, openStateStore, VersionConflictError } from '../../engine/index.ts';
import { errorInfo, nextLine, options, print, required } from './common.ts';

const opts = options();
const store = openStateStore({ root: required(opts, 'root'), owner: `crash-${process.pid}`, fsync: true });
const taskId = required(opts, 'task');

// Warm up on another task so the first commits after "go" run at full speed
// and a kill lands in the middle of real work, not in start-up.
for (let i = 0; i < 15; i++) {
  await store.updateTaskState('warmup', { n: i });
  await store.releaseLock(await store.acquireLock('warmup', i % 2 ? 'read' : 'write'));
}
print('ready');
await nextLine();

for (;;) {
  const roll = Math.random();
  try {
    if (roll < 0.7) {
      const cur = await store.getTaskState(taskId);
      const v = cur?.version ?? 0;
      await store.updateTaskState(taskId, { counter: v + 1, writer: process.pid }, { expectedVersion: v });
    } else if (roll < 0.9) {
      const lock = await store.acquireLock(taskId, 'write');
      try {
        const cur = await store.getTaskState(taskId);
        const v = cur?.version ?? 0;
        await store.updateTaskState(taskId, { counter: v + 1, writer: process.pid }, { lock, expectedVersion: v });
      } finally {
        await store.releaseLock(lock);
      }
    } else {
      const lock = await store.acquireLock(taskId, 'read');
      await store.getTaskState(taskId);
      await store.releaseLock(lock);
    }
  } catch (err) {
    if (!(err instanceof VersionConflictError || err instanceof LockTimeoutError)) {
      print({ error: errorInfo(err) });
      process.exit(1);
    }
  }
}
