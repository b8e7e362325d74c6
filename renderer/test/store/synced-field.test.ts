// "One edit per field": a column added to the task-row description in
// shared/sync.ts is read by the host, compared, sent, and applied by the
// renderer store, with no other edit. The description is extended here the
// way a developer would edit TASK_ROW_FIELDS; everything else is the product.
import { describe, expect, it, vi } from 'vitest';
import type { Patch } from '../../../shared/contract.ts';
import type { TaskState } from '../../../shared/model.ts';
import { SYNCED, TASKS, update } from '../../../shared/sync.ts';
import { snapshot } from '../fixtures.ts';
import { createMirrorStore } from '../../src/store/mirror-store.ts';

vi.mock('../../../shared/sync.ts', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../../shared/sync.ts')>();
  // The one edit: a new entry in TASK_ROW_FIELDS.
  const fields = { ...actual.TASK_ROW_FIELDS, priority: (s: TaskState) => (typeof s.priority === 'number' ? s.priority : null) };
  const tasks = actual.taskRows(fields);
  return { ...actual, TASK_ROW_FIELDS: fields, TASKS: tasks, SYNCED: { ...actual.SYNCED, tasks } };
});

function taskState(version: number, priority: number): TaskState {
  return {
    task_id: 'build',
    version,
    updated_at: '2026-01-01T00:00:00.000Z',
    updated_by: { owner: 'agent-1', pid: 1, host: 'h' },
    status: 'queued',
    priority,
  };
}

describe('a field added to the task-row description', () => {
  it('is read, diffed on the host and applied by the renderer store', () => {
    // Host side: the model a StateHost keeps, fed by rows built from task states.
    const hostModel = new Map();
    let seq = 0;
    const read = (state: TaskState): Patch | null => {
      const tasks = update(SYNCED.tasks, hostModel, [[state.task_id, TASKS.fromState(state, 120)]]);
      return tasks ? { seq: ++seq, tasks } : null;
    };
    // Renderer side: the real mirror store.
    const store = createMirrorStore({ requestSnapshot: () => Promise.reject(new Error('not used')) });
    store.getState().reset(snapshot({ seq: 0 }));

    const first = read(taskState(1, 2));
    expect(first?.tasks?.upsert[0]).toMatchObject({ task_id: 'build', priority: 2 });
    store.getState().receivePatch(first!);
    const row = store.getState().tasks.get('build') as unknown as Record<string, unknown>;
    expect(row.priority).toBe(2);

    // The same state read again sends nothing.
    expect(read(taskState(1, 2))).toBeNull();

    // A change of the new field alone is a change: sent, applied, the row replaced.
    const second = read(taskState(1, 5));
    expect(second?.tasks?.upsert).toHaveLength(1);
    store.getState().receivePatch(second!);
    const next = store.getState().tasks.get('build') as unknown as Record<string, unknown>;
    expect(next.priority).toBe(5);
    expect(next).not.toBe(row);

    // A patch that repeats the row keeps the object (no re-render).
    store.getState().receivePatch({ seq: ++seq, tasks: { upsert: [{ ...(next as object) } as never], remove: [] } });
    expect(store.getState().tasks.get('build')).toBe(next);
  });
});
