import { describe, expect, it } from 'vitest';
import type { LockEvent } from '../model.ts';
import { ContentionTracker, contentionSince } from '../contention.ts';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const event = (task: string, wait: number, minutesAgo: number, outcome: LockEvent['outcome'] = 'acquired'): LockEvent => ({
  ts: new Date(NOW - minutesAgo * 60_000).toISOString(),
  task_id: task,
  mode: 'write',
  pid: 1,
  owner: 'x',
  wait_ms: wait,
  outcome,
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

describe('contentionSince (lockstep contention) and the tracker share one path', () => {
  it('counts the same, and gives exact percentiles where the dashboard gives bin edges', () => {
    const events = [3, 7, 7, 8, 40, 41, 300].map((wait) => event('hot', wait, 2));
    events.push(event('hot', 900, 15.5)); // just outside 15 minutes: the window is exact to the ms
    events.push(event('hot', 4000, 1, 'timeout'));
    events.push({ ...event('hot', 12, 1), outcome: 'released', hold_ms: 30 }); // releases draw the timeline, not contention
    const exact = contentionSince(events, NOW - 15 * 60_000);
    expect(exact).toEqual([
      { task_id: 'hot', acquisitions: 7, waited: 8, timeouts: 1, wait_p50_ms: 8, wait_p95_ms: 4000, wait_max_ms: 4000 },
    ]);
    const tracker = new ContentionTracker(60 * 60_000);
    for (const e of events) if (Date.parse(e.ts) >= NOW - 15 * 60_000) tracker.add(e);
    const [binned] = tracker.stats(15 * 60_000, 10, NOW);
    expect(binned).toMatchObject({ acquisitions: 7, waited: 8, timeouts: 1, wait_max_ms: 4000, wait_p50_ms: 10, wait_p95_ms: 4000 });
  });
});

describe('ContentionTracker keeps each window summed as time passes', () => {
  it('answers like a tracker summing the window anew, as events arrive late and minutes leave the windows', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 0.999999;
    const start = NOW - 3 * 3600_000;
    const running = new ContentionTracker(60 * 60_000);
    const seen: LockEvent[] = [];
    const windows = [5 * 60_000, 15 * 60_000, 60 * 60_000];
    for (let step = 0; step < 360; step++) {
      const now = start + step * 20_000; // 20 s a step: minutes leave the windows along the way
      for (let i = 0; i < 15; i++) {
        // Some lines arrive late (another process's batch), a few hours late.
        const late = random() < 0.1 ? random() * 3 * 3600_000 : random() * 20_000;
        const waits = [0, 0, 0, 3, 40, 700, 12_000];
        const e: LockEvent = {
          ts: new Date(now - late).toISOString(),
          task_id: `t${Math.floor(random() * 40)}`,
          mode: 'write',
          pid: 1,
          owner: 'x',
          wait_ms: waits[Math.floor(random() * waits.length)]!,
          outcome: random() < 0.05 ? 'timeout' : 'acquired',
        };
        running.add(e);
        seen.push(e);
      }
      const windowMs = windows[step % windows.length]!;
      // The 1 h window goes unasked for 70 minutes: the horizon passes its start meanwhile.
      if (windowMs === 60 * 60_000 && step > 100 && step < 310) continue;
      const fresh = new ContentionTracker(60 * 60_000);
      for (const e of seen) fresh.add(e);
      expect(running.stats(windowMs, Number.POSITIVE_INFINITY, now)).toEqual(fresh.stats(windowMs, Number.POSITIVE_INFINITY, now));
    }
  });
});
