// The one place that knows the on-disk layout: what a changed path means.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkpointIdFromFileName, classify, isUnwatchedName, versionFromHistoryName } from '../engine/layout.ts';
import { StateLayout } from '../engine/paths.ts';

const root = join('/srv', 'proj', '.worktrees', '.state');
const at = (...parts: string[]) => join(root, ...parts);

describe('classify', () => {
  it('names the task, session, checkpoint, lock or log a path belongs to', () => {
    expect(classify(root, at('tasks', 'task-build', 'state.json'))).toEqual({ kind: 'task', taskId: 'build' });
    expect(classify(root, at('tasks', 'task-build'))).toEqual({ kind: 'task', taskId: 'build' });
    expect(classify(root, at('tasks', 'task-build', 'state.lock.000000000003-w-1a2b3c4d-4711-9f8e7d6c'))).toEqual({
      kind: 'lock',
      taskId: 'build',
    });
    expect(classify(root, at('sessions', '2026-01-01-001.json'))).toEqual({ kind: 'session', sessionId: '2026-01-01-001' });
    expect(classify(root, at('checkpoints', 'checkpoint-20260101-000000-2.json'))).toEqual({
      kind: 'checkpoint',
      checkpointId: '20260101-000000-2',
    });
    expect(classify(root, at('logs', 'audit.jsonl'))).toEqual({ kind: 'log' });
    expect(classify(root, at('config.json'))).toEqual({ kind: 'config' });
    expect(classify(root, root)).toEqual({ kind: 'root' });
    expect(classify(root, join(root, '..', '..', '.parallel-dev-state.json'))).toEqual({ kind: 'legacy' });
  });

  it('ignores history, temp files, reclaim markers and strangers', () => {
    expect(classify(root, at('tasks', 'task-build', 'history', 'v3.json'))).toBeNull();
    expect(classify(root, at('tasks', 'task-build', '.tmp-1-2-state.json'))).toBeNull();
    expect(classify(root, at('tasks', 'task-build', 'state.lock.reclaim'))).toBeNull();
    expect(classify(root, at('tasks', 'not-a-task', 'state.json'))).toBeNull();
    expect(classify(root, at('checkpoints', 'notes.txt'))).toBeNull();
    expect(classify(root, join(root, '..', 'other.json'))).toBeNull();
    expect(isUnwatchedName('history') && isUnwatchedName('.tmp-9-x') && !isUnwatchedName('state.json')).toBe(true);
  });

  it('reads back the names StateLayout writes', () => {
    const layout = new StateLayout(root);
    expect(classify(root, layout.stateFile('a.b-c'))).toEqual({ kind: 'task', taskId: 'a.b-c' });
    expect(checkpointIdFromFileName(layout.checkpointFile('20260101-000000').split(/[\\/]/).pop()!)).toBe('20260101-000000');
    expect(versionFromHistoryName(layout.historyFile('a', 12).split(/[\\/]/).pop()!)).toBe(12);
    expect(classify(root, layout.legacyFile)).toEqual({ kind: 'legacy' });
  });
});
