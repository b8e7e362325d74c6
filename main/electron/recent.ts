// The File › Open Recent list: state folders opened before, newest first.
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../engine/fsx.ts';

const MAX_RECENT = 10;

export function loadRecent(file: string): string[] {
  try {
    const list = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return Array.isArray(list) ? list.filter((p): p is string => typeof p === 'string' && existsSync(p)).slice(0, MAX_RECENT) : [];
  } catch {
    return [];
  }
}

export function addRecent(file: string, list: string[], root: string): string[] {
  const next = [root, ...list.filter((p) => p !== root)].slice(0, MAX_RECENT);
  try {
    writeFileAtomic(file, JSON.stringify(next), false);
  } catch {
    /* the list is a convenience */
  }
  return next;
}
