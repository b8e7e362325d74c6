// Ids `Build` and `build` would share one folder on case-insensitive
// filesystems (macOS, Windows): the second is refused everywhere, with a
// clear error, and nothing is written. (This filesystem is case-sensitive,
// so what runs here is the check made when a task folder would be created.)
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInputError, openStateStore } from '../engine/index.ts';
import { listTree, makeTempDir, removeTempDirs, runCli, seedStore, singleCliError } from './helpers.ts';

afterEach(() => removeTempDirs());

async function rootWith(ids: string[]): Promise<{ dir: string; root: string }> {
  const dir = makeTempDir();
  const root = join(dir, 'root');
  await seedStore({ root }, Object.fromEntries(ids.map((id) => [id, { title: `task ${id}` }])));
  return { dir, root };
}

async function refusal(p: Promise<unknown>): Promise<InvalidInputError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidInputError);
  return err as InvalidInputError;
}

describe('task ids that differ only in letter case', () => {
  it('are refused by update, lock and restore, naming the existing task, and nothing is written', async () => {
    const { dir, root } = await rootWith(['Build']);
    const before = listTree(dir);
    const store = openStateStore({ root });
    const err = await refusal(store.updateTaskState('build', { title: 'twin' }));
    expect(err.message).toMatch(/task id "build" differs only in letter case from the existing task "Build"/);
    expect(err.message).toMatch(/case-insensitive filesystems/);
    await refusal(store.updateTaskState('BUILD', { title: 'twin' }, { expectedVersion: 0 }));
    await refusal(store.acquireLock('bUILD', 'write', { timeout: 500 }));
    await refusal(store.acquireLock('build', 'read', { timeout: 500 }));
    await refusal(store.restoreTaskVersion('build', 1));
    expect(listTree(dir)).toEqual(before);

    // The existing task, and ids that are not twins, keep working.
    expect((await store.updateTaskState('Build', { n: 1 })).version).toBe(2);
    expect((await store.updateTaskState('Build2', { n: 1 })).version).toBe(1);
    expect((await store.updateTaskState('42', { n: 1 })).version).toBe(1);
    expect((await store.listTaskIds()).sort()).toEqual(['42', 'Build', 'Build2']);
    store.close();
  });

  it('the CLI exits 2 with one line naming both ids, and writes nothing', async () => {
    const { dir, root } = await rootWith(['api-Server.v2']);
    const before = listTree(dir);
    for (const args of [
      ['task', 'update', 'API-server.V2', '{"a":1}'],
      ['lock', 'acquire', 'api-server.v2', '--hold', '0'],
    ]) {
      const r = await runCli(root, ['--json', ...args]);
      expect(r.code, r.stderr).toBe(2);
      const error = singleCliError(r);
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.message).toContain(`"${args[2]}" differs only in letter case from the existing task "api-Server.v2"`);
    }
    expect(listTree(dir)).toEqual(before);
  });

  it('one process creating both spellings in a row is refused the second; a refused request leaves nothing to collide with', async () => {
    const { root } = await rootWith([]);
    const store = openStateStore({ root });
    await store.updateTaskState('Alpha', { n: 1 });
    expect((await refusal(store.updateTaskState('ALPHA', { n: 2 }))).message).toContain('existing task "Alpha"');
    // 'Gamma' is refused for its payload, so no folder exists: 'gamma' is free.
    await refusal(store.updateTaskState('Gamma', [1, 2] as unknown as object));
    expect((await store.updateTaskState('gamma', { n: 1 })).version).toBe(1);
    expect((await store.listTaskIds()).sort()).toEqual(['Alpha', 'gamma']);
    store.close();
  });

  it('a root that already holds both spellings (made before this check) keeps working for both', async () => {
    const { root } = await rootWith(['x']);
    mkdirSync(join(root, 'tasks', 'task-X'));
    const store = openStateStore({ root });
    expect((await store.updateTaskState('X', { n: 1 })).version).toBe(1);
    expect((await store.updateTaskState('x', { n: 2 })).version).toBe(2);
    store.close();
  });
});
