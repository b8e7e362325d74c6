// getTask with `after`: the task panel asks only for the versions newer than
// the newest it holds, and the host reads only those from the store.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TASK_HISTORY_LIMIT, type TaskDetail } from '../../../shared/contract.ts';
import { openStateStore, type StateStore } from '../../engine/index.ts';
import { createHandlers, dispatch, type HostHandlers } from '../../host/api.ts';
import { DemoRunner } from '../../host/demo.ts';
import { StateHost } from '../../host/state-host.ts';

let dir: string;
let store: StateStore;
let host: StateHost;
let handlers: HostHandlers;
/** The `limit` of every history page the host read. */
let pages: number[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-task-history-'));
  const root = join(dir, 'state');
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'config.json'), JSON.stringify({ max_history: 3 })); // the current version and 3 before it
  store = openStateStore({ root, fsync: false });
  await store.init();
  host = new StateHost({ root });
  handlers = createHandlers(host, new DemoRunner(host, 'unused'));
  pages = [];
  const read = host.store.getTaskHistoryPage.bind(host.store);
  host.store.getTaskHistoryPage = (id, limit) => {
    pages.push(limit);
    return read(id, limit);
  };
});
afterEach(async () => {
  await host.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const versions = (detail: TaskDetail) => detail.history.map((v) => v.version);
const write = async (n: number) => {
  for (let i = 0; i < n; i++) await store.updateTaskState('docs', { i });
};

describe('getTask after a version', () => {
  it('answers and reads only the newer versions, and says how many the task keeps', async () => {
    await write(2);
    const first = await handlers.getTask({ taskId: 'docs' });
    expect(first).toMatchObject({ after: null, retained: 2 });
    expect(versions(first)).toEqual([2, 1]);

    await write(2);
    const next = await handlers.getTask({ taskId: 'docs', after: 2 });
    expect(next).toMatchObject({ after: 2, retained: 4 });
    expect(versions(next)).toEqual([4, 3]);
    expect(pages).toEqual([TASK_HISTORY_LIMIT, 2]); // two versions read, not the whole page

    // max_history 3: v5 pushes v1 out; the panel trims to the `retained` newest.
    await write(1);
    const pruned = await handlers.getTask({ taskId: 'docs', after: 4 });
    expect(versions(pruned)).toEqual([5]);
    expect(pruned.retained).toBe(4);

    const nothingNew = await handlers.getTask({ taskId: 'docs', after: 5 });
    expect(nothingNew).toMatchObject({ history: [], after: 5, retained: 4 });

    // A restore is a new version like any other.
    const restored = await store.restoreTaskVersion('docs', 3);
    const afterRestore = await handlers.getTask({ taskId: 'docs', after: 5 });
    expect(versions(afterRestore)).toEqual([restored.version]);
    expect(afterRestore.history[0]).toMatchObject({ i: 0 });
  });

  it('answers the whole list when `after` cannot be honoured', async () => {
    await write(3);
    // Beyond the current version: the task was deleted and created again since.
    const ahead = await handlers.getTask({ taskId: 'docs', after: 9 });
    expect(ahead).toMatchObject({ after: null, retained: 3 });
    expect(versions(ahead)).toEqual([3, 2, 1]);
    // More new versions than one answer carries: the newest page, as when the panel opens.
    await write(TASK_HISTORY_LIMIT);
    const far = await handlers.getTask({ taskId: 'docs', after: 2 });
    expect(far.after).toBeNull();
    expect(versions(far)).toEqual([203, 202, 201, 200]);
  });

  it('validates `after` like every payload', async () => {
    for (const after of [-1, 1.5, '3', null]) {
      const result = await dispatch(handlers, 'getTask', { taskId: 'docs', after });
      expect(result.ok, String(after)).toBe(false);
      expect(!result.ok && result.error.code).toBe('INVALID_INPUT');
    }
  });
});
