// bench:ui printed `p50 15.10009765625 ms` and `ratio n/a× (0 ms raw)`: its
// latencies are now taken on a sub-millisecond clock shared by processes,
// and printed to 0.1 ms.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { preciseNow, ratio, tenth } from '../../e2e/bench/figures.ts';

describe('bench:ui figures', () => {
  it('the clock resolves well under a millisecond', () => {
    const samples = Array.from({ length: 2000 }, preciseNow);
    const steps = samples
      .slice(1)
      .map((t, i) => t - samples[i]!)
      .filter((d) => d > 0);
    expect(Math.min(...steps)).toBeLessThan(0.1);
    expect(samples.some((t) => !Number.isInteger(t))).toBe(true);
  });

  it('another process reads the same clock: its time falls between ours before and after', () => {
    const before = preciseNow();
    const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(performance.timeOrigin + performance.now()))'], {
      encoding: 'utf8',
    });
    const after = preciseNow();
    const child = Number(r.stdout);
    // Each process derives its origin from the wall clock at start-up: allow a millisecond for that.
    expect(child).toBeGreaterThan(before - 1);
    expect(child).toBeLessThan(after + 1);
  });

  it('prints figures to 0.1 ms and a ratio only against a raw figure it can measure', () => {
    expect(tenth(15.10009765625)).toBe(15.1);
    expect(`${tenth(0.04)} ms`).toBe('0 ms');
    expect(ratio(17, 0.4)).toBe('42.5×');
    expect(ratio(16.7, 0)).toBe('n/a (raw under 0.1 ms)');
    expect(ratio(16.7, 0.05)).toBe('n/a (raw under 0.1 ms)');
  });
});
