import { describe, expect, it } from 'vitest';
import type { LockEvent } from '../../../shared/model.ts';
import { ContentionTracker } from '../contention-tracker.ts';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const event = (task: string, wait: number, minutesAgo: number, outcome: LockEvent['outcome'] = 'acquired'): LockEvent => ({
  ts: new Date(NOW - minutesAgo * 60_000).toISOString(), task_id: task, mode: 'write', pid: 1, owner: 'x', wait_ms: wait, outcome,
});

describe('ContentionTracker', () => {
  it('counts acquisitions, waits and time-outs per task in the window, most contended first', () => {
    const t = new ContentionTracker(60 * 60_000);
    for (let i = 0; i < 90; i++) t.add(event('calm', 0, 1));
    for (let i = 0; i < 10; i++) t.add(event('calm', 3, 1));
    for (let i = 0; i < 20; i++) t.add(event('hot', 40, 2));
    t.add(event('hot', 5000, 2, 'timeout'));
    t.add(event('old', 900, 30)); // outside a 15-minute window
    t.add(event('session:2026-11-23-001', 50, 1)); // session locks are not task contention
    const stats = t.stats(15 * 60_000, 10, NOW);
    expect(stats.map((s) => s.task_id)).toEqual(['hot', 'calm']);
    expect(stats[0]).toMatchObject({ acquisitions: 20, timeouts: 1, waited: 21, wait_p50_ms: 50, wait_max_ms: 5000 });
    expect(stats[1]).toMatchObject({ acquisitions: 100, waited: 10, wait_p50_ms: 0, wait_p95_ms: 3, wait_max_ms: 3 });
    expect(t.stats(60 * 60_000, 10, NOW).map((s) => s.task_id)).toEqual(['hot', 'old', 'calm']);
    expect(t.stats(15 * 60_000, 1, NOW)).toHaveLength(1);
  });
});
