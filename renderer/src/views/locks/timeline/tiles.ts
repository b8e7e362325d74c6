// The bars of a still view, kept as tiles one plot wide, so that panning
// copies pixels instead of drawing 50,000 holds again.
//
// Time is cut into tiles half a view wide, on a grid fixed when the zoom,
// size, lanes or colours last changed. A frame copies the two or three tiles
// under the view. Tiles are built one at a time, in idle time between frames
// (buildNextTile), the view's own first and then those beside it, up to a
// view away; a frame whose tiles are not built yet paints its bars directly.
// So no frame draws more than one view's worth of bars, and no idle task more
// than half of one: the single layer three views wide that this replaced was
// drawn in the frame that first needed it, and was the slowest frame of a pan
// (three views of bars drawn and rasterized at once).
//
// A tile is an ImageBitmap taken from a scratch OffscreenCanvas: taking it
// rasterizes the drawing then, in the idle task, not in the frame that first
// copies it.
import type { Lane } from './lanes.ts';

/** What the tiles were drawn for: any change and they are all drawn again. */
export interface TileGrid {
  /** Device pixels of the plot's width and of the canvas's height. */
  width: number;
  height: number;
  /** Time the plot shows (ms). */
  span: number;
  dpr: number;
  /** Tiles start on multiples of this many device pixels (the hatch's period), so that stripes run on across a seam. */
  grain: number;
  lanes: readonly Lane[];
  colours: ReadonlyMap<string, string>;
  /** The theme's colours, joined. */
  theme: string;
}

/** One copy from a tile to the canvas, in device pixels from the plot's left edge. */
export interface TilePiece {
  tile: number;
  /** Column in the tile. */
  sx: number;
  /** Column on the canvas's plot. */
  dx: number;
  width: number;
}

/**
 * The pieces of tiles that make up a view whose left edge is at device column
 * `left` of the grid (tile k covers columns k·tileWidth … (k+1)·tileWidth − 1).
 */
export function piecesOf(left: number, width: number, tileWidth: number): TilePiece[] {
  const pieces: TilePiece[] = [];
  for (let k = Math.floor(left / tileWidth); k * tileWidth < left + width; k++) {
    const sx = Math.max(0, left - k * tileWidth);
    const ex = Math.min(tileWidth, left + width - k * tileWidth);
    pieces.push({ tile: k, sx, dx: k * tileWidth + sx - left, width: ex - sx });
  }
  return pieces;
}

/** Tiles per view width: a tile costs half a view's paint, built in one idle task. */
const PER_VIEW = 2;
/** Tiles kept: those under the view and a view's worth on each side; farther ones are dropped first. */
const KEPT = 3 * PER_VIEW + 1;

export class BarTiles {
  private grid: TileGrid | null = null;
  /** Time at the grid's column 0. */
  private origin = 0;
  private readonly tiles = new Map<number, ImageBitmap>();
  private scratch: OffscreenCanvas | null = null;

  /** Same grid (spans equal to a part in a billion: a span recomputed from its ends differs in its last bits). */
  private fits(g: TileGrid): boolean {
    const o = this.grid;
    return (
      o !== null &&
      o.width === g.width &&
      o.height === g.height &&
      o.dpr === g.dpr &&
      o.grain === g.grain &&
      Math.abs(o.span - g.span) <= g.span * 1e-9 &&
      o.colours === g.colours &&
      o.theme === g.theme &&
      o.lanes.length === g.lanes.length &&
      o.lanes.every((lane, i) => lane === g.lanes[i])
    );
  }

  /** Keep the grid if it still fits the view, else start a new one (dropping every tile) whose tile 0 begins at `from`. */
  use(g: TileGrid, from: number): void {
    if (this.fits(g)) return;
    this.drop();
    this.grid = g;
    this.origin = from;
  }

  /** The view's left edge as a column of the grid: whole device pixels, so no copy is blurred. */
  private leftOf(from: number): number {
    const g = this.grid!;
    return Math.round(((from - this.origin) / g.span) * g.width);
  }

  /** Device pixels of a tile. */
  get tileWidth(): number {
    const { width, grain } = this.grid!;
    return Math.ceil(width / PER_VIEW / grain) * grain;
  }

  /** The pieces to copy for a view starting at `from`, or null while one of its tiles is not built. */
  pieces(from: number): { pieces: TilePiece[]; bitmaps: ImageBitmap[] } | null {
    if (!this.grid) return null;
    const pieces = piecesOf(this.leftOf(from), this.grid.width, this.tileWidth);
    const bitmaps: ImageBitmap[] = [];
    for (const p of pieces) {
      const b = this.tiles.get(p.tile);
      if (!b) return null;
      bitmaps.push(b);
    }
    return { pieces, bitmaps };
  }

  /** The next tile worth building for a view starting at `from`: its own, then the nearest beside it. Null: all built. */
  private wanted(from: number): number | null {
    const left = this.leftOf(from);
    const first = Math.floor(left / this.tileWidth);
    const last = Math.floor((left + this.grid!.width - 1) / this.tileWidth);
    for (let k = first; k <= last; k++) if (!this.tiles.has(k)) return k;
    for (let d = 1; d <= PER_VIEW; d++) {
      if (!this.tiles.has(first - d)) return first - d;
      if (!this.tiles.has(last + d)) return last + d;
    }
    return null;
  }

  /**
   * Build one tile for the view starting at `from` with `draw`, which paints the bars of a time
   * range into a context a tile wide (`width` device pixels); false when none is wanted any more.
   */
  buildNext(from: number, draw: (ctx: OffscreenCanvasRenderingContext2D, from: number, to: number, width: number) => void): boolean {
    if (!this.grid) return false;
    const k = this.wanted(from);
    if (k === null) return false;
    const g = this.grid;
    const w = this.tileWidth;
    this.scratch ??= new OffscreenCanvas(w, g.height);
    if (this.scratch.width !== w) this.scratch.width = w;
    if (this.scratch.height !== g.height) this.scratch.height = g.height;
    const ctx = this.scratch.getContext('2d');
    if (!ctx) return false;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, w, g.height);
    const tileSpan = (w / g.width) * g.span;
    draw(ctx, this.origin + k * tileSpan, this.origin + (k + 1) * tileSpan, w);
    // Rasterized here, in idle time; the scratch canvas is left blank for the next tile.
    this.tiles.set(k, this.scratch.transferToImageBitmap());
    this.evictFarFrom(k);
    return this.wanted(from) !== null;
  }

  private evictFarFrom(k: number): void {
    while (this.tiles.size > KEPT) {
      let far = k;
      for (const t of this.tiles.keys()) if (Math.abs(t - k) > Math.abs(far - k)) far = t;
      this.tiles.get(far)!.close();
      this.tiles.delete(far);
    }
  }

  drop(): void {
    for (const b of this.tiles.values()) b.close();
    this.tiles.clear();
    this.grid = null;
  }
}
