// A feed started from a cursor misses nothing: whatever changed between the
// cursor (taken before a snapshot is read) and the moment the feed's watches
// are in place is reported once the feed is live. The watches are put in
// place late on purpose here, after real changes by another store.
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { openStateStore, type StoreChange } from '../engine/index.ts';
import type { WatchFactory, WatchSource } from '../engine/public.ts';
import { TreeWatcher } from '../engine/feed/tree-watcher.ts';
import { makeTempDir, removeTempDirs } from './helpers.ts';

afterEach(removeTempDirs);

/** A watcher whose watches go in only after `gap` ran: what happens during the gap is invisible to it. */
function lateWatcher(gap: () => Promise<void>): WatchFactory {
  return (root, ignored) => {
    const relay = new EventEmitter();
    let real: WatchSource | null = null;
    void gap().then(() => {
      real = new TreeWatcher(root, ignored);
      real.on('all', (event, path) => relay.emit('all', event, path));
      real.on('ready', () => relay.emit('ready'));
      real.on('error', (err) => relay.emit('error', err));
    });
    return {
      on: (event: string, fn: (...args: unknown[]) => void) => relay.on(event, fn),
      close: async () => real?.close(),
    } as WatchSource;
  };
}

async function changesDuringGap(useCursor: boolean) {
  const root = makeTempDir();
  const writer = openStateStore({ root, owner: 'writer' });
  await writer.init();
  await writer.updateTaskState('untouched', { n: 1 });
  await writer.updateTaskState('existing', { n: 1 });
  await writer.updateTaskState('locked', { n: 1 });
  const session = await writer.createSession({ branch: 'x' });
  await sleep(200); // well past the feed's mtime slack: these happened before the cursor
  let checkpointId = '';
  let lock: Awaited<ReturnType<typeof writer.acquireLock>> | null = null;
  const reader = openStateStore({
    root,
    watchFactory: lateWatcher(async () => {
      await writer.updateTaskState('existing', { n: 2 });
      await writer.updateTaskState('created', { n: 1 }, { session: session.id });
      checkpointId = (await writer.createCheckpoint(session.id, 'during the gap')).id;
      lock = await writer.acquireLock('locked', 'write');
    }),
  });
  const cursor = await reader.feedCursor();
  const seen: StoreChange[] = [];
  const feed = reader.watch(
    { onChange: (c) => seen.push(c), onStatus: () => {}, onRescan: async () => {} },
    useCursor ? cursor : undefined,
  );
  await feed.start();
  const reported = { seen, checkpointId, sessionId: session.id };
  await feed.close();
  await writer.releaseLock(lock!);
  writer.close();
  reader.close();
  return reported;
}

describe('the file feed from a cursor', () => {
  it('reports every task, session, checkpoint and log changed after the cursor, once live', async () => {
    const { seen, checkpointId, sessionId } = await changesDuringGap(true);
    const tasks = new Set(seen.flatMap((c) => (c.kind === 'task' ? [c.taskId] : [])));
    expect(tasks).toEqual(new Set(['existing', 'created', 'locked'])); // a new lock ticket counts as a change of its task
    expect(seen).toContainEqual({ kind: 'session', sessionId });
    expect(seen).toContainEqual({ kind: 'checkpoint', checkpointId });
    expect(seen).toContainEqual({ kind: 'log' });
  });

  it('without a cursor reports none of them: the catch-up is what finds them', async () => {
    const { seen } = await changesDuringGap(false);
    expect(seen.filter((c) => c.kind === 'task' || c.kind === 'session' || c.kind === 'checkpoint')).toEqual([]);
  });
});
