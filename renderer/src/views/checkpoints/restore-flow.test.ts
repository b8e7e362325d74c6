import { describe, expect, it } from 'vitest';
import type { Responses } from '../../../../shared/contract.ts';
import { onProgress, previewCounts, startRunning, type RestoreFlow } from './restore-flow.ts';

const preview: Responses['previewRestore'] = {
  checkpoint: { id: '2026-01-01-120000', session_id: '2026-01-01-001', created_at: '2026-01-01T12:00:00Z', reason: '', task_count: 3 },
  items: [
    { task_id: 'a', current_version: 4, changes: { added: [], modified: ['status'], removed: [] }, unchanged: false },
    { task_id: 'b', current_version: 2, changes: { added: [], modified: [], removed: [] }, unchanged: true },
    { task_id: 'c', current_version: null, changes: { added: ['status'], modified: [], removed: [] }, unchanged: false },
  ],
  session: { changes: { added: [], modified: [], removed: [] }, unchanged: true },
};

describe('checkpoint restore flow', () => {
  it('counts what the preview will change', () => {
    expect(previewCounts(preview)).toEqual({ changing: 2, unchanged: 1, missing: 1 });
  });

  it('runs from the preview, advancing on progress for this checkpoint only', () => {
    let flow: RestoreFlow = startRunning({ step: 'preview', preview });
    expect(flow).toMatchObject({ step: 'running', done: 0, total: 2 });
    flow = onProgress(flow, preview.checkpoint.id, { checkpoint_id: 'other', task_id: 'x', done: 9, total: 9 });
    expect(flow).toMatchObject({ done: 0 });
    flow = onProgress(flow, preview.checkpoint.id, { checkpoint_id: preview.checkpoint.id, task_id: 'a', done: 1, total: 3 });
    expect(flow).toMatchObject({ done: 1, total: 3, current: 'a' });
    // Progress never goes backwards even if events arrive out of order.
    flow = onProgress(flow, preview.checkpoint.id, { checkpoint_id: preview.checkpoint.id, task_id: 'b', done: 0, total: 3 });
    expect(flow).toMatchObject({ done: 1 });
  });

  it('only starts from a preview', () => {
    const loading: RestoreFlow = { step: 'loading' };
    expect(startRunning(loading)).toBe(loading);
  });
});
