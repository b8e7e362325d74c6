// Long paths differ at the end (the task folder, the file name), so when one
// does not fit, the middle is cut, not the end.

export interface TailOptions {
  /** The tail grows by whole segments while it stays within this many characters. */
  tailChars?: number;
  /** Path segments always kept, however long (e.g. 2: the task folder and the file). */
  minSegments?: number;
}

function isSeparator(c: string | undefined): boolean {
  return c === '/' || c === '\\';
}

/**
 * Split `text` into a head that may be cut (with an ellipsis) and a tail that
 * is always shown: the last `minSegments` path segments, plus more while the
 * tail stays within `tailChars`. Text without separators keeps its last
 * `tailChars` characters.
 */
export function splitForMiddleEllipsis(
  text: string,
  { tailChars = 32, minSegments = 1 }: TailOptions = {},
): { head: string; tail: string } {
  if (text.length <= tailChars) return { head: '', tail: text };
  const separators: number[] = []; // from the end
  for (let i = text.length - 1; i >= 0; i--) if (isSeparator(text[i])) separators.push(i);
  if (separators.length === 0) return { head: text.slice(0, -tailChars), tail: text.slice(-tailChars) };
  let start = separators[Math.min(minSegments, separators.length) - 1]!;
  for (const i of separators) {
    if (i >= start) continue;
    if (text.length - i > tailChars) break;
    start = i;
  }
  if (start <= 0) return { head: '', tail: text };
  return { head: text.slice(0, start), tail: text.slice(start) };
}
