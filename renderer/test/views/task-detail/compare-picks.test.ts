import { describe, expect, it } from 'vitest';
import { isPicked, togglePick, type Picks } from '../../../src/views/task-detail/compare-picks.ts';

describe('picking two versions to compare', () => {
  it('first pick waits, second completes the pair older first', () => {
    let p: Picks = { pair: null, pending: null };
    p = togglePick(p, 7);
    expect(p).toEqual({ pair: null, pending: 7 });
    p = togglePick(p, 3);
    expect(p).toEqual({ pair: [3, 7], pending: null });
    expect(isPicked(p, 3) && isPicked(p, 7) && !isPicked(p, 5)).toBe(true);
  });

  it('unticking one of a pair keeps the other pending', () => {
    expect(togglePick({ pair: [3, 7], pending: null }, 3)).toEqual({ pair: null, pending: 7 });
  });

  it('ticking a third version starts over from it', () => {
    expect(togglePick({ pair: [3, 7], pending: null }, 9)).toEqual({ pair: null, pending: 9 });
  });

  it('unticking the pending pick clears it', () => {
    expect(togglePick({ pair: null, pending: 4 }, 4)).toEqual({ pair: null, pending: null });
  });
});
