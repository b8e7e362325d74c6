import { describe, expect, it, vi } from 'vitest';
import type { Snapshot } from '../../../shared/contract.ts';
import { audit, holder, locks, row, session, snapshot, taskPatch } from '../fixtures.ts';
import { ACTIVITY_LIMIT } from '../../src/store/mirror-data.ts';
import { createMirrorStore, MAX_BUFFERED_PATCHES } from '../../src/store/mirror-store.ts';

/** A mirror whose `ready` requests are counted; main pushes `pushed` (if given) before it answers, as the host does. */
function setup(pushed?: Snapshot) {
  const requestSnapshot = vi.fn(async () => {
    if (pushed) store.getState().reset(pushed);
    return { seq: pushed?.seq ?? 0 };
  });
  const store = createMirrorStore({ requestSnapshot, now: () => 1_000 });
  return { store, requestSnapshot };
}

describe('mirror store: reset and patches', () => {
  it('applies a snapshot: maps by id, natural id order, sessions active first', () => {
    const { store } = setup();
    store.getState().reset(
      snapshot({
        seq: 5,
        tasks: [row('sim-10'), row('sim-2'), row('sim-1')],
        sessions: [
          session('2026-01-01-001', { status: 'completed', started_at: '2026-01-01T09:00:00Z' }),
          session('2026-01-01-002', { started_at: '2026-01-01T08:00:00Z' }),
        ],
        locks: [
          locks('sim-1', [holder('sim-1', { mode: 'read' }), holder('sim-1', { mode: 'read', token: 'r1' })]),
          locks('sim-2', [holder('sim-2')]),
        ],
      }),
    );
    const s = store.getState();
    expect(s.ready).toBe(true);
    expect(s.seq).toBe(5);
    expect(s.taskIds).toEqual(['sim-1', 'sim-2', 'sim-10']);
    expect(s.sessionIds).toEqual(['2026-01-01-002', '2026-01-01-001']);
    expect(s.locks.get('sim-1')?.readers).toHaveLength(2);
    expect(s.locks.get('sim-2')?.writer?.task_id).toBe('sim-2');
  });

  it('applies patches in order and keeps identity of untouched rows', () => {
    const { store } = setup();
    store.getState().reset(snapshot({ seq: 1, tasks: [row('a'), row('b')] }));
    const before = store.getState();
    const b = before.tasks.get('b');
    store.getState().receivePatch(taskPatch(2, row('a', { version: 2, status: 'in_progress' })));
    const after = store.getState();
    expect(after.seq).toBe(2);
    expect(after.tasks.get('a')?.version).toBe(2);
    expect(after.tasks.get('b')).toBe(b); // same object: row 'b' does not re-render
    expect(after.taskIds).toBe(before.taskIds); // no id added/removed: same list
    expect(after.changedAt.get('a')).toBe(1_000);
    expect(after.changedAt.has('b')).toBe(false);
  });

  it('ignores an upsert identical to what it has (no identity change, no highlight)', () => {
    const { store } = setup();
    store.getState().reset(snapshot({ seq: 1, tasks: [row('a')] }));
    const a = store.getState().tasks.get('a');
    store.getState().receivePatch(taskPatch(2, row('a')));
    expect(store.getState().tasks.get('a')).toBe(a);
    expect(store.getState().changedAt.has('a')).toBe(false);
  });

  it('keeps per-status counts incrementally', () => {
    const { store } = setup();
    store
      .getState()
      .reset(snapshot({ seq: 1, tasks: [row('a', { status: 'pending' }), row('b', { status: 'pending' }), row('c', { status: null })] }));
    expect(Object.fromEntries(store.getState().statusCounts)).toEqual({ pending: 2, '': 1 });
    store
      .getState()
      .receivePatch({ seq: 2, tasks: { upsert: [row('a', { status: 'done', version: 2 }), row('d', { status: 'done' })], remove: ['c'] } });
    expect(Object.fromEntries(store.getState().statusCounts)).toEqual({ pending: 1, done: 2 });
  });

  it('inserts new ids in natural order and removes deleted ones', () => {
    const { store } = setup();
    store.getState().reset(snapshot({ seq: 1, tasks: [row('t-1'), row('t-3'), row('t-20')] }));
    store.getState().receivePatch({ seq: 2, tasks: { upsert: [row('t-2'), row('t-100')], remove: ['t-3'] } });
    expect(store.getState().taskIds).toEqual(['t-1', 't-2', 't-20', 't-100']);
    expect(store.getState().tasks.has('t-3')).toBe(false);
  });

  it('replaces lock summaries only for the tasks a patch names', () => {
    const { store } = setup();
    store
      .getState()
      .reset(snapshot({ seq: 1, tasks: [row('a'), row('b')], locks: [locks('a', [holder('a')]), locks('b', [holder('b')])] }));
    const bLocks = store.getState().locks.get('b');
    store.getState().receivePatch({ seq: 2, locks: { upsert: [], remove: ['a'] } });
    expect(store.getState().locks.has('a')).toBe(false);
    expect(store.getState().locks.get('b')).toBe(bLocks);
    store.getState().receivePatch({
      seq: 3,
      locks: { upsert: [locks('a', [holder('a', { mode: 'read' }), holder('a', { mode: 'read', token: 'x' })])], remove: [] },
    });
    expect(store.getState().locks.get('a')?.readers).toHaveLength(2);
  });

  it('keeps activity newest first and bounded', () => {
    const { store } = setup();
    store
      .getState()
      .reset(snapshot({ seq: 1, activity: [audit('2026-01-01T00:00:01Z'), audit('2026-01-01T00:00:03Z'), audit('2026-01-01T00:00:02Z')] }));
    expect(store.getState().activity.map((e) => e.timestamp)).toEqual([
      '2026-01-01T00:00:03Z',
      '2026-01-01T00:00:02Z',
      '2026-01-01T00:00:01Z',
    ]);
    store.getState().receivePatch({ seq: 2, activity: [audit('2026-01-01T00:00:04Z')] });
    expect(store.getState().activity[0]?.timestamp).toBe('2026-01-01T00:00:04Z');
    const many = Array.from({ length: ACTIVITY_LIMIT + 50 }, (_, i) => audit(new Date(Date.UTC(2026, 0, 2, 0, 0, i)).toISOString()));
    store.getState().receivePatch({ seq: 3, activity: many });
    expect(store.getState().activity).toHaveLength(ACTIVITY_LIMIT);
    expect(store.getState().activity[0]).toBe(many[many.length - 1]);
  });

  it('applies scalar fields: watch, legacyFile (including null), demo, issues', () => {
    const { store } = setup();
    store.getState().reset(snapshot({ seq: 1, legacyFile: '/x/.parallel-dev-state.json' }));
    store.getState().receivePatch({
      seq: 2,
      watch: { mode: 'polling', reason: 'inotify limit', rootPresent: true },
      legacyFile: null,
      demo: { root: '/tmp/d', running: true },
    });
    const s = store.getState();
    expect(s.watch.mode).toBe('polling');
    expect(s.legacyFile).toBeNull();
    expect(s.demo).toEqual({ root: '/tmp/d', running: true });
  });

  it('drops duplicate or old patches', () => {
    const { store, requestSnapshot } = setup();
    store.getState().reset(snapshot({ seq: 3, tasks: [row('a', { version: 3 })] }));
    store.getState().receivePatch(taskPatch(3, row('a', { version: 99 })));
    store.getState().receivePatch(taskPatch(2, row('a', { version: 98 })));
    expect(store.getState().tasks.get('a')?.version).toBe(3);
    expect(requestSnapshot).not.toHaveBeenCalled();
  });

  it('queues patches that arrive before the first snapshot', () => {
    const { store } = setup();
    store.getState().receivePatch(taskPatch(6, row('a', { version: 6 })));
    store.getState().reset(snapshot({ seq: 5, tasks: [row('a', { version: 5 })] }));
    expect(store.getState().tasks.get('a')?.version).toBe(6);
    expect(store.getState().seq).toBe(6);
  });
});

describe('mirror store: gap resync', () => {
  it('asks for a snapshot on a seq gap, then applies patches newer than it', () => {
    const { store, requestSnapshot } = setup();
    store.getState().reset(snapshot({ seq: 1, tasks: [row('a')] }));
    store.getState().receivePatch(taskPatch(3, row('a', { version: 3 }))); // 2 is missing
    expect(requestSnapshot).toHaveBeenCalledTimes(1);
    expect(store.getState().live.resyncing).toBe(true);
    expect(store.getState().tasks.get('a')?.version).toBe(1); // nothing applied past the gap
    store.getState().receivePatch(taskPatch(5, row('a', { version: 5 }))); // arrives during the resync
    store.getState().reset(snapshot({ seq: 4, tasks: [row('a', { version: 4 })] })); // main's answer to `ready`
    const s = store.getState();
    expect(s.live.resyncing).toBe(false);
    expect(s.seq).toBe(5);
    expect(s.tasks.get('a')?.version).toBe(5);
    expect(requestSnapshot).toHaveBeenCalledTimes(1);
  });

  it('does not ask again while a request is in flight', () => {
    const { store, requestSnapshot } = setup();
    store.getState().reset(snapshot({ seq: 1 }));
    store.getState().receivePatch({ seq: 5 });
    store.getState().receivePatch({ seq: 9 });
    expect(requestSnapshot).toHaveBeenCalledTimes(1);
  });
});

describe('mirror store: pause live updates', () => {
  it('buffers patches while paused, counts changes, applies them in order on resume', () => {
    const { store } = setup();
    store.getState().reset(snapshot({ seq: 1, tasks: [row('a'), row('b')] }));
    store.getState().pause();
    store.getState().receivePatch(taskPatch(2, row('a', { version: 2 }), row('b', { version: 2 })));
    store.getState().receivePatch(taskPatch(3, row('a', { version: 3 })));
    let s = store.getState();
    expect(s.live.paused).toBe(true);
    expect(s.tasks.get('a')?.version).toBe(1); // the screen holds still
    expect(s.live.buffered).toHaveLength(2);
    expect(s.live.pendingChanges).toBe(3);
    store.getState().resume();
    s = store.getState();
    expect(s.live.paused).toBe(false);
    expect(s.live.buffered).toHaveLength(0);
    expect(s.live.pendingChanges).toBe(0);
    expect(s.tasks.get('a')?.version).toBe(3);
    expect(s.tasks.get('b')?.version).toBe(2);
    expect(s.seq).toBe(3);
  });

  it('a reset while paused applies, and keeps buffered patches newer than it', () => {
    const { store } = setup();
    store.getState().reset(snapshot({ seq: 1, tasks: [row('a')] }));
    store.getState().pause();
    store.getState().receivePatch(taskPatch(2, row('a', { version: 2 })));
    store.getState().receivePatch(taskPatch(3, row('a', { version: 3 })));
    store.getState().reset(snapshot({ seq: 2, tasks: [row('a', { version: 2 })] }));
    expect(store.getState().tasks.get('a')?.version).toBe(2);
    expect(store.getState().live.buffered.map((p) => p.seq)).toEqual([3]);
    store.getState().resume();
    expect(store.getState().tasks.get('a')?.version).toBe(3);
  });

  it('detects gaps while paused too', () => {
    const { store, requestSnapshot } = setup();
    store.getState().reset(snapshot({ seq: 1 }));
    store.getState().pause();
    store.getState().receivePatch({ seq: 2 });
    store.getState().receivePatch({ seq: 4 });
    expect(requestSnapshot).toHaveBeenCalledTimes(1);
  });

  it('on buffer overflow drops the patches and resyncs on resume', async () => {
    const { store, requestSnapshot } = setup(snapshot({ seq: MAX_BUFFERED_PATCHES + 10, tasks: [row('a', { version: 42 })] }));
    store.getState().reset(snapshot({ seq: 0, tasks: [row('a')] }));
    store.getState().pause();
    for (let seq = 1; seq <= MAX_BUFFERED_PATCHES + 10; seq++) store.getState().receivePatch(taskPatch(seq, row('a', { version: seq })));
    expect(store.getState().live.overflowed).toBe(true);
    expect(store.getState().live.buffered).toHaveLength(0);
    expect(store.getState().live.pendingChanges).toBe(MAX_BUFFERED_PATCHES + 10);
    store.getState().resume();
    expect(requestSnapshot).toHaveBeenCalledTimes(1);
    await Promise.resolve();
    await Promise.resolve();
    expect(store.getState().tasks.get('a')?.version).toBe(42);
    expect(store.getState().live.overflowed).toBe(false);
  });
});

describe('mirror store: the ready handshake', () => {
  it('asks for a snapshot when connected, and again on every reconnect', () => {
    const { store, requestSnapshot } = setup(snapshot({ seq: 3, tasks: [row('a', { version: 3 })] }));
    store.getState().connected();
    expect(requestSnapshot).toHaveBeenCalledTimes(1);
    expect(store.getState()).toMatchObject({ ready: true, seq: 3, live: { resyncing: false } });
    store.getState().connected(); // the socket dropped and came back: the copy may be stale
    expect(requestSnapshot).toHaveBeenCalledTimes(2);
  });

  it('retries a failed request until a snapshot arrives, and ignores the failure of a superseded one', async () => {
    vi.useFakeTimers();
    try {
      const failures: ((err: Error) => void)[] = [];
      const requestSnapshot = vi.fn(() => new Promise<unknown>((_resolve, reject) => failures.push(reject)));
      const store = createMirrorStore({ requestSnapshot, retryMs: 2_000, now: () => 1_000 });
      store.getState().connected();
      failures[0]!(new Error('Not connected to the Lockstep server; reconnecting.'));
      await vi.advanceTimersByTimeAsync(0);
      expect(store.getState().live).toMatchObject({ resyncing: false, resyncError: 'Not connected to the Lockstep server; reconnecting.' });
      await vi.advanceTimersByTimeAsync(2_000);
      expect(requestSnapshot).toHaveBeenCalledTimes(2); // the retry
      store.getState().connected(); // a reconnect asks anew; the retry's failure no longer counts
      failures[1]!(new Error('connection lost'));
      await vi.advanceTimersByTimeAsync(10_000);
      expect(store.getState().live.resyncing).toBe(true);
      expect(requestSnapshot).toHaveBeenCalledTimes(3);
      store.getState().reset(snapshot({ seq: 1 }));
      failures[2]!(new Error('late failure after the snapshot came')); // nothing to retry
      await vi.advanceTimersByTimeAsync(10_000);
      expect(requestSnapshot).toHaveBeenCalledTimes(3);
      expect(store.getState().live).toMatchObject({ resyncing: false, resyncError: null });
    } finally {
      vi.useRealTimers();
    }
  });
});
