// A small seeded generator (mulberry32), so a run's choices follow from its
// seed. Timing still differs between runs: a seed replays the plan, not the
// interleaving.

import { seededRandom } from '../../../shared/seeded-random.ts';

export class Random {
  /** Uniform in [0, 1). */
  readonly next: () => number;

  constructor(seed: number) {
    this.next = seededRandom(seed);
  }

  /** Uniform in [min, max). */
  between(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** One key of `weights`, with probability proportional to its weight. */
  weighted<K extends string>(weights: Record<K, number>): K {
    const entries = Object.entries(weights) as [K, number][];
    let r = this.next() * entries.reduce((sum, [, w]) => sum + w, 0);
    for (const [key, w] of entries) {
      r -= w;
      if (r < 0) return key;
    }
    return entries[entries.length - 1]![0];
  }

  word(length = 6): string {
    let s = '';
    for (let i = 0; i < length; i++) s += 'abcdefghijklmnopqrstuvwxyz'[Math.floor(this.next() * 26)];
    return s;
  }
}

/** A seed for a sub-stream (one per worker), derived from the run's seed and a name. */
export function deriveSeed(seed: number, name: string): number {
  let h = (seed >>> 0) ^ 0x9e3779b9;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
