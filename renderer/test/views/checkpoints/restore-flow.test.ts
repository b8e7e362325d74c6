import { describe, expect, it } from 'vitest';
import type { Responses } from '../../../../shared/contract.ts';
import type { CheckpointSummary } from '../../../../shared/model.ts';
import {
  onProgress,
  previewCounts,
  restoreMeaning,
  splitChanged,
  startRunning,
  undoLabel,
  undoMeaning,
  undoPointReason,
  type RestoreFlow,
} from '../../../src/views/checkpoints/restore-flow.ts';

const preview: Responses['previewRestore'] = {
  checkpoint: { id: '2026-01-01-120000', session_id: '2026-01-01-001', created_at: '2026-01-01T12:00:00Z', reason: '', task_count: 3 },
  items: [
    { task_id: 'a', current_version: 4, changes: { added: [], modified: ['status'], removed: [] }, unchanged: false },
    { task_id: 'b', current_version: 2, changes: { added: [], modified: [], removed: [] }, unchanged: true },
    { task_id: 'c', current_version: null, changes: { added: ['status'], modified: [], removed: [] }, unchanged: false },
  ],
  session: { changes: { added: [], modified: [], removed: [] }, unchanged: true },
};
const cid = preview.checkpoint.id;

describe('checkpoint restore flow', () => {
  it('counts what the preview will change', () => {
    expect(previewCounts(preview)).toEqual({ changing: 2, unchanged: 1, missing: 1 });
  });

  it('runs from the preview, advancing on progress for this checkpoint only', () => {
    let flow: RestoreFlow = startRunning({ step: 'preview', checkpointId: cid, preview });
    expect(flow).toMatchObject({ step: 'running', done: 0, total: 2 });
    flow = onProgress(flow, { checkpoint_id: 'other', task_id: 'x', done: 9, total: 9 });
    expect(flow).toMatchObject({ done: 0 });
    flow = onProgress(flow, { checkpoint_id: cid, task_id: 'a', done: 1, total: 3 });
    expect(flow).toMatchObject({ done: 1, total: 3, current: 'a' });
    // Progress never goes backwards even if events arrive out of order.
    flow = onProgress(flow, { checkpoint_id: cid, task_id: 'b', done: 0, total: 3 });
    expect(flow).toMatchObject({ done: 1 });
  });

  it('only starts from a preview, or from a summary or failure for another (undo) checkpoint', () => {
    const loading: RestoreFlow = { step: 'loading', checkpointId: cid };
    expect(startRunning(loading)).toBe(loading);
    const result = { checkpoint_id: cid, session_id: 's', restored: ['a'], changed: ['a'], undo_checkpoint_id: 'u1' };
    const done: RestoreFlow = { step: 'done', checkpointId: cid, result };
    expect(startRunning(done)).toBe(done); // the same checkpoint again: no
    const undo = startRunning(done, 'u1');
    expect(undo).toMatchObject({ step: 'running', checkpointId: 'u1', done: 0 });
    // Progress of the undo checkpoint now drives the bar; the old checkpoint's is ignored.
    expect(onProgress(undo, { checkpoint_id: cid, task_id: 'a', done: 1, total: 1 })).toBe(undo);
    expect(onProgress(undo, { checkpoint_id: 'u1', task_id: 'a', done: 1, total: 1 })).toMatchObject({ done: 1, total: 1 });
  });

  it('tells the tasks a restore wrote from its session file', () => {
    expect(
      splitChanged({ checkpoint_id: cid, session_id: 's1', restored: ['a', 'b'], changed: ['session:s1', 'a'], undo_checkpoint_id: 'u' }),
    ).toEqual({ tasks: ['a'], session: true });
    // A task may be called like a session: only the `session:` form is the session file.
    expect(splitChanged({ checkpoint_id: cid, session_id: 's1', restored: ['s1'], changed: ['s1'], undo_checkpoint_id: 'u' })).toEqual({
      tasks: ['s1'],
      session: false,
    });
  });
});

describe('undo and redo wording', () => {
  const summary = (id: string, undoOf?: string): CheckpointSummary => ({
    id,
    session_id: 's',
    created_at: '2026-01-01T12:00:00Z',
    reason: undoOf ? `before restore of ${undoOf}` : 'manual',
    task_count: 1,
    ...(undoOf ? { undo_of: undoOf } : {}),
  });
  // A restored; U1 saved before it; U1 restored (undo), U2 saved before that; U2 restored (redo), U3 saved.
  const checkpoints = new Map([summary('A'), summary('U1', 'A'), summary('U2', 'U1'), summary('U3', 'U2')].map((c) => [c.id, c]));

  it('restoring an undo checkpoint undoes the original restore; restoring its own undo checkpoint redoes it', () => {
    expect(restoreMeaning(checkpoints, 'A')).toEqual({ kind: 'restore', origin: 'A' });
    expect(restoreMeaning(checkpoints, 'U1')).toEqual({ kind: 'undo', origin: 'A' });
    expect(restoreMeaning(checkpoints, 'U2')).toEqual({ kind: 'redo', origin: 'A' });
    expect(restoreMeaning(checkpoints, 'U3')).toEqual({ kind: 'undo', origin: 'A' });
  });

  it('the button after each step offers the opposite, and agrees with the next checkpoint in the chain', () => {
    expect(undoLabel(restoreMeaning(checkpoints, 'A'))).toBe('Undo restore');
    expect(undoLabel(restoreMeaning(checkpoints, 'U1'))).toBe('Redo restore');
    expect(undoLabel(restoreMeaning(checkpoints, 'U2'))).toBe('Undo restore');
    for (const [restored, next] of [
      ['A', 'U1'],
      ['U1', 'U2'],
      ['U2', 'U3'],
    ] as const) {
      expect(undoMeaning(restoreMeaning(checkpoints, restored))).toEqual(restoreMeaning(checkpoints, next));
    }
  });

  it('an undo point says which restore, undo or redo it was saved before, in terms of the original checkpoint', () => {
    const reason = (id: string) => undoPointReason(checkpoints, checkpoints.get(id)!);
    expect(reason('A')).toBe('manual');
    expect(reason('U1')).toBe('before restore of A');
    expect(reason('U2')).toBe('before undo of the restore of A');
    expect(reason('U3')).toBe('before redo of the restore of A');
  });

  it('a chain whose start is unknown, or that loops, still ends', () => {
    const partial = new Map([summary('U9', 'gone')].map((c) => [c.id, c]));
    expect(restoreMeaning(partial, 'U9')).toEqual({ kind: 'undo', origin: 'gone' });
    const loop = new Map([summary('X', 'Y'), summary('Y', 'X')].map((c) => [c.id, c]));
    expect(restoreMeaning(loop, 'X').kind).toMatch(/undo|redo/);
  });
});
