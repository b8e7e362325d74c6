// Moving state between stores (`lockstep migrate`), on both backends: what
// exportTask gives, importTask writes exactly (version numbers, timestamps,
// writers), and importing again changes nothing; a target with its own,
// different history is refused and left as it was.
import { expect, it } from 'vitest';
import type { StateStore } from '../engine/backend.ts';
import { InvalidInputError, VersionConflictError } from '../engine/index.ts';
import { describeBackends, type Backend } from './backends.ts';

/** A store on `backend` written by 'source-agent', holding `versions` versions of task t1. */
async function sourceWithHistory(backend: Backend, versions: number): Promise<StateStore> {
  const source = await backend.open({ owner: 'source-agent' });
  for (let n = 1; n <= versions; n++) await source.updateTaskState('t1', { status: 'in_progress', n });
  return source;
}

describeBackends('exportTask / importTask', (backend) => {
  const freshStore = (owner: string) => backend.open({ owner });

  it('exports the stored versions oldest first, and imports them exactly as they were', async () => {
    const source = await sourceWithHistory(backend, 4);
    const exported = await source.exportTask('t1');
    expect(exported.map((v) => v.version)).toEqual([1, 2, 3, 4]);
    expect(exported).toEqual([...(await source.getTaskHistory('t1'))].reverse());

    const target = await freshStore('migrator');
    expect(await target.importTask('t1', exported)).toBe('written');
    expect(await target.getTaskHistory('t1')).toEqual(await source.getTaskHistory('t1')); // timestamps and writers kept
    expect((await target.getTaskState('t1'))?.updated_by).toMatchObject({ owner: 'source-agent' });
    expect(await target.verifyAllStates()).toEqual([]);
    expect((await target.readAuditLog()).filter((e) => e.change_type === 'migrated' && e.task_id === 't1')).toHaveLength(1);
  });

  it('is idempotent: the same import again is "same" and writes nothing', async () => {
    const source = await sourceWithHistory(backend, 3);
    const target = await freshStore('migrator');
    await target.importTask('t1', await source.exportTask('t1'));
    const history = await target.getTaskHistory('t1');
    expect(await target.importTask('t1', await source.exportTask('t1'))).toBe('same');
    expect(await target.getTaskHistory('t1')).toEqual(history);
    expect((await target.readAuditLog()).filter((e) => e.change_type === 'migrated')).toHaveLength(1);
  });

  it('completes a target that holds an earlier part of the same history (an import cut short, or made before the source moved on)', async () => {
    const source = await sourceWithHistory(backend, 2);
    const target = await freshStore('migrator');
    await target.importTask('t1', await source.exportTask('t1'));
    await source.updateTaskState('t1', { status: 'review' });
    expect(await target.importTask('t1', await source.exportTask('t1'))).toBe('written');
    expect(await target.getTaskState('t1')).toEqual(await source.getTaskState('t1'));
    // New commits on the target continue from the imported version.
    expect((await target.updateTaskState('t1', { status: 'done' })).version).toBe(4);
  });

  it('refuses a target whose history differs, and leaves it as it was', async () => {
    const source = await sourceWithHistory(backend, 2);
    const target = await freshStore('other-team');
    await target.updateTaskState('t1', { status: 'blocked' });
    const before = await target.getTaskHistory('t1');
    await expect(target.importTask('t1', await source.exportTask('t1'))).rejects.toBeInstanceOf(VersionConflictError);
    expect(await target.getTaskHistory('t1')).toEqual(before);
  });

  it('refuses versions out of order or of another task, writing nothing', async () => {
    const source = await sourceWithHistory(backend, 2);
    const target = await freshStore('migrator');
    const [v1, v2] = await source.exportTask('t1');
    await expect(target.importTask('t1', [v2!, v1!])).rejects.toBeInstanceOf(InvalidInputError);
    await expect(target.importTask('t2', [v1!])).rejects.toBeInstanceOf(InvalidInputError);
    await expect(target.importTask('t1', [])).rejects.toBeInstanceOf(InvalidInputError);
    expect(await target.listTaskIds()).toEqual([]);
  });
});

describeBackends('importSession / importCheckpoint', (backend) => {
  const freshStore = (owner: string) => backend.open({ owner });

  it('write a session and a checkpoint as they are, then report "same"', async () => {
    const source = await sourceWithHistory(backend, 1);
    const session = await source.createSession({ branch: 'feature/x' });
    await source.updateTaskState('t1', { status: 'done' }, { session: session.id });
    const checkpoint = await source.createCheckpoint(session.id, 'before migrating');
    const stored = await source.readSessionFile(session.id);

    const target = await freshStore('migrator');
    expect(await target.importSession(stored)).toBe('written');
    expect(await target.importSession(stored)).toBe('same');
    // Liveness does not travel: nobody works on the copy in the target yet.
    expect(await target.readSessionFile(session.id)).toEqual({ ...stored, alive: false });
    expect(await target.importCheckpoint(checkpoint)).toBe('written');
    expect(await target.importCheckpoint(checkpoint)).toBe('same');
    expect(await target.getCheckpoint(checkpoint.id)).toEqual(checkpoint);
    expect(await target.listCheckpoints()).toEqual(await source.listCheckpoints());
  });

  it('replace an older copy of a session, refuse a newer or different one, and never change a checkpoint', async () => {
    const source = await sourceWithHistory(backend, 1);
    const session = await source.createSession({});
    const older = await source.readSessionFile(session.id);
    await new Promise((r) => setTimeout(r, 5));
    await source.updateSession(session.id, { status: 'completed' });
    const newer = await source.readSessionFile(session.id);
    const checkpoint = await source.createCheckpoint(session.id);

    const target = await freshStore('migrator');
    await target.importSession(older);
    expect(await target.importSession(newer)).toBe('written');
    expect((await target.readSessionFile(session.id)).status).toBe('completed');
    await expect(target.importSession(older)).rejects.toBeInstanceOf(VersionConflictError);
    expect((await target.readSessionFile(session.id)).status).toBe('completed');

    await target.importCheckpoint(checkpoint);
    await expect(target.importCheckpoint({ ...checkpoint, reason: 'edited' })).rejects.toBeInstanceOf(VersionConflictError);
    expect((await target.getCheckpoint(checkpoint.id)).reason).toBe(checkpoint.reason);
  });
});
