// The version that falls out of history becomes the next commit's temp file
// (main/engine/version-spares.ts): no block freed or allocated per commit.
// What a user must never notice: a wrong byte in any version, a left-over
// file, or a commit that fails because a spare went missing.
import { afterEach, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync, unlinkSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { openStateStore } from '../engine/index.ts';
import { makeTempDir, removeTempDirs } from './helpers.ts';

afterEach(() => removeTempDirs());

const spares = (taskDir: string) => readdirSync(taskDir).filter((n) => n.includes('-spare-'));

describe('spare inodes for commits', () => {
  it('writes new versions over the ones that fell out: every version exact, a shorter one truncated, nothing left at close', async () => {
    const root = makeTempDir();
    const store = openStateStore({ root, max_history: 3 });
    await store.init();
    const taskDir = join(root, 'tasks', 'task-t');
    const inodes = new Set<number>();
    const written: Record<number, string> = {};
    for (let i = 1; i <= 30; i++) {
      // Long and short versions alternate, so a short one is often written over a longer one's inode.
      const state = await store.updateTaskState('t', { i, notes: i % 2 ? 'x'.repeat(3000) : 'short' });
      written[state.version] = JSON.stringify(state);
      inodes.add(statSync(join(taskDir, 'state.json')).ino);
    }
    // 4 versions kept, up to 2 spares, and the first commits before a spare was ready.
    expect(inodes.size).toBeLessThanOrEqual(8);
    expect(spares(taskDir).length).toBeGreaterThan(0);
    const history = await store.getTaskHistory('t');
    expect(history.map((s) => s.version)).toEqual([30, 29, 28, 27]);
    for (const s of history) {
      const raw = readFileSync(join(taskDir, 'history', `v${s.version}.json`), 'utf8');
      expect(JSON.stringify(JSON.parse(raw))).toBe(written[s.version]);
    }
    expect(readdirSync(join(taskDir, 'history')).sort()).toEqual(['v27.json', 'v28.json', 'v29.json', 'v30.json']);
    expect(await store.verifyAllStates()).toEqual([]);
    store.close();
    expect(readdirSync(taskDir).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
  });

  it('a spare removed meanwhile (gc, a person) only means a fresh temp: the commit goes through', async () => {
    const root = makeTempDir();
    const store = openStateStore({ root, max_history: 1 });
    await store.init();
    const taskDir = join(root, 'tasks', 'task-t');
    for (let i = 1; i <= 6; i++) await store.updateTaskState('t', { i });
    expect(spares(taskDir).length).toBeGreaterThan(0);
    for (const name of spares(taskDir)) unlinkSync(join(taskDir, name));
    for (let i = 7; i <= 10; i++) expect(await store.updateTaskState('t', { i })).toMatchObject({ version: i, i });
    expect(await store.getTaskState('t')).toMatchObject({ version: 10, i: 10 });
    expect(await store.verifyAllStates()).toEqual([]);
    store.close();
  });

  it('a spare kept for a task written once an hour is not reported as a left-over by verify', async () => {
    const root = makeTempDir();
    const store = openStateStore({ root, max_history: 1 });
    await store.init();
    const taskDir = join(root, 'tasks', 'task-t');
    await store.updateTaskState('t', { i: 1 });
    await store.updateTaskState('t', { i: 2 });
    // Version 1 was written two hours ago; it falls out at the next commit and becomes a spare.
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(join(taskDir, 'history', 'v1.json'), twoHoursAgo, twoHoursAgo);
    await store.updateTaskState('t', { i: 3 });
    expect(spares(taskDir).length).toBeGreaterThan(0);
    expect(await store.verifyAllStates()).toEqual([]);
    store.close();
  });
});
