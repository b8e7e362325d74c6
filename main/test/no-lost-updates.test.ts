// Requirement 1: concurrent optimistic writers in separate processes never lose an update.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStateStore } from '../engine/index.ts';
import { killChildren, makeTempDir, readAuditLines, removeTempDirs, spawnWorker } from './helpers.ts';

afterEach(async () => {
  await killChildren();
  removeTempDirs();
});

describe('optimistic concurrency across processes', () => {
  it('8 processes x 100 read-increment-write updates lose nothing', async () => {
    const root = makeTempDir();
    const store = openStateStore({ root });
    await store.init();
    // Start from an existing version so "initial version" arithmetic is exercised too.
    await store.updateTaskState('counter', { counter: 0 });
    await store.updateTaskState('counter', { counter: 0, note: 'seeded' });
    const initial = (await store.getTaskState('counter'))!;
    expect(initial.version).toBe(2);

    const PROCS = 8;
    const EACH = 100;
    const workers = Array.from({ length: PROCS }, () =>
      spawnWorker('increment', ['--root', root, '--task', 'counter', '--count', String(EACH)]),
    );
    await Promise.all(workers.map((w) => w.waitForLine((l) => l === 'ready')));
    for (const w of workers) w.send('go');
    const summaries = await Promise.all(workers.map((w) => w.waitForJson<{ done: number; conflicts: number; error?: unknown }>(() => true, 120_000)));
    const exits = await Promise.all(workers.map((w) => w.waitExit()));

    for (const s of summaries) expect(s).toMatchObject({ done: EACH });
    for (const e of exits) expect(e.code).toBe(0);
    // With 8 racing writers, some updates must have been refused as conflicts: the fence was exercised.
    expect(summaries.reduce((n, s) => n + s.conflicts, 0)).toBeGreaterThan(0);

    const fresh = openStateStore({ root });
    const final = (await fresh.getTaskState('counter'))!;
    expect(final.counter).toBe(PROCS * EACH);
    expect(final.version).toBe(initial.version + PROCS * EACH);
    // state.json on disk agrees with what the engine reports.
    const onDisk = JSON.parse(readFileSync(join(root, 'tasks', 'task-counter', 'state.json'), 'utf8')) as { version: number; counter: number };
    expect(onDisk).toMatchObject({ version: final.version, counter: PROCS * EACH });

    // Exactly one task_updated audit line per version, none missing, none doubled.
    const updates = readAuditLines(root).filter((e) => e.change_type === 'task_updated' && e.task_id === 'counter');
    expect(updates).toHaveLength(final.version);
    const versions = updates.map((e) => e.new_version).sort((a, b) => a! - b!);
    expect(versions).toEqual(Array.from({ length: final.version }, (_, i) => i + 1));
    for (const e of updates) expect(e.old_version ?? 0).toBe(e.new_version! - 1);
    // The library reads the same log.
    expect((await fresh.readAuditLog({ task: 'counter' })).filter((e) => e.change_type === 'task_updated')).toHaveLength(final.version);
    store.close();
    fresh.close();
  }, 150_000);
});
