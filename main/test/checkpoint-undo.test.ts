// Issue 8 §3 / issue 7 item 7: a checkpoint restore first saves what it is
// about to overwrite (the tasks it changes and the session file) as an undo
// checkpoint, so restoring that checkpoint undoes the restore in one step.
import { describe, expect, it } from 'vitest';
import { openStateStore, PartialRestoreError, type TaskState } from '../engine/index.ts';
import type { StateStore } from '../engine/backend.ts';
import { sessionChangeId } from '../../shared/model.ts';
import { describeBackends } from './backends.ts';
import { cleanUpAfterEach, makeTempDir, readAuditLines, runCli, spawnWorker } from './helpers.ts';

cleanUpAfterEach();

/** What a user cares about in a task: everything but the engine's stamps. */
function content(state: TaskState | null): Record<string, unknown> | null {
  if (!state) return null;
  const { version: _v, updated_at: _u, updated_by: _b, ...rest } = state;
  return rest;
}

async function contents(store: StateStore, ids: string[]): Promise<Record<string, unknown>> {
  return Object.fromEntries(await Promise.all(ids.map(async (id) => [id, content(await store.getTaskState(id))])));
}

/** A session of three tasks, a checkpoint of it, then changes: two tasks edited, a fourth task linked. */
async function sessionChangedAfterCheckpoint(store: StateStore) {
  const session = await store.createSession({ agent: 'undo' });
  await store.updateTaskState('alpha', { status: 'in_progress', progress: 10 }, { session: session.id });
  await store.updateTaskState('beta', { status: 'pending' }, { session: session.id });
  await store.updateTaskState('gamma', { status: 'completed' }, { session: session.id });
  const checkpoint = await store.createCheckpoint(session.id, 'good state');
  await store.updateTaskState('alpha', { status: 'failed', progress: 55, error: 'boom' });
  await store.updateTaskState('beta', { blocked_on: 'alpha' });
  await store.updateTaskState('delta', { status: 'in_progress' }, { session: session.id });
  return { session, checkpoint };
}

describeBackends('undoing a checkpoint restore', (backend) => {
  it('restore, then undo, gives back every changed task and the session task list; undoing the undo redoes it', async () => {
    const store = await backend.open();
    const { session, checkpoint } = await sessionChangedAfterCheckpoint(store);
    const ids = ['alpha', 'beta', 'gamma', 'delta'];
    const before = await contents(store, ids);
    const sessionBefore = await store.getSession(session.id);
    expect(sessionBefore.task_ids).toEqual(['alpha', 'beta', 'gamma', 'delta']);

    const preview = await store.previewRestore(checkpoint.id);
    expect(preview.session).toEqual({ changes: { added: [], modified: ['task_ids'], removed: [] }, unchanged: false });

    const result = await store.restoreCheckpoint(checkpoint.id);
    expect(result.changed).toEqual([sessionChangeId(session.id), 'alpha', 'beta']);
    expect(result.restored).toEqual(['alpha', 'beta', 'gamma']);
    expect((await store.getSession(session.id)).task_ids).toEqual(['alpha', 'beta', 'gamma']);
    expect(await store.getTaskState('alpha')).toMatchObject({ status: 'in_progress', progress: 10 });

    // The undo checkpoint holds exactly what the restore overwrote: the two changed tasks and the session.
    const undoId = result.undo_checkpoint_id!;
    expect(undoId).toBeTruthy();
    const undo = await store.getCheckpoint(undoId);
    expect(undo).toMatchObject({
      undo_of: checkpoint.id,
      reason: `before restore of ${checkpoint.id}`,
      session_id: session.id,
      task_count: 2,
    });
    expect(Object.keys(undo.tasks).sort()).toEqual(['alpha', 'beta']);
    expect(undo.session.task_ids).toEqual(sessionBefore.task_ids);
    expect(await store.listCheckpoints()).toContainEqual(expect.objectContaining({ id: undoId, undo_of: checkpoint.id, task_count: 2 }));
    expect((await store.listCheckpoints()).find((c) => c.id === checkpoint.id)).not.toHaveProperty('undo_of');

    // Undo: one restore of the undo checkpoint.
    const undone = await store.restoreCheckpoint(undoId);
    expect(undone.changed).toEqual([sessionChangeId(session.id), 'alpha', 'beta']);
    expect(await contents(store, ids)).toEqual(before);
    expect((await store.getSession(session.id)).task_ids).toEqual(sessionBefore.task_ids);
    expect((await store.getSession(session.id)).status).toBe(sessionBefore.status);

    // The undo was a restore too, so it has its own undo checkpoint: restoring that redoes the first restore.
    const redoId = undone.undo_checkpoint_id!;
    expect(await store.getCheckpoint(redoId)).toMatchObject({ undo_of: undoId });
    await store.restoreCheckpoint(redoId);
    expect(await store.getTaskState('alpha')).toMatchObject({ status: 'in_progress', progress: 10 });
    expect(await store.getTaskState('alpha')).not.toHaveProperty('error');
    expect((await store.getSession(session.id)).task_ids).toEqual(['alpha', 'beta', 'gamma']);
  });

  it('a restore that changes nothing takes no undo checkpoint and writes nothing', async () => {
    const store = await backend.open();
    const session = await store.createSession({});
    await store.updateTaskState('a', { n: 1 }, { session: session.id });
    const checkpoint = await store.createCheckpoint(session.id);
    const sessionFile = await store.readSessionFile(session.id);

    const result = await store.restoreCheckpoint(checkpoint.id);
    expect(result).toEqual({
      checkpoint_id: checkpoint.id,
      session_id: session.id,
      restored: ['a'],
      changed: [],
      undo_checkpoint_id: null,
    });
    expect((await store.listCheckpoints()).map((c) => c.id)).toEqual([checkpoint.id]);
    expect(await store.readSessionFile(session.id)).toEqual(sessionFile); // not rewritten: updated_at unchanged
    expect((await store.getTaskState('a'))!.version).toBe(1);
  });

  it('a restore that stops part-way names its undo checkpoint, which undoes what was written', async () => {
    const store = await backend.open();
    const session = await store.createSession({});
    await store.updateTaskState('alpha', { step: 1 }, { session: session.id });
    await store.updateTaskState('zeta', { blob: 'x'.repeat(4000) }, { session: session.id });
    const checkpoint = await store.createCheckpoint(session.id);
    await store.updateTaskState('alpha', { step: 2 });
    await store.updateTaskState('zeta', { blob: 'small' });

    // A store with a lower size limit can write alpha back but not zeta's 4 KB blob.
    const strict = backend.reopen(store, { max_state_bytes: 2048 });
    const err = await strict.restoreCheckpoint(checkpoint.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PartialRestoreError);
    const details = (err as PartialRestoreError).details as { undo_checkpoint_id: string; failed_task: string; changed: string[] };
    expect(details).toMatchObject({ failed_task: 'zeta', changed: ['alpha'] });
    expect((err as Error).message).toContain(`restore checkpoint ${details.undo_checkpoint_id}`);
    expect(await strict.getTaskState('alpha')).toMatchObject({ step: 1 });

    await strict.restoreCheckpoint(details.undo_checkpoint_id);
    expect(await strict.getTaskState('alpha')).toMatchObject({ step: 2 });
    expect(await strict.getTaskState('zeta')).toMatchObject({ blob: 'small' });
  });
});

describe('undoing a checkpoint restore (file backend: worker processes, the CLI)', () => {
  it('under concurrent writers, the undo checkpoint holds exactly the version each restore write replaced', async () => {
    const root = makeTempDir();
    const store = openStateStore({ root });
    await store.init();
    const session = await store.createSession({});
    const ids = ['t1', 't2', 't3'];
    for (const id of ids) await store.updateTaskState(id, { counter: 0 }, { session: session.id });
    const checkpoint = await store.createCheckpoint(session.id);

    // Real processes increment every task while the restores run.
    const workers = ids.map((task) => spawnWorker('increment', ['--root', root, '--task', task, '--count', '400']));
    await Promise.all(workers.map((w) => w.waitForLine((l) => l === 'ready')));
    for (const w of workers) w.send('go');
    const undoIds: string[] = [];
    while (undoIds.length < 8) {
      const result = await store.restoreCheckpoint(checkpoint.id);
      if (result.undo_checkpoint_id) undoIds.push(result.undo_checkpoint_id);
    }
    await Promise.all(workers.map((w) => w.waitForLine((l) => l.startsWith('{'))));

    // Each restore write says which version it replaced; its undo checkpoint must hold that very version.
    const restoredFrom = new Map<string, number>(); // `${checkpoint}/${task}` → old_version
    const log = readAuditLines(root);
    for (const undoId of undoIds) {
      const undo = await store.getCheckpoint(undoId);
      // The restore's writes are the task_restored entries right after its undo checkpoint was created.
      const createdAt = log.findIndex((e) => e.change_type === 'checkpoint_created' && e.checkpoint_id === undoId);
      for (const [taskId, saved] of Object.entries(undo.tasks)) {
        const write = log.slice(createdAt).find((e) => e.change_type === 'task_restored' && e.task_id === taskId);
        expect(write, `restore write of ${taskId} after ${undoId}`).toBeDefined();
        restoredFrom.set(`${undoId}/${taskId}`, write!.old_version!);
        expect(saved.version, `${undoId}: ${taskId}`).toBe(write!.old_version);
      }
    }
    expect(restoredFrom.size).toBeGreaterThanOrEqual(8);
    store.close();
  });

  it('the CLI prints the undo checkpoint, and restoring it undoes the restore', async () => {
    const root = makeTempDir();
    const store = openStateStore({ root });
    await store.init();
    const { session, checkpoint } = await sessionChangedAfterCheckpoint(store);
    const before = await contents(store, ['alpha', 'beta', 'delta']);
    store.close();

    const json = await runCli(root, ['--json', 'checkpoint', 'restore', checkpoint.id]);
    expect(json.code, json.stderr).toBe(0);
    const result = json.json as { checkpoint_id: string; restored: string[]; changed: string[]; undo_checkpoint_id: string };
    expect(result).toMatchObject({
      checkpoint_id: checkpoint.id,
      restored: ['alpha', 'beta', 'gamma'],
      changed: [`session:${session.id}`, 'alpha', 'beta'],
    });
    expect(result.undo_checkpoint_id).toMatch(/^\d{4}-\d{2}-\d{2}-\d{6}(-\d+)?$/);
    const shown = await runCli(root, ['--json', 'checkpoint', 'show', result.undo_checkpoint_id]);
    expect(shown.json).toMatchObject({ undo_of: checkpoint.id, reason: `before restore of ${checkpoint.id}` });

    // Human output: the counts, and the command that undoes it.
    const human = await runCli(root, ['checkpoint', 'restore', result.undo_checkpoint_id]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(
      new RegExp(
        `^restored checkpoint ${result.undo_checkpoint_id}: 2 task\\(s\\), 2 written as new versions, session ${session.id} rewritten\\n`,
      ),
    );
    const redo = /undo checkpoint: (\S+) \(to undo: lockstep checkpoint restore (\S+)\)/.exec(human.stdout);
    expect(redo?.[1]).toBe(redo?.[2]);

    const after = openStateStore({ root });
    expect(await contents(after, ['alpha', 'beta', 'delta'])).toEqual(before);
    expect((await after.getSession(session.id)).task_ids).toEqual(['alpha', 'beta', 'gamma', 'delta']);
    after.close();

    // Nothing left to change: said so, and no undo checkpoint.
    const noop = await runCli(root, ['checkpoint', 'restore', result.undo_checkpoint_id]);
    expect(noop.stdout).toContain('nothing needed to change');
    expect(noop.stdout).not.toContain('undo checkpoint');
  });
});
