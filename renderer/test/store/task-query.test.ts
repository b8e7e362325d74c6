import { describe, expect, it } from 'vitest';
import { holder, locks, row, session, snapshot } from '../fixtures.ts';
import { applyPatch, fromSnapshot } from '../../src/store/mirror-data.ts';
import { createTaskQuerySelector, queryTasks, type TaskQuery } from '../../src/store/task-query.ts';

const base: TaskQuery = { q: '', status: '', session: null, sort: 'id', dir: 'asc' };

const data = fromSnapshot(
  snapshot({
    tasks: [
      row('sim-10', { status: 'completed', version: 7, updated_at: '2026-01-01T00:00:05Z', owner: 'agent-2', session_id: 's-2' }),
      row('sim-2', { status: 'in_progress', version: 3, updated_at: '2026-01-01T00:00:09Z', owner: 'agent-1', session_id: 's-1' }),
      row('sim-1', { status: 'failed', version: 12, updated_at: '2026-01-01T00:00:01Z', owner: 'agent-1', session_id: 's-1' }),
      row('build-x', { status: null, version: 1, updated_at: '2026-01-01T00:00:02Z' }),
    ],
    sessions: [session('s-1', { task_ids: ['sim-1', 'sim-2'] })],
    locks: [
      locks('sim-10', [holder('sim-10', { mode: 'read' })]),
      locks('sim-2', [holder('sim-2'), holder('sim-2', { mode: 'read', token: 'r' })]),
    ],
  }),
);

describe('queryTasks', () => {
  it('defaults to natural id order', () => {
    expect(queryTasks(data, base)).toEqual(['build-x', 'sim-1', 'sim-2', 'sim-10']);
    expect(queryTasks(data, { ...base, dir: 'desc' })).toEqual(['sim-10', 'sim-2', 'sim-1', 'build-x']);
  });

  it('searches id, status, owner and session, case-insensitively', () => {
    expect(queryTasks(data, { ...base, q: 'SIM-1' })).toEqual(['sim-1', 'sim-10']);
    expect(queryTasks(data, { ...base, q: 'agent-2' })).toEqual(['sim-10']);
    expect(queryTasks(data, { ...base, q: 'progress' })).toEqual(['sim-2']);
  });

  it('filters by exact status and by session membership', () => {
    expect(queryTasks(data, { ...base, status: 'failed' })).toEqual(['sim-1']);
    expect(queryTasks(data, { ...base, session: 's-1' })).toEqual(['sim-1', 'sim-2']);
    // A session the mirror does not know still matches rows last written in it.
    expect(queryTasks(data, { ...base, session: 's-2' })).toEqual(['sim-10']);
  });

  it('sorts by version, updated, status and lock state', () => {
    expect(queryTasks(data, { ...base, sort: 'version', dir: 'desc' })).toEqual(['sim-1', 'sim-10', 'sim-2', 'build-x']);
    expect(queryTasks(data, { ...base, sort: 'updated', dir: 'desc' })).toEqual(['sim-2', 'sim-10', 'build-x', 'sim-1']);
    expect(queryTasks(data, { ...base, sort: 'status', dir: 'asc' })).toEqual(['build-x', 'sim-10', 'sim-1', 'sim-2']);
    // write+reader beats a lone reader beats no lock; ties keep id order.
    expect(queryTasks(data, { ...base, sort: 'lock', dir: 'desc' })).toEqual(['sim-2', 'sim-10', 'build-x', 'sim-1']);
  });

  it('handles 10,000 rows quickly', () => {
    const big = fromSnapshot(
      snapshot({
        tasks: Array.from({ length: 10_000 }, (_, i) => row(`t-${i}`, { version: i % 97, updated_at: new Date(i * 1000).toISOString() })),
      }),
    );
    const t0 = performance.now();
    const ids = queryTasks(big, { ...base, sort: 'updated', dir: 'desc' });
    const elapsed = performance.now() - t0;
    expect(ids[0]).toBe('t-9999');
    expect(ids).toHaveLength(10_000);
    // A sort is milliseconds here; comparing every row with every other (10^8 comparisons) takes seconds. 1 s, not
    // 200 ms: a test process on 2 loaded cores can lose hundreds of ms to the scheduler and the collector.
    expect(elapsed).toBeLessThan(1000);
  });
});

describe('createTaskQuerySelector', () => {
  it('returns the same array while the result is unchanged', () => {
    const select = createTaskQuerySelector(base);
    const first = select(data);
    expect(select(data)).toBe(first);
    // A new tasks map whose visible order is the same → still the same array.
    const bumped = { ...data, tasks: new Map(data.tasks).set('sim-2', row('sim-2', { version: 4 })) };
    expect(select(bumped)).toBe(first);
  });

  it('returns a new array when the order changes', () => {
    const select = createTaskQuerySelector({ ...base, sort: 'version', dir: 'desc' });
    const first = select(data);
    const bumped = { ...data, tasks: new Map(data.tasks).set('build-x', row('build-x', { version: 50 })) };
    const next = select(bumped);
    expect(next).not.toBe(first);
    expect(next[0]).toBe('build-x');
  });
});

describe('incremental query updates', () => {
  it('keeps the same result array when changed rows neither enter, leave nor move, and recomputes when they do', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => row(`t${i + 1}`, { status: i % 2 ? 'running' : 'done', version: 1 }));
    let data = fromSnapshot(snapshot({ tasks: rows, seq: 1 }));
    const select = createTaskQuerySelector({ q: '', status: 'running', session: null, sort: 'id', dir: 'asc' });
    const first = select(data);
    expect(first).toHaveLength(25);
    // A running task gets a new version: same membership, same order.
    data = applyPatch(data, { seq: 2, tasks: { upsert: [row('t2', { status: 'running', version: 2 })], remove: [] } }, Date.now());
    expect(select(data)).toBe(first);
    // A done task starts running: it enters the result.
    data = applyPatch(data, { seq: 3, tasks: { upsert: [row('t1', { status: 'running', version: 2 })], remove: [] } }, Date.now());
    const second = select(data);
    expect(second).not.toBe(first);
    expect(second[0]).toBe('t1');
    expect(second).toEqual(queryTasks(data, { q: '', status: 'running', session: null, sort: 'id', dir: 'asc' }));
  });
});
