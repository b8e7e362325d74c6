import { describe, expect, it } from 'vitest';
import { piecesOf } from '../../../../src/views/locks/timeline/tiles.ts';

describe('piecesOf: the tiles under a view, as copies from tile columns to plot columns', () => {
  it('covers the whole view, edge to edge, with no column twice and no gap', () => {
    for (const left of [-1234, -500, -1, 0, 1, 499, 500, 501, 777, 2999]) {
      const pieces = piecesOf(left, 1000, 500);
      const covered = pieces.flatMap((p) => Array.from({ length: p.width }, (_, i) => p.dx + i));
      expect(covered).toEqual(Array.from({ length: 1000 }, (_, i) => i));
      // Each plot column shows the grid column it stands for: tile · tileWidth + column in tile.
      for (const p of pieces) expect(p.tile * 500 + p.sx).toBe(left + p.dx);
      for (const p of pieces) expect(p.sx >= 0 && p.sx + p.width <= 500).toBe(true);
    }
  });

  it('a view on a tile boundary takes whole tiles; one off it takes a sliver of a third', () => {
    expect(piecesOf(1000, 1000, 500).map((p) => [p.tile, p.sx, p.width])).toEqual([
      [2, 0, 500],
      [3, 0, 500],
    ]);
    expect(piecesOf(1001, 1000, 500).map((p) => [p.tile, p.sx, p.width])).toEqual([
      [2, 1, 499],
      [3, 0, 500],
      [4, 0, 1],
    ]);
  });

  it('left of the grid origin, tiles have negative indices', () => {
    expect(piecesOf(-750, 1000, 500).map((p) => p.tile)).toEqual([-2, -1, 0]);
  });
});
