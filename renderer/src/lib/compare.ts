// Natural ordering for ids: "sim-2" sorts before "sim-10", as people expect.
const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

export function compareIds(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}
