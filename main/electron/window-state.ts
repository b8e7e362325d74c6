// Remembers the window's bounds between runs, and refuses bounds that would
// put the window off every screen (a monitor was unplugged).
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../engine/fsx.ts';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}
export interface WindowState extends Rect {
  maximized: boolean;
}

export const DEFAULT_SIZE = { width: 1440, height: 900 };
const MIN = { width: 800, height: 500 };

export function loadWindowState(file: string, workAreas: Rect[]): Partial<WindowState> {
  let saved: unknown;
  try {
    saved = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return { ...DEFAULT_SIZE };
  }
  const s = saved as Partial<WindowState>;
  const numbers = [s.x, s.y, s.width, s.height].every((n) => typeof n === 'number' && Number.isFinite(n));
  if (!numbers) return { ...DEFAULT_SIZE };
  const rect = { x: s.x!, y: s.y!, width: Math.max(MIN.width, s.width!), height: Math.max(MIN.height, s.height!) };
  const visible = workAreas.some((a) => overlap(a, rect) >= 100 * 100);
  return visible
    ? { ...rect, maximized: s.maximized === true }
    : { width: rect.width, height: rect.height, maximized: s.maximized === true };
}

function overlap(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

export function saveWindowState(file: string, state: WindowState): void {
  try {
    writeFileAtomic(file, JSON.stringify(state), false);
  } catch {
    /* losing the window position is not worth an error dialog */
  }
}
