// The timeline's bars, reduced to what the screen can show: per lane, one
// fill per device-pixel column for holds and one for waits, then runs of
// equal columns become one rectangle. Zoomed out over 50,000 holds, a
// hundred holds can share a column: they cost an array store each, not a
// rectangle each, and the rectangles drawn are bounded by the canvas width.
//
// Pure (no canvas), and allocation-free once warm: panning repaints up to
// 60 times a second, and a garbage-collection pause would be a dropped frame.
import { lowerBound } from '../../../../../shared/sorted.ts';
import type { Lane } from './lanes.ts';
import type { Hold } from './spans.ts';

/** A lane's holds as flat arrays (built once per lane and set of owner colours), so a paint walks numbers, not objects. */
export interface LaneColumns {
  requested: Float64Array;
  granted: Float64Array;
  /** NaN: still open (it reaches to now). */
  released: Float64Array;
  /** Index of the owner in the colour map (its size: no colour known). */
  colour: Uint16Array;
  read: Uint8Array;
  lost: Uint8Array;
  /** Indices of the open holds. */
  open: Uint32Array;
  longest: number;
}

const columnsCache = new WeakMap<Lane, { colours: ReadonlyMap<string, string>; columns: LaneColumns }>();

/** The lane's holds as columns; colour indices follow the order of `colours` (owner → colour). */
export function laneColumns(lane: Lane, colours: ReadonlyMap<string, string>): LaneColumns {
  const hit = columnsCache.get(lane);
  if (hit?.colours === colours) return hit.columns;
  const owners = new Map([...colours.keys()].map((owner, i) => [owner, i]));
  const n = lane.holds.length;
  const c: LaneColumns = {
    requested: new Float64Array(n),
    granted: new Float64Array(n),
    released: new Float64Array(n),
    colour: new Uint16Array(n),
    read: new Uint8Array(n),
    lost: new Uint8Array(n),
    open: Uint32Array.from(lane.holds.flatMap((h, i) => (h.released === null ? [i] : []))),
    longest: lane.longest,
  };
  lane.holds.forEach((h: Hold, i) => {
    c.requested[i] = h.requested;
    c.granted[i] = h.granted;
    c.released[i] = h.released ?? NaN;
    c.colour[i] = owners.get(h.owner) ?? colours.size;
    c.read[i] = h.mode === 'read' ? 1 : 0;
    c.lost[i] = h.end === 'lost' ? 1 : 0;
  });
  columnsCache.set(lane, { colours, columns: c });
  return c;
}

/**
 * Rectangles to draw, in groups of one fill. A run's fill key: waits are
 * their colour (0 … colours), holds colours + 1 + colour × 2 + read, and a
 * lost mark (a hold taken over while stopped) the last key. Coordinates are
 * device-pixel columns from the plot's left edge; `lane` says which row.
 */
export interface Runs {
  count: number;
  key: Uint16Array;
  lane: Uint16Array;
  x: Int32Array;
  w: Int32Array;
  /** Run indices by key: those of key k are order[starts[k]] … order[starts[k + 1] - 1]. */
  order: Uint32Array;
  starts: Uint32Array;
}

export interface ColumnView {
  from: number;
  to: number;
  now: number;
  /** Plot width in device pixels. */
  columns: number;
  dpr: number;
  /** How many colours (owners plus one for unknown). */
  colours: number;
}

export type FillKind = 'wait' | 'write' | 'read' | 'lost';

/** What a run's key stands for: its kind and its colour index. */
export function fillOf(key: number, colours: number): { kind: FillKind; colour: number } {
  if (key < colours) return { kind: 'wait', colour: key };
  if (key < colours * 3) return { kind: (key - colours) & 1 ? 'read' : 'write', colour: (key - colours) >> 1 };
  return { kind: 'lost', colour: 0 };
}

const NONE = 0xffff;

/** Reused buffers: grown when the canvas or the lane count grows, never per frame. */
class Scratch {
  hold = new Uint16Array(0);
  wait = new Uint16Array(0);
  lost = new Uint8Array(0);
  runs: Runs = runsOf(0, 0);

  fit(columns: number, lanes: number, keys: number): void {
    if (this.hold.length < columns) {
      this.hold = new Uint16Array(columns);
      this.wait = new Uint16Array(columns);
      this.lost = new Uint8Array(columns);
    }
    if (this.runs.x.length < columns * lanes * 3 || this.runs.starts.length < keys + 1) this.runs = runsOf(columns * lanes * 3, keys + 1);
  }
}

function runsOf(most: number, keys: number): Runs {
  return {
    count: 0,
    key: new Uint16Array(most),
    lane: new Uint16Array(most),
    x: new Int32Array(most),
    w: new Int32Array(most),
    order: new Uint32Array(most),
    starts: new Uint32Array(keys),
  };
}

const scratch = new Scratch();

/** The runs of every lane in view. The returned object is reused by the next call. */
export function laneRuns(lanes: readonly LaneColumns[], v: ColumnView): Runs {
  const W = Math.max(0, Math.ceil(v.columns));
  const keys = v.colours * 3 + 1;
  scratch.fit(W, lanes.length, keys);
  const runs = scratch.runs;
  runs.count = 0;
  const scale = W / (v.to - v.from);
  const { hold, wait, lost } = scratch;
  for (let li = 0; li < lanes.length; li++) {
    const c = lanes[li]!;
    hold.fill(NONE, 0, W);
    wait.fill(NONE, 0, W);
    lost.fill(0, 0, W);
    // Holds are sorted by request: start at the first that can still reach into view.
    const n = c.requested.length;
    const first = v.from - c.longest;
    for (let i = lowerBound(n, (k) => c.requested[k]! < first); i < n; i++) {
      if (c.requested[i]! > v.to) break;
      const released = c.released[i]!;
      if (released === released) mark(c, i, released, v, scale, W); // not NaN: released
    }
    for (let k = 0; k < c.open.length; k++) {
      const i = c.open[k]!;
      if (c.requested[i]! <= v.to) mark(c, i, v.now, v, scale, W);
    }
    emit(runs, wait, W, 0, li);
    emit(runs, hold, W, v.colours, li);
    for (let col = 0; col < W; col++) if (lost[col]) push(runs, keys - 1, li, col, 1);
  }
  groupByKey(runs, keys);
  return runs;
}

/** One hold's wait, hold and lost mark into the scratch columns. */
function mark(c: LaneColumns, i: number, end: number, v: ColumnView, scale: number, W: number): void {
  if (end < v.from) return;
  const x0 = (c.requested[i]! - v.from) * scale;
  const x1 = (c.granted[i]! - v.from) * scale;
  const x2 = (end - v.from) * scale;
  const colour = c.colour[i]!;
  // A wait under half a CSS pixel is not drawn; a hold is at least one CSS pixel wide.
  if (x1 - x0 >= 0.5 * v.dpr) fill(scratch.wait, W, x0, x1, 1, colour);
  fill(scratch.hold, W, x1, x2, Math.max(1, Math.round(v.dpr)), colour * 2 + c.read[i]!);
  if (c.lost[i]) {
    const col = Math.floor(x2);
    if (col >= 0 && col < W) scratch.lost[col] = 1;
  }
}

/** Columns [floor(a), ceil(b)) of `cols` take `value`; at least `min` columns. */
function fill(cols: Uint16Array, W: number, a: number, b: number, min: number, value: number): void {
  const c0 = Math.floor(a);
  const c1 = Math.min(W, Math.max(c0 + min, Math.ceil(b)));
  for (let col = Math.max(0, c0); col < c1; col++) cols[col] = value;
}

/** Runs of equal, filled columns; their key is the column's value plus `base`. */
function emit(runs: Runs, cols: Uint16Array, W: number, base: number, lane: number): void {
  let start = 0;
  for (let col = 1; col <= W; col++) {
    if (col < W && cols[col] === cols[start]) continue;
    if (cols[start] !== NONE) push(runs, base + cols[start]!, lane, start, col - start);
    start = col;
  }
}

function push(runs: Runs, key: number, lane: number, x: number, w: number): void {
  const i = runs.count++;
  runs.key[i] = key;
  runs.lane[i] = lane;
  runs.x[i] = x;
  runs.w[i] = w;
}

/** A counting sort of the runs by key: each fill is then set once and drawn as one path. */
function groupByKey(runs: Runs, keys: number): void {
  const { starts, order, key } = runs;
  starts.fill(0, 0, keys + 1);
  for (let r = 0; r < runs.count; r++) starts[key[r]! + 1]!++;
  for (let k = 0; k < keys; k++) starts[k + 1]! += starts[k]!;
  // Placed from the back, using starts[k + 1] as key k's cursor; it ends at key k's start, which is key k-1's end.
  for (let r = runs.count - 1; r >= 0; r--) order[--starts[key[r]! + 1]!] = r;
  // Now starts[k + 1] holds key k's start: shift back so that starts[k] is key k's start.
  for (let k = 0; k < keys; k++) starts[k] = starts[k + 1]!;
  starts[keys] = runs.count;
}
