import { describe, expect, it } from 'vitest';
import type { LockEvent } from '../../../../../shared/model.ts';
import { buildSpans, whoBlocksWhom } from '../../../../src/views/locks/timeline/spans.ts';
import { waitSeries } from '../../../../src/views/locks/timeline/series.ts';

const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
function line(ms: number, outcome: LockEvent['outcome'], owner: string, extra: Partial<LockEvent> = {}): LockEvent {
  return {
    ts: at(ms),
    task_id: 't',
    mode: 'write',
    pid: Number(owner.replace(/\D/g, '')) || 1,
    owner,
    wait_ms: 0,
    outcome,
    host: 'h',
    token: `${owner}-tok`,
    ...extra,
  };
}

describe('buildSpans', () => {
  it('pairs an acquisition with its release, and takes a release alone as a whole hold', () => {
    const spans = buildSpans([
      line(100, 'acquired', 'agent-1', { wait_ms: 0 }),
      line(400, 'released', 'agent-1', { hold_ms: 300 }),
      // agent-2's acquisition is outside the window; its release still says it all.
      line(900, 'released', 'agent-2', { wait_ms: 250, hold_ms: 500 }),
    ]);
    expect(spans.holds.map((h) => [h.owner, h.requested - T0, h.granted - T0, h.released! - T0, h.end])).toEqual([
      ['agent-1', 100, 100, 400, 'released'],
      ['agent-2', 150, 400, 900, 'released'],
    ]);
  });

  it('keeps a hold open until released, ends it where it was broken, and marks time-outs', () => {
    const spans = buildSpans([
      line(0, 'acquired', 'agent-1'),
      line(50, 'acquired', 'agent-2', { task_id: 'u', token: 'other' }),
      line(700, 'timeout', 'agent-3', { wait_ms: 500, token: undefined }),
      line(800, 'broken', 'agent-1', { reason: 'holder pid 1 on h is dead' }),
    ]);
    expect(spans.holds.find((h) => h.owner === 'agent-1')).toMatchObject({ released: T0 + 800, end: 'broken' });
    expect(spans.holds.find((h) => h.owner === 'agent-2')).toMatchObject({ released: null, end: 'open' });
    expect(spans.marks.map((m) => [m.kind, m.owner, m.at - T0, m.wait])).toEqual([
      ['timeout', 'agent-3', 700, 500],
      ['broken', 'agent-1', 800, 0],
    ]);
  });

  it('reads lines written before releases were logged (no token): instants, nothing paired wrongly', () => {
    const spans = buildSpans([{ ts: at(10), task_id: 't', mode: 'read', pid: 4, owner: 'old', wait_ms: 3, outcome: 'acquired' }]);
    expect(spans.holds).toEqual([
      { task: 't', owner: 'old', pid: 4, host: '', mode: 'read', requested: T0 + 7, granted: T0 + 10, released: T0 + 10, end: 'released' },
    ]);
  });
});

describe('whoBlocksWhom', () => {
  it('adds up the time each holder kept each waiter waiting, per task', () => {
    const spans = buildSpans([
      line(0, 'acquired', 'agent-3'),
      line(1000, 'released', 'agent-3', { hold_ms: 1000 }),
      // agent-5 asked at 200 and got it at 1000: agent-3 blocked it for 800 ms.
      line(1000, 'acquired', 'agent-5', { wait_ms: 800 }),
      line(1500, 'released', 'agent-5', { wait_ms: 800, hold_ms: 500 }),
      // agent-7 asked at 600: blocked by agent-3 (600→1000) then agent-5 (1000→1500), then timed out at 1600.
      line(1600, 'timeout', 'agent-7', { wait_ms: 1000, token: undefined }),
    ]);
    const rows = whoBlocksWhom(spans, T0, T0 + 10_000, T0 + 10_000).map((r) => [r.holder, r.waiter, r.task, r.ms]);
    expect(rows).toEqual([
      ['agent-3', 'agent-5', 't', 800],
      ['agent-5', 'agent-7', 't', 500],
      ['agent-3', 'agent-7', 't', 400],
    ]);
    // Only the part inside the window counts.
    expect(whoBlocksWhom(spans, T0 + 900, T0 + 10_000, T0 + 10_000).find((r) => r.waiter === 'agent-5')?.ms).toBe(100);
  });
});

describe('waitSeries', () => {
  it('buckets acquisitions and their wait percentiles, per task and overall', () => {
    const events = [
      line(100, 'acquired', 'a', { wait_ms: 10 }),
      line(200, 'acquired', 'b', { wait_ms: 30 }),
      line(250, 'released', 'b', { hold_ms: 50 }),
      line(1500, 'timeout', 'c', { task_id: 'u', wait_ms: 900 }),
    ];
    const s = waitSeries(events, T0, T0 + 2000, 2);
    expect(s.all.acquisitions).toEqual([2, 1]);
    expect(s.all.p50).toEqual([10, 900]);
    expect(s.all.p95).toEqual([30, 900]);
    expect(s.byTask.get('t')!.p95).toEqual([30, null]);
    expect(s.all.times).toEqual([T0 / 1000, T0 / 1000 + 1]);
  });
});
