// The desktop app's log: lines in <logs>/main.log (Electron's
// app.getPath('logs')), rotated by size so a long-running app never fills the
// disk: main.log → main.1.log → … → main.<keep>.log, the oldest dropped.
import { appendFileSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { lineLogger, type Logger } from '../host/logger.ts';

export interface RotationOptions {
  /** Past this size the file is rotated before the next line. */
  maxBytes?: number;
  /** Rotated files kept besides main.log. */
  keep?: number;
}

export function rotatingFileLogger(dir: string, { maxBytes = 1024 * 1024, keep = 3 }: RotationOptions = {}): Logger {
  const file = join(dir, 'main.log');
  const rotated = (n: number) => join(dir, `main.${n}.log`);
  mkdirSync(dir, { recursive: true });
  let size = sizeOf(file);
  return lineLogger((line) => {
    if (size > 0 && size + Buffer.byteLength(line) > maxBytes) {
      rmSync(rotated(keep), { force: true });
      for (let n = keep - 1; n >= 1; n--) renameQuiet(rotated(n), rotated(n + 1));
      renameQuiet(file, rotated(1));
      size = 0;
    }
    appendFileSync(file, line);
    size += Buffer.byteLength(line);
  });
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function renameQuiet(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch {
    // Not there yet (fewer rotations so far than `keep`).
  }
}
