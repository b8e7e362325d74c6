// Binary search over anything sorted (times, holds by request time), used
// by the host's lock history and the timeline's painter alike.

/** The first index in [0, length) where `before(i)` is false; `before` must hold for a prefix only. */
export function lowerBound(length: number, before: (i: number) => boolean): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (before(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
