// A commit recycles the history version that falls out of the window as the
// inode of a later version (version-spares.ts). A reader that opened that
// version just before must not read the newer bytes under the old name:
// verify would report a damaged history file that never was.
import { describe, expect, it } from 'vitest';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cleanUpAfterEach, openTempStore, pausedAt, spawnCli } from './helpers.ts';

cleanUpAfterEach();

describe('a history version recycled while it is being read', () => {
  it('is read as pruned, not as a damaged file, by a verify that opened it just before', async () => {
    const { root, store } = openTempStore({ max_history: 2 });
    await store.init();
    for (let i = 1; i <= 5; i++) await store.updateTaskState('t', { i });
    const history = join(root, 'tasks', 'task-t', 'history');
    expect(readdirSync(history).sort()).toEqual(['v3.json', 'v4.json', 'v5.json']);
    const oldest = statSync(join(history, 'v3.json')).ino;

    // verify reads history newest first: its third read is v3, the next to fall out. It stops there, file open.
    const point = 'history-read.after-open';
    const verify = spawnCli(root, ['verify', '--json'], { LOCKSTEP_TEST_PAUSE: `${point}@3` });
    await pausedAt(verify, point);
    // Three more commits: v3 falls out and becomes a spare, and a later version is written into its inode.
    for (let i = 6; i <= 8; i++) await store.updateTaskState('t', { i });
    const recycledAs = readdirSync(history).find((name) => statSync(join(history, name)).ino === oldest);
    expect(recycledAs, 'the open file was written again as a newer version').toMatch(/^v[78]\.json$/);

    verify.signal('SIGCONT');
    const exit = await verify.waitExit();
    expect(exit.code, verify.stderr).toBe(0);
    expect(JSON.parse(verify.lines.join('\n'))).toEqual({ issues: [] });
    expect(await store.getTaskHistory('t')).toMatchObject([{ version: 8 }, { version: 7 }, { version: 6 }]);
  }, 60_000);
});
