// Picking two versions to compare with checkboxes: the first pick waits
// (local), the second completes the pair (in the URL, older first).

export interface Picks {
  pair: readonly [number, number] | null;
  pending: number | null;
}

export function togglePick({ pair, pending }: Picks, version: number): Picks {
  if (pair && pair.includes(version)) {
    const other = pair[0] === version ? pair[1] : pair[0];
    return { pair: null, pending: other };
  }
  if (pair) return { pair: null, pending: version };
  if (pending === version) return { pair: null, pending: null };
  if (pending !== null) return { pair: pending < version ? [pending, version] : [version, pending], pending: null };
  return { pair: null, pending: version };
}

export function isPicked({ pair, pending }: Picks, version: number): boolean {
  return pending === version || (pair !== null && pair.includes(version));
}
