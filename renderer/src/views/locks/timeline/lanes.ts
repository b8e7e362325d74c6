// The timeline's rows: one lane per task (most contended first) or per owner,
// each with its holds and marks sorted by time, and one colour per owner.
import type { Hold, Mark, Spans } from './spans.ts';

export type LaneGrouping = 'task' | 'owner';

export interface Lane {
  key: string;
  holds: Hold[];
  marks: Mark[];
  /** Total time waited in this lane (ms): the sort order of task lanes. */
  waited: number;
  /** The longest released hold, request to release (ms): how far back a painter must look for bars reaching into view. */
  longest: number;
  /** Holds not released yet: they reach to now, however long ago they began. */
  open: Hold[];
}

/** Ten colours that stay apart on light and dark panels (Tableau 10). */
const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#7f8ccf'];

const natural = new Intl.Collator('en', { numeric: true });

export function buildLanes(spans: Spans, grouping: LaneGrouping): Lane[] {
  const lanes = new Map<string, Lane>();
  const laneOf = (key: string) => {
    let lane = lanes.get(key);
    if (!lane) lanes.set(key, (lane = { key, holds: [], marks: [], waited: 0, longest: 0, open: [] }));
    return lane;
  };
  for (const h of spans.holds) {
    const lane = laneOf(grouping === 'task' ? h.task : h.owner);
    lane.holds.push(h);
    lane.waited += h.granted - h.requested;
    if (h.released === null) lane.open.push(h);
    else lane.longest = Math.max(lane.longest, h.released - h.requested);
  }
  for (const m of spans.marks) {
    const lane = laneOf(grouping === 'task' ? m.task : m.owner);
    lane.marks.push(m);
    lane.waited += m.wait;
  }
  const out = [...lanes.values()];
  if (grouping === 'task') out.sort((a, b) => b.waited - a.waited || b.holds.length - a.holds.length || natural.compare(a.key, b.key));
  else out.sort((a, b) => natural.compare(a.key, b.key));
  return out;
}

/** A stable colour per owner: owners in natural order take the palette's colours in turn. */
export function ownerColours(spans: Spans): Map<string, string> {
  const owners = new Set<string>();
  for (const h of spans.holds) owners.add(h.owner);
  for (const m of spans.marks) owners.add(m.owner);
  return new Map([...owners].sort(natural.compare).map((o, i) => [o, PALETTE[i % PALETTE.length]!]));
}
