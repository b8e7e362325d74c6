// The synced-collection helpers both sides use: diff (host rescan), update
// (host flush), apply (renderer store).
import { describe, expect, it } from 'vitest';
import type { TaskState } from '../model.ts';
import { apply, countSynced, diff, diffAll, mapsOf, sameData, SYNCED, TASK_ROW_FIELDS, TASKS, update } from '../sync.ts';

const state = (over: Partial<TaskState> = {}): TaskState => ({
  task_id: 't1',
  version: 1,
  updated_at: '2026-01-01T00:00:00.000Z',
  updated_by: { owner: 'agent-1', pid: 1, host: 'h' },
  status: 'queued',
  ...over,
});

describe('task rows', () => {
  it('read every described field from a state, and nothing else', () => {
    const row = TASKS.fromState(state({ progress: 0.5, session_id: 's1', secret: 'x' }), 42);
    expect(Object.keys(row).sort()).toEqual(['size', 'task_id', ...Object.keys(TASK_ROW_FIELDS)].sort());
    expect(row).toMatchObject({ task_id: 't1', size: 42, version: 1, status: 'queued', owner: 'agent-1', progress: 0.5, session_id: 's1' });
  });

  it('differ when any described field differs', () => {
    const base = TASKS.fromState(state(), 10);
    expect(TASKS.equal(base, TASKS.fromState(state(), 10))).toBe(true);
    expect(TASKS.equal(base, TASKS.fromState(state(), 11))).toBe(false);
    expect(TASKS.equal(base, TASKS.fromState(state({ status: 'done' }), 10))).toBe(false);
    expect(TASKS.equal(base, TASKS.fromState(state({ updated_by: { owner: 'agent-2' } }), 10))).toBe(false);
  });
});

describe('diff, update and apply', () => {
  const sessions = SYNCED.sessions;
  const s = (id: string, status = 'active') => ({
    id,
    status,
    started_at: '',
    updated_at: '',
    options: {},
    task_ids: [id],
    metrics: { total_tasks: 1, completed: 0, in_progress: 0, failed: 0 },
  });

  it('diff sends changed and new items and the keys that went away', () => {
    const before = new Map([
      ['a', s('a')],
      ['b', s('b')],
    ]);
    const after = new Map([
      ['a', s('a')],
      ['b', s('b', 'completed')],
      ['c', s('c')],
    ]);
    expect(diff(sessions, before, after)).toEqual({ upsert: [s('b', 'completed'), s('c')], remove: [] });
    expect(diff(sessions, after, before)).toEqual({ upsert: [s('b')], remove: ['c'] });
    expect(diff(sessions, before, new Map(before))).toBeUndefined();
  });

  it('update merges fresh reads into the model and returns only what changed', () => {
    const model = new Map([
      ['a', s('a')],
      ['b', s('b')],
    ]);
    expect(
      update(sessions, model, [
        ['a', s('a')],
        ['b', null],
        ['z', null],
      ]),
    ).toEqual({ upsert: [], remove: ['b'] });
    expect([...model.keys()]).toEqual(['a']);
    expect(update(sessions, model, [['a', s('a')]])).toBeUndefined();
  });

  it('apply is copy-on-write and keeps the identity of unchanged items', () => {
    const a = s('a');
    const map = new Map([['a', a]]);
    const same = apply(sessions, map, { upsert: [s('a')], remove: ['nope'] });
    expect(same.map).toBe(map);
    expect(same.previous.size).toBe(0);
    const changed = apply(sessions, map, { upsert: [s('a', 'completed'), s('b')], remove: [] });
    expect(changed.map).not.toBe(map);
    expect(map.get('a')).toBe(a);
    expect([...changed.previous]).toEqual([
      ['a', a],
      ['b', undefined],
    ]);
  });

  it('diffAll covers every collection and countSynced counts its items', () => {
    const empty = mapsOf({ tasks: [], sessions: [], locks: [], checkpoints: [] });
    const full = mapsOf({
      tasks: [TASKS.fromState(state(), 1)],
      sessions: [s('a')],
      locks: [{ task_id: 't1', writer: null, readers: [], waiters: [] }],
      checkpoints: [],
    });
    const patch = diffAll(empty, full);
    expect(Object.keys(patch).sort()).toEqual(['locks', 'sessions', 'tasks']);
    expect(countSynced(patch)).toBe(3);
    expect(countSynced(diffAll(full, empty))).toBe(3);
  });

  it('sameData compares plain data structurally', () => {
    expect(sameData({ a: [1, { b: null }] }, { a: [1, { b: null }] })).toBe(true);
    expect(sameData({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(sameData([1, 2], { 0: 1, 1: 2 })).toBe(false);
  });
});
