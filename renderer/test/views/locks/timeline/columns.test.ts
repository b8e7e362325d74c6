import { describe, expect, it } from 'vitest';
import type { LockEvent } from '../../../../../shared/model.ts';
import { fillOf, laneColumns, laneRuns, type Runs } from '../../../../src/views/locks/timeline/columns.ts';
import { buildLanes, ownerColours } from '../../../../src/views/locks/timeline/lanes.ts';
import { buildSpans } from '../../../../src/views/locks/timeline/spans.ts';

const T0 = Date.parse('2026-11-27T10:00:00.000Z');
function released(ms: number, owner: string, hold: number, extra: Partial<LockEvent> = {}): LockEvent {
  return {
    ts: new Date(T0 + ms).toISOString(),
    task_id: 't',
    mode: 'write',
    pid: Number(owner.replace(/\D/g, '')) || 1,
    owner,
    wait_ms: 0,
    outcome: 'released',
    hold_ms: hold,
    host: 'h',
    token: `${owner}-${ms}`,
    ...extra,
  };
}

/** Runs as readable rows: [kind, owner colour index, lane, first column, width]. */
function rows(runs: Runs, colours: number): [string, number, number, number, number][] {
  const out: [string, number, number, number, number][] = [];
  for (let o = 0; o < runs.count; o++) {
    const r = runs.order[o]!;
    const { kind, colour } = fillOf(runs.key[r]!, colours);
    out.push([kind, colour, runs.lane[r]!, runs.x[r]!, runs.w[r]!]);
  }
  return out;
}

function runsFor(events: LockEvent[], from: number, to: number, columns: number) {
  const spans = buildSpans(events);
  const colours = ownerColours(spans);
  const lanes = buildLanes(spans, 'task').map((l) => laneColumns(l, colours));
  return rows(
    laneRuns(lanes, { from: T0 + from, to: T0 + to, now: T0 + to, columns, dpr: 1, colours: colours.size + 1 }),
    colours.size + 1,
  );
}

describe('laneRuns', () => {
  it('draws a wide hold as one bar, with its wait as a hatched bar before it', () => {
    // 1 ms per column: agent-1 waits 20..40, holds 40..70.
    expect(runsFor([released(70, 'agent-1', 30, { wait_ms: 20 })], 0, 100, 100)).toEqual([
      ['wait', 0, 0, 20, 20],
      ['write', 0, 0, 40, 30],
    ]);
  });

  it('collapses holds narrower than a pixel into one bar per column, the last one on top', () => {
    // 100 holds of 1 ms, alternating owners, in 10 columns of 10 ms: each column shows one bar, not ten.
    const events = Array.from({ length: 100 }, (_, i) => released(i + 1, i % 2 ? 'agent-2' : 'agent-1', 1));
    const runs = runsFor(events, 0, 100, 10);
    expect(runs.length).toBeLessThanOrEqual(10);
    // agent-2 (colour 1) holds last in every column.
    expect(runs).toEqual([['write', 1, 0, 0, 10]]);
  });

  it('leaves out holds outside the view, and keeps one that began before it and reaches into it', () => {
    const events = [released(10, 'agent-1', 5), released(500, 'agent-2', 450), released(900, 'agent-3', 5)];
    // View 200..300: only agent-2's hold (50..500) is in it, across the whole width.
    expect(runsFor(events, 200, 300, 100)).toEqual([['write', 1, 0, 0, 100]]);
  });

  it('draws reads apart from writes (a lighter fill)', () => {
    const events = [released(30, 'agent-1', 20, { mode: 'read' }), released(80, 'agent-1', 20)];
    expect(runsFor(events, 0, 100, 100)).toEqual([
      ['write', 0, 0, 60, 20],
      ['read', 0, 0, 10, 20],
    ]);
  });
});
