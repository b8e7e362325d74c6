// Requirement 6 (state): revisions survive reloads, concurrent session
// creation, checkpoint round trips and the legacy-file migration.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CorruptStateError, openStateStore, type TaskState } from '../engine/index.ts';
import { describeBackends } from './backends.ts';
import { cleanUpAfterEach, listTree, makeTempDir, readAuditLines, runCli, spawnWorker } from './helpers.ts';

cleanUpAfterEach();

describeBackends('revision persistence', (backend) => {
  it('another store instance sees the same versions and history, and a restored version is written as a new one', async () => {
    const first = await backend.open({ owner: 'writer' });
    const written: TaskState[] = [];
    for (let i = 1; i <= 4; i++) written.push(await first.updateTaskState('persist', { step: i, notes: `n${i}` }));

    const second = backend.reopen(first);
    const state = await second.getTaskState('persist');
    expect(state).toEqual(written[3]);
    expect(state).toMatchObject({ version: 4, step: 4, updated_by: { owner: 'writer', pid: process.pid } });
    expect(await second.getTaskHistory('persist')).toEqual([...written].reverse());
    expect(await second.listTaskIds()).toEqual(['persist']);

    // Restoring an earlier version writes it back as a new version.
    const restored = await second.restoreTaskVersion('persist', 2);
    expect(restored).toMatchObject({ version: 5, step: 2, notes: 'n2' });
    expect(await backend.reopen(first).getTaskState('persist')).toEqual(restored);
  });

  it('history keeps the current version plus max_history earlier ones', async () => {
    const store = await backend.open({ max_history: 3 });
    for (let i = 1; i <= 30; i++) await store.updateTaskState('pruned', { i });
    expect((await store.getTaskHistory('pruned')).map((h) => h.version)).toEqual([30, 29, 28, 27]);
  });
});

describeBackends('sessions', (backend) => {
  it('8 processes creating sessions at once get 8 unique ids of the form YYYY-MM-DD-NNN', async () => {
    const store = await backend.open();
    const workers = Array.from({ length: 8 }, () => spawnWorker('session-create', backend.workerArgs(store)));
    await Promise.all(workers.map((w) => w.waitForLine((l) => l === 'ready', 30_000)));
    for (const w of workers) w.send('go');
    const created = await Promise.all(workers.map((w) => w.waitForJson<{ id: string; agent: string; error?: unknown }>(undefined, 30_000)));
    await Promise.all(workers.map((w) => w.waitExit()));

    for (const c of created) expect(c.error).toBeUndefined();
    const ids = created.map((c) => c.id);
    for (const id of ids) expect(id).toMatch(/^\d{4}-\d{2}-\d{2}-\d{3}$/);
    expect(new Set(ids).size).toBe(8);
    const today = new Date().toISOString().slice(0, 10);
    // Numbers are handed out densely: 001..008, one each.
    expect([...ids].sort()).toEqual(Array.from({ length: 8 }, (_, i) => `${today}-${String(i + 1).padStart(3, '0')}`));

    // Each session holds the creator's own options.
    const sessions = await store.listSessions();
    expect(sessions.map((s) => s.id)).toEqual([...ids].sort());
    for (const c of created) expect((await store.getSession(c.id)).options).toEqual({ agent: c.agent });
    expect((await store.readAuditLog()).filter((e) => e.change_type === 'session_created')).toHaveLength(8);
  }, 60_000); // 8 processes starting at once on 2 shared cores
});

describe('revision persistence in a folder', () => {
  it('the CLI reads the versions and history a store wrote to a folder', async () => {
    const root = makeTempDir();
    const store = openStateStore({ root });
    await store.init();
    const written: TaskState[] = [];
    for (let i = 1; i <= 4; i++) written.push(await store.updateTaskState('persist', { step: i, notes: `n${i}` }, { owner: 'writer' }));
    store.close();

    const cli = await runCli(root, ['--json', 'task', 'history', 'persist']);
    expect(cli.code).toBe(0);
    expect(cli.json).toEqual([...written].reverse());
    const get = await runCli(root, ['--json', 'task', 'get', 'persist']);
    expect(get.json).toEqual(written[3]);
  });

  it("reads max_history from the folder's config.json", async () => {
    const root = makeTempDir();
    writeFileSync(join(root, 'config.json'), JSON.stringify({ max_history: 3 }));
    const store = openStateStore({ root });
    for (let i = 1; i <= 30; i++) await store.updateTaskState('pruned', { i });
    expect((await store.getTaskHistory('pruned')).map((h) => h.version)).toEqual([30, 29, 28, 27]);
    store.close();
  });
});

describeBackends('checkpoints', (backend) => {
  it('create, change, preview, restore, restore again', async () => {
    const store = await backend.open();
    const session = await store.createSession({ agent: 'cp' });
    await store.updateTaskState('alpha', { status: 'in_progress', progress: 10 }, { session: session.id });
    await store.updateTaskState('beta', { status: 'pending' }, { session: session.id });
    await store.updateTaskState('gamma', { status: 'completed', progress: 100 }, { session: session.id });
    expect((await store.getSession(session.id)).task_ids).toEqual(['alpha', 'beta', 'gamma']);

    const cp = await store.createCheckpoint(session.id, 'before risky change');
    expect(cp.id).toMatch(/^\d{4}-\d{2}-\d{2}-\d{6}(-\d+)?$/);
    expect(cp.task_count).toBe(3);
    expect(Object.keys(cp.tasks).sort()).toEqual(['alpha', 'beta', 'gamma']);
    expect(await store.listCheckpoints()).toEqual([expect.objectContaining({ id: cp.id, session_id: session.id, task_count: 3 })]);

    // Change two tasks; leave gamma alone.
    await store.updateTaskState('alpha', { status: 'failed', progress: 55 });
    await store.updateTaskState('beta', { blocked_on: 'alpha' });
    await store.updateTaskState('beta', { owner_note: 'x' });
    await store.updateSession(session.id, { status: 'paused' });
    const beforeRestore = {
      alpha: (await store.getTaskState('alpha'))!,
      beta: (await store.getTaskState('beta'))!,
      gamma: (await store.getTaskState('gamma'))!,
    };

    const preview = await store.previewRestore(cp.id);
    expect(preview.checkpoint).toMatchObject({ id: cp.id, session_id: session.id, task_count: 3 });
    expect(preview.items).toEqual([
      { task_id: 'alpha', current_version: 2, changes: { added: [], modified: ['status', 'progress'], removed: [] }, unchanged: false },
      {
        task_id: 'beta',
        current_version: 3,
        changes: { added: [], modified: [], removed: ['blocked_on', 'owner_note'] },
        unchanged: false,
      },
      { task_id: 'gamma', current_version: 1, changes: { added: [], modified: [], removed: [] }, unchanged: true },
    ]);
    // A preview writes nothing.
    expect(await store.getTaskState('alpha')).toEqual(beforeRestore.alpha);

    const result = await store.restoreCheckpoint(cp.id);
    expect(result).toMatchObject({
      checkpoint_id: cp.id,
      session_id: session.id,
      restored: ['alpha', 'beta', 'gamma'],
      changed: [`session:${session.id}`, 'alpha', 'beta'],
    });
    const alpha = (await store.getTaskState('alpha'))!;
    const beta = (await store.getTaskState('beta'))!;
    // New versions (the restore can itself be undone), holding the old content.
    expect(alpha).toMatchObject({ version: 3, status: 'in_progress', progress: 10, session_id: session.id });
    expect(beta.version).toBe(4);
    expect(beta).not.toHaveProperty('blocked_on');
    expect(beta).not.toHaveProperty('owner_note');
    expect(beta.status).toBe('pending');
    expect(await store.getTaskState('gamma')).toEqual(beforeRestore.gamma);
    expect((await store.getSession(session.id)).status).toBe('active');
    expect((await store.getTaskHistory('alpha')).map((h) => h.version)).toEqual([3, 2, 1]);
    expect(
      (await store.readAuditLog())
        .filter((e) => e.change_type === 'task_restored')
        .map((e) => e.task_id)
        .sort(),
    ).toEqual(['alpha', 'beta']);

    // Running it again changes nothing.
    const again = await store.restoreCheckpoint(cp.id);
    expect(again).toMatchObject({ restored: ['alpha', 'beta', 'gamma'], changed: [] });
    expect(await store.getTaskState('alpha')).toEqual(alpha);
    expect(await store.getTaskState('beta')).toEqual(beta);
    expect((await store.previewRestore(cp.id)).items.every((i) => i.unchanged)).toBe(true);
  });
});

describe('legacy migration', () => {
  const legacy = {
    version: '2.0',
    sessions: [
      {
        id: '2024-01-05-001',
        status: 'active',
        started_at: '2024-01-05T10:00:00.000Z',
        updated_at: '2024-01-05T11:00:00.000Z',
        options: { agents: 2 },
        tasks: {
          'task-a': { status: 'in_progress', progress: 40 },
          'task-b': { status: 'completed', version: 99, updated_at: 'bogus', task_id: 'other' },
        },
      },
      { id: '2024-01-06-001', status: 'completed', started_at: '2024-01-06T09:00:00.000Z', tasks: { 'task-c': { status: 'failed' } } },
    ],
  };

  it('moves sessions and tasks into the new layout once, and renames the old file', async () => {
    const dir = makeTempDir();
    const root = join(dir, 'state');
    const legacyFile = join(dir, '.parallel-dev-state.json');
    writeFileSync(legacyFile, JSON.stringify(legacy));
    const store = openStateStore({ root });
    const result = await store.init();
    expect(result.migrated).toEqual({ sessions: 2, tasks: 3, from: legacyFile });
    expect(existsSync(legacyFile)).toBe(false);
    expect(JSON.parse(readFileSync(`${legacyFile}.migrated`, 'utf8'))).toEqual(legacy);

    expect(await store.getTaskState('task-a')).toMatchObject({
      task_id: 'task-a',
      version: 1,
      status: 'in_progress',
      progress: 40,
      session_id: '2024-01-05-001',
    });
    // Engine fields in the legacy data are not taken over.
    const b = (await store.getTaskState('task-b'))!;
    expect(b).toMatchObject({ task_id: 'task-b', version: 1, status: 'completed' });
    expect(Number.isNaN(Date.parse(b.updated_at))).toBe(false);
    expect(await store.getTaskState('task-c')).toMatchObject({ version: 1, status: 'failed', session_id: '2024-01-06-001' });
    const s1 = await store.getSession('2024-01-05-001');
    expect(s1).toMatchObject({
      status: 'active',
      started_at: '2024-01-05T10:00:00.000Z',
      options: { agents: 2 },
      task_ids: ['task-a', 'task-b'],
    });
    expect(s1.metrics).toMatchObject({ total_tasks: 2, completed: 1, in_progress: 1 });
    expect((await store.listSessions()).map((s) => s.id)).toEqual(['2024-01-05-001', '2024-01-06-001']);
    expect(readAuditLines(root).filter((e) => e.change_type === 'migrated')).toHaveLength(1);

    // A second init does nothing.
    const tree = listTree(root).filter((p) => !p.startsWith('logs/'));
    const reopened = openStateStore({ root });
    const again = await reopened.init();
    reopened.close();
    expect(again.migrated).toBeNull();
    expect(listTree(root).filter((p) => !p.startsWith('logs/'))).toEqual(tree);
    expect(await store.getTaskState('task-a')).toMatchObject({ version: 1 });
    store.close();
  });

  it('leaves a corrupt legacy file in place with a clear CorruptStateError (CLI exit 5)', async () => {
    const dir = makeTempDir();
    const root = join(dir, 'state');
    const legacyFile = join(dir, '.parallel-dev-state.json');
    const broken = '{"version":"2.0","sessions":[{"id":"2024-01-05-001","tasks":{';
    writeFileSync(legacyFile, broken);
    const store = openStateStore({ root });
    const err = await store.init().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CorruptStateError);
    expect((err as Error).message).toContain(legacyFile);
    expect((err as Error).message).toMatch(/left in place/);
    expect(readFileSync(legacyFile, 'utf8')).toBe(broken);
    expect(existsSync(`${legacyFile}.migrated`)).toBe(false);
    expect(await store.listTaskIds()).toEqual([]);

    const cli = await runCli(root, ['init']);
    expect(cli.code).toBe(5);
    expect(cli.stderr).toContain(legacyFile);
    expect(readFileSync(legacyFile, 'utf8')).toBe(broken);

    // A well-formed file with an unsafe task id is refused before anything is written.
    writeFileSync(legacyFile, JSON.stringify({ version: '2.0', sessions: [{ id: 's1', tasks: { ok: {}, '../evil': {} } }] }));
    await expect(store.init()).rejects.toBeInstanceOf(CorruptStateError);
    expect(await store.listTaskIds()).toEqual([]);
    expect(await store.listSessions()).toEqual([]);
    expect(existsSync(join(dir, 'evil'))).toBe(false);
    store.close();
  });
});
