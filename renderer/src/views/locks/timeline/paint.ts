// Painting the lock timeline on a canvas. SVG or DOM bars would be one
// element per hold: 50,000 of them cannot pan at 60 fps, while a canvas
// repaints them in a few milliseconds. Each lane draws at most one bar per
// pixel column and kind, so the cost is bounded by the screen, not the data.
import type { Lane } from './lanes.ts';
import { fillOf, laneColumns, laneRuns } from './columns.ts';
import { firstRequestedAtOrAfter, type Hold, type Mark } from './spans.ts';
import { BarTiles, type TileGrid } from './tiles.ts';

/** The visible canvas, or a tile's scratch canvas. */
type Ctx = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

export interface Viewport {
  /** Visible time range (ms). */
  from: number;
  to: number;
  /** CSS pixels. */
  width: number;
  height: number;
  now: number;
}

export interface Theme {
  text: string;
  muted: string;
  grid: string;
  danger: string;
  panel: string;
}

export const GUTTER = 132;
export const AXIS = 22;
export const LANE_HEIGHT = 22;
const BAR = 14;

export function xOf(t: number, v: Viewport): number {
  return GUTTER + ((t - v.from) / (v.to - v.from)) * (v.width - GUTTER);
}

export function timeAt(x: number, v: Viewport): number {
  return v.from + ((x - GUTTER) / (v.width - GUTTER)) * (v.to - v.from);
}

const hatches = new Map<string, CanvasPattern | null>();
/** The hatch's period, in CSS pixels. */
const HATCH = 6;

/** Diagonal stripes of the owner's colour: a wait, as opposed to a hold. */
function hatch(ctx: Ctx, colour: string, dpr: number): CanvasPattern | string {
  const key = `${colour}@${dpr}`;
  if (!hatches.has(key)) {
    const size = Math.round(HATCH * dpr);
    const tile = document.createElement('canvas');
    tile.width = size;
    tile.height = size;
    const t = tile.getContext('2d');
    if (t) {
      t.strokeStyle = colour;
      t.lineWidth = 1.5 * dpr;
      t.beginPath();
      t.moveTo(-1, size + 1);
      t.lineTo(size + 1, -1);
      t.stroke();
    }
    const pattern = ctx.createPattern(tile, 'repeat');
    pattern?.setTransform(new DOMMatrix().scale(1 / dpr));
    hatches.set(key, pattern);
  }
  return hatches.get(key) ?? colour;
}

/** What every painting step needs: where, how, in which colours, over which time. */
export interface Frame {
  ctx: Ctx;
  /** Owner → colour. */
  colours: ReadonlyMap<string, string>;
  v: Viewport;
  theme: Theme;
  /** Device pixels per CSS pixel. */
  dpr: number;
  /** The view follows now: its bars move under it every frame. */
  live: boolean;
}

/** How a paint drew its bars: every one, or copied from tiles drawn before. */
export type PaintKind = 'direct' | 'copy';

export function paint(frame: Frame, lanes: readonly Lane[], hovered: Hold | Mark | null): PaintKind {
  const { ctx, v, theme, dpr } = frame;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, v.width, v.height);
  paintAxis(ctx, v, theme, lanes.length);
  ctx.save();
  ctx.beginPath();
  ctx.rect(GUTTER, AXIS, v.width - GUTTER, v.height - AXIS);
  ctx.clip();
  ctx.fillStyle = theme.grid;
  for (let i = 0; i < lanes.length; i++) ctx.fillRect(GUTTER, AXIS + i * LANE_HEIGHT + LANE_HEIGHT - 0.5, v.width - GUTTER, 0.5);
  const kind = paintBarsOrCopy(frame, lanes);
  lanes.forEach((lane, i) => paintMarks(frame, lane, AXIS + i * LANE_HEIGHT));
  if (hovered) outline(ctx, hovered, lanes, v, theme);
  const nowX = xOf(v.now, v);
  if (nowX <= v.width) {
    ctx.fillStyle = theme.danger;
    ctx.fillRect(Math.round(nowX) - 0.5, AXIS, 1, v.height - AXIS);
  }
  ctx.restore();
  ctx.fillStyle = theme.text;
  ctx.font = '12px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  lanes.forEach((lane, i) => {
    const y = AXIS + i * LANE_HEIGHT + LANE_HEIGHT / 2;
    ctx.fillText(ellipsize(ctx, lane.key, GUTTER - 12), 6, y);
  });
  return kind;
}

const tilesByCanvas = new WeakMap<Ctx, BarTiles>();

function tilesOf(ctx: Ctx): BarTiles {
  let tiles = tilesByCanvas.get(ctx);
  if (!tiles) tilesByCanvas.set(ctx, (tiles = new BarTiles()));
  return tiles;
}

function gridOf(frame: Frame, lanes: readonly Lane[]): TileGrid {
  const { v, theme, dpr, colours } = frame;
  return {
    width: Math.round((v.width - GUTTER) * dpr),
    height: Math.round(v.height * dpr),
    span: v.to - v.from,
    dpr,
    grain: Math.round(HATCH * dpr),
    lanes,
    colours,
    theme: `${theme.text} ${theme.muted} ${theme.grid} ${theme.danger} ${theme.panel}`,
  };
}

/** A live view's bars move with time: always drawn. A still one's are copied from its tiles once built. */
function paintBarsOrCopy(frame: Frame, lanes: readonly Lane[]): PaintKind {
  const { ctx, v, live, dpr } = frame;
  if (live) {
    paintBars(frame, lanes);
    return 'direct';
  }
  const tiles = tilesOf(ctx);
  tiles.use(gridOf(frame, lanes), v.from);
  const found = tiles.pieces(v.from);
  if (!found) {
    paintBars(frame, lanes);
    return 'direct';
  }
  const smoothing = ctx.imageSmoothingEnabled;
  ctx.imageSmoothingEnabled = false;
  found.pieces.forEach((p, i) => {
    const h = found.bitmaps[i]!.height;
    ctx.drawImage(found.bitmaps[i]!, p.sx, 0, p.width, h, GUTTER + p.dx / dpr, 0, p.width / dpr, h / dpr);
  });
  ctx.imageSmoothingEnabled = smoothing;
  return 'copy';
}

/**
 * Build one more tile of a still view's bars (see tiles.ts), meant for idle time. True while more
 * are wanted; false for a live view, which has none.
 */
export function buildNextTile(frame: Frame, lanes: readonly Lane[]): boolean {
  if (frame.live) return false;
  const tiles = tilesOf(frame.ctx);
  const grid = gridOf(frame, lanes);
  tiles.use(grid, frame.v.from);
  const { v, dpr, colours, theme } = frame;
  return tiles.buildNext(v.from, (tile, from, to, columns) => {
    tile.setTransform(dpr, 0, 0, dpr, 0, 0);
    tile.translate(-GUTTER, 0); // the tile starts where the plot does
    // As wide in device pixels as the tile, so that its columns are the grid's.
    const width = GUTTER + columns / dpr;
    paintBars({ ctx: tile, colours, v: { from, to, width, height: v.height, now: v.now }, theme, dpr, live: false }, lanes);
  });
}

/** Holds and waits, one rectangle per run of equal pixel columns, one path per fill. */
function paintBars(frame: Frame, lanes: readonly Lane[]): void {
  const { ctx, colours, v, theme, dpr } = frame;
  const palette = paletteOf(colours, theme);
  const columns = lanes.map((lane) => laneColumns(lane, colours));
  const runs = laneRuns(columns, { from: v.from, to: v.to, now: v.now, columns: (v.width - GUTTER) * dpr, dpr, colours: palette.length });
  // Keys run waits (hatched, under any hold), then write and read holds, then lost marks on top.
  for (let k = 0; k + 1 < runs.starts.length && runs.starts[k]! < runs.count; k++) {
    const first = runs.starts[k]!;
    const end = runs.starts[k + 1]!;
    if (first === end) continue;
    const { kind, colour } = fillOf(k, palette.length);
    ctx.globalAlpha = kind === 'read' ? 0.45 : 1;
    ctx.fillStyle = kind === 'wait' ? hatch(ctx, palette[colour]!, dpr) : kind === 'lost' ? theme.danger : palette[colour]!;
    ctx.beginPath();
    for (let o = first; o < end; o++) {
      const r = runs.order[o]!;
      const top = AXIS + runs.lane[r]! * LANE_HEIGHT + (LANE_HEIGHT - BAR) / 2;
      const x = GUTTER + runs.x[r]! / dpr;
      const w = runs.w[r]! / dpr;
      if (kind === 'wait') ctx.rect(x, top + 2, w, BAR - 4);
      else if (kind === 'lost') ctx.rect(x - 1, top - 2, 2, BAR + 4);
      else ctx.rect(x, top, w, BAR);
    }
    ctx.fill();
  }
  ctx.globalAlpha = 1;
}

const palettes = new WeakMap<ReadonlyMap<string, string>, string[]>();

/** The owners' colours in map order, then the muted colour for an owner without one. */
function paletteOf(colours: ReadonlyMap<string, string>, theme: Theme): readonly string[] {
  let p = palettes.get(colours);
  if (!p || p[p.length - 1] !== theme.muted) palettes.set(colours, (p = [...colours.values(), theme.muted]));
  return p;
}

function paintMarks(frame: Frame, lane: Lane, top: number): void {
  const { ctx, colours, v, theme, dpr } = frame;
  const y = top + (LANE_HEIGHT - BAR) / 2;
  for (const m of lane.marks) {
    if (m.kind === 'waiting') {
      if (m.at > v.to) continue;
      const x0 = xOf(m.at, v);
      ctx.fillStyle = hatch(ctx, colours.get(m.owner) ?? theme.muted, dpr);
      ctx.fillRect(x0, y + 2, Math.max(1, xOf(v.now, v) - x0), BAR - 4);
      continue;
    }
    if (m.at < v.from || m.at - m.wait > v.to) continue;
    const x = xOf(m.at, v);
    if (m.kind === 'timeout') {
      const x0 = xOf(m.at - m.wait, v);
      ctx.fillStyle = hatch(ctx, colours.get(m.owner) ?? theme.muted, dpr);
      ctx.fillRect(x0, y + 2, Math.max(1, x - x0), BAR - 4);
      cross(ctx, x, y + BAR / 2, theme.danger);
    } else {
      bolt(ctx, x, y, theme.danger);
    }
  }
}

/** A time-out: an ✕ where the waiter gave up. */
function cross(ctx: Ctx, x: number, y: number, colour: string): void {
  ctx.strokeStyle = colour;
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(x - 4, y - 4);
  ctx.lineTo(x + 4, y + 4);
  ctx.moveTo(x + 4, y - 4);
  ctx.lineTo(x - 4, y + 4);
  ctx.stroke();
}

/** A broken lock: a diamond on a line across the lane. */
function bolt(ctx: Ctx, x: number, y: number, colour: string): void {
  ctx.fillStyle = colour;
  ctx.fillRect(x - 0.75, y - 3, 1.5, BAR + 6);
  ctx.beginPath();
  ctx.moveTo(x, y - 1);
  ctx.lineTo(x + 5, y + BAR / 2);
  ctx.lineTo(x, y + BAR + 1);
  ctx.lineTo(x - 5, y + BAR / 2);
  ctx.closePath();
  ctx.fill();
}

function outline(ctx: Ctx, item: Hold | Mark, lanes: readonly Lane[], v: Viewport, theme: Theme): void {
  const i = lanes.findIndex((l) => ('granted' in item ? l.holds.includes(item) : l.marks.includes(item)));
  if (i < 0) return;
  const y = AXIS + i * LANE_HEIGHT + (LANE_HEIGHT - BAR) / 2;
  const [a, b] =
    'granted' in item
      ? [item.requested, item.released ?? v.now]
      : item.kind === 'waiting'
        ? [item.at, v.now]
        : [item.at - item.wait, item.at];
  ctx.strokeStyle = theme.text;
  ctx.lineWidth = 1.5;
  const x0 = xOf(a, v);
  ctx.strokeRect(x0 - 1, y - 1.5, Math.max(3, xOf(b, v) - x0 + 2), BAR + 3);
}

const STEPS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000,
  3_600_000, 7_200_000, 10_800_000, 21_600_000,
];

function paintAxis(ctx: Ctx, v: Viewport, theme: Theme, laneCount: number): void {
  const span = v.to - v.from;
  const step = STEPS.find((s) => (s / span) * (v.width - GUTTER) >= 90) ?? STEPS[STEPS.length - 1]!;
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  ctx.fillStyle = theme.muted;
  const bottom = AXIS + laneCount * LANE_HEIGHT;
  for (let t = Math.ceil(v.from / step) * step; t <= v.to; t += step) {
    const x = xOf(t, v);
    ctx.fillStyle = theme.grid;
    ctx.fillRect(Math.round(x), AXIS - 4, 1, bottom - AXIS + 4);
    ctx.fillStyle = theme.muted;
    ctx.fillText(tickLabel(t, step), x + 3, AXIS / 2);
  }
}

function tickLabel(t: number, step: number): string {
  const d = new Date(t);
  const hh = String(d.getHours()).padStart(2, '0');
  const mm = String(d.getMinutes()).padStart(2, '0');
  const ss = String(d.getSeconds()).padStart(2, '0');
  if (step < 1000) return `${mm}:${ss}.${String(d.getMilliseconds()).padStart(3, '0')}`;
  if (step < 60_000) return `${hh}:${mm}:${ss}`;
  return `${hh}:${mm}`;
}

function ellipsize(ctx: Ctx, text: string, max: number): string {
  if (ctx.measureText(text).width <= max) return text;
  let s = text;
  while (s.length > 1 && ctx.measureText(`${s}…`).width > max) s = s.slice(0, -1);
  return `${s}…`;
}

/** What is under the pointer: a hold (its wait or hold bar) or a mark, within a few pixels. */
export function hitTest(lanes: readonly Lane[], v: Viewport, x: number, y: number): Hold | Mark | null {
  if (x < GUTTER || y < AXIS) return null;
  const lane = lanes[Math.floor((y - AXIS) / LANE_HEIGHT)];
  if (!lane) return null;
  for (const m of lane.marks) if (m.kind !== 'waiting' && Math.abs(xOf(m.at, v) - x) <= 5) return m;
  // A hold bar wins over a wait bar: while one agent holds, the next one's wait runs under it.
  let holding: Hold | null = null;
  let waiting: Hold | null = null;
  const consider = (h: Hold) => {
    const x0 = xOf(h.requested, v);
    const x1 = xOf(h.granted, v);
    const x2 = xOf(h.released ?? v.now, v);
    if (x >= x1 - 2 && x <= Math.max(x2, x1 + 1) + 2)
      holding = h; // the latest one drawn is on top
    else if (x >= x0 && x < x1) waiting = h;
  };
  // Only holds that can reach the pointer: a binary search, not a walk through 50,000.
  const holds = lane.holds;
  const latest = timeAt(x + 3, v);
  for (let i = firstRequestedAtOrAfter(holds, timeAt(x - 3, v) - lane.longest); i < holds.length && holds[i]!.requested <= latest; i++)
    if (holds[i]!.released !== null) consider(holds[i]!);
  for (const h of lane.open) consider(h);
  if (holding ?? waiting) return holding ?? waiting;
  for (const m of lane.marks) {
    if (m.kind === 'timeout' && x >= xOf(m.at - m.wait, v) && x <= xOf(m.at, v)) return m;
    if (m.kind === 'waiting' && x >= xOf(m.at, v) - 2 && x <= xOf(v.now, v)) return m;
  }
  return null;
}
