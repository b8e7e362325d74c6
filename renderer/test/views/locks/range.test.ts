import { describe, expect, it } from 'vitest';
import type { LockEvent } from '../../../../shared/model.ts';
import { formatHash, parseHash } from '../../../src/lib/route.ts';
import { contentionIn } from '../../../src/views/locks/contention.ts';
import { parseRange, toLocalInput } from '../../../src/views/locks/range.ts';

const NOW = new Date(2026, 10, 27, 22, 0, 0).getTime(); // local time, as the inputs are

describe('a picked range', () => {
  it('reads local date-times from the inputs', () => {
    expect(parseRange('2026-11-27T20:30', '2026-11-27T21:45:30', NOW)).toEqual({
      range: { from: new Date(2026, 10, 27, 20, 30).getTime(), to: new Date(2026, 10, 27, 21, 45, 30).getTime() },
    });
    expect(toLocalInput(new Date(2026, 0, 2, 3, 4, 5).getTime())).toBe('2026-01-02T03:04:05');
  });

  it('says what is wrong: a missing end, the ends swapped, a time in the future, not a date', () => {
    expect(parseRange('2026-11-27T20:30', '', NOW)).toEqual({ error: 'Enter both a start and an end.' });
    expect(parseRange('2026-11-27T21:00', '2026-11-27T20:00', NOW)).toEqual({ error: 'The start must be before the end.' });
    expect(parseRange('2026-11-27T21:00', '2026-11-27T21:00', NOW)).toEqual({ error: 'The start must be before the end.' });
    expect(parseRange('2026-11-27T21:00', '2026-11-28T09:00', NOW)).toEqual({ error: 'The end is in the future: pick a time up to now.' });
    expect(parseRange('2026-11-28T08:00', '2026-11-28T09:00', NOW)).toMatchObject({
      error: expect.stringContaining('start is in the future'),
    });
    expect(parseRange('yesterday', '2026-11-27T20:00', NOW)).toEqual({ error: 'The start "yesterday" is not a date and time.' });
  });

  it('an end a few seconds past now (typed as "now") is taken as now', () => {
    expect(parseRange('2026-11-27T21:00', '2026-11-27T22:00:20', NOW)).toEqual({
      range: { from: new Date(2026, 10, 27, 21).getTime(), to: NOW },
    });
  });

  it('is kept in the URL, and a broken or reversed one is dropped', () => {
    const from = Date.parse('2026-11-27T10:00:00.000Z');
    const to = Date.parse('2026-11-27T12:00:00.000Z');
    const hash = formatHash({ ...parseHash('#/locks'), from, to });
    expect(hash).toBe('#/locks?from=2026-11-27T10%3A00%3A00.000Z&to=2026-11-27T12%3A00%3A00.000Z');
    expect(parseHash(hash)).toMatchObject({ view: 'locks', from, to });
    expect(parseHash('#/locks?from=2026-11-27T12:00:00Z&to=2026-11-27T10:00:00Z')).toMatchObject({ from: null, to: null });
    expect(parseHash('#/locks?from=soon&to=2026-11-27T10:00:00Z')).toMatchObject({ from: null, to: null });
  });
});

describe('contention over a picked range', () => {
  it('counts only the lines inside the range, with exact percentiles', () => {
    const at = (iso: string, wait: number, outcome: LockEvent['outcome'] = 'acquired'): LockEvent => ({
      ts: iso,
      task_id: 'task-1',
      mode: 'write',
      pid: 1,
      owner: 'a',
      wait_ms: wait,
      outcome,
    });
    const stats = contentionIn(
      [
        at('2026-11-27T09:59:59.000Z', 900), // before
        at('2026-11-27T10:00:10.000Z', 0),
        at('2026-11-27T10:20:00.000Z', 30),
        at('2026-11-27T10:40:00.000Z', 70, 'timeout'),
        at('2026-11-27T11:00:01.000Z', 900), // after
      ],
      Date.parse('2026-11-27T10:00:00.000Z'),
      Date.parse('2026-11-27T11:00:00.000Z'),
    );
    expect(stats).toEqual([expect.objectContaining({ task_id: 'task-1', acquisitions: 2, timeouts: 1, waited: 2, wait_max_ms: 70 })]);
  });
});
