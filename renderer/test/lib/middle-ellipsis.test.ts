import { describe, expect, it } from 'vitest';
import { splitForMiddleEllipsis } from '../../src/lib/middle-ellipsis.ts';

describe('middle ellipsis', () => {
  const path = '/home/someone/projects/very-long-repository-name/.worktrees/.state/tasks/task-build-42/history/v7.json';

  it('keeps the end of a long path whole and lets the start give way', () => {
    const { head, tail } = splitForMiddleEllipsis(path);
    expect(head + tail).toBe(path);
    expect(tail).toBe('/task-build-42/history/v7.json');
    expect(splitForMiddleEllipsis(path, { tailChars: 36 }).tail).toBe('/tasks/task-build-42/history/v7.json');
  });

  it('always keeps the segments asked for, however long', () => {
    const long = `/root/tasks/task-${'x'.repeat(60)}/state.json`;
    expect(splitForMiddleEllipsis(long, { tailChars: 20 }).tail).toBe('/state.json');
    expect(splitForMiddleEllipsis(long, { tailChars: 20, minSegments: 2 }).tail).toBe(`/task-${'x'.repeat(60)}/state.json`);
  });

  it('leaves short text alone, and cuts text without separators before its last characters', () => {
    expect(splitForMiddleEllipsis('/a/b.json')).toEqual({ head: '', tail: '/a/b.json' });
    const word = 'y'.repeat(50);
    expect(splitForMiddleEllipsis(word, { tailChars: 10 })).toEqual({ head: word.slice(0, 40), tail: word.slice(40) });
  });

  it('splits Windows paths too', () => {
    const { tail } = splitForMiddleEllipsis('C:\\Users\\someone\\repo\\.worktrees\\.state\\tasks\\task-7\\state.json', { tailChars: 24 });
    expect(tail).toBe('\\tasks\\task-7\\state.json');
  });
});
