// One checkpoint-to-summary mapping (shared/checkpoint-summary.ts): what the
// dashboard gets back from "Create checkpoint" is what its Checkpoints list
// shows for the same checkpoint, an undo checkpoint's `undo_of` included.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { summarizeCheckpoint } from '../../../shared/checkpoint-summary.ts';
import { openStateStore } from '../../engine/index.ts';
import { createHandlers } from '../../host/api.ts';
import { DemoRunner } from '../../host/demo.ts';
import { StateHost } from '../../host/state-host.ts';

let dir: string | null = null;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

describe('checkpoint summaries', () => {
  it('match between creating, listing and reading a checkpoint, undo checkpoints included', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lockstep-cp-summary-'));
    const root = join(dir, 'state');
    const store = openStateStore({ root });
    await store.init();
    const session = await store.createSession({});
    await store.updateTaskState('alpha', { status: 'queued' }, { session: session.id });
    await store.updateTaskState('beta', { status: 'queued' }, { session: session.id });

    const host = new StateHost({ root });
    try {
      const handlers = createHandlers(host, new DemoRunner(host, 'unused'));
      const created = await handlers.createCheckpoint({ sessionId: session.id, reason: 'before the refactor' });
      expect(created).toEqual({
        id: created.id,
        session_id: session.id,
        created_at: created.created_at,
        reason: 'before the refactor',
        task_count: 2,
      });

      await store.updateTaskState('alpha', { status: 'done' });
      const { undo_checkpoint_id: undoId } = await store.restoreCheckpoint(created.id);
      const listed = await store.listCheckpoints();
      expect(listed).toContainEqual(created);
      expect(listed).toContainEqual(expect.objectContaining({ id: undoId, undo_of: created.id, task_count: 1 }));
      // The fast listing (summary fields read from the file's head) agrees with the one mapping.
      for (const summary of listed) expect(summarizeCheckpoint(await store.getCheckpoint(summary.id))).toEqual(summary);
    } finally {
      await host.close();
      await store.close();
    }
  });
});
