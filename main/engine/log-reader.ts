// Follows an append-only JSONL log (audit-<date>.jsonl, locks-<date>.jsonl)
// without re-reading it: remembers an offset per file and returns only
// complete new lines. The first read of a large file starts near its end, so
// a long history never slows a dashboard's start-up.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { LogReader } from './backend.ts';
import { logFiles, parseJsonLines } from './audit-log.ts';

/** How much of the newest files the first read returns, per log kind. */
export const INITIAL_TAIL_BYTES = { audit: 256 * 1024, locks: 4 * 1024 * 1024 } as const;

export class FileLogReader<T> implements LogReader<T> {
  private readonly offsets = new Map<string, number>();
  private readonly dir: string;
  private readonly kind: 'audit' | 'locks';
  private readonly initialTailBytes: number;

  constructor(dir: string, kind: 'audit' | 'locks', initialTailBytes: number = INITIAL_TAIL_BYTES[kind]) {
    this.dir = dir;
    this.kind = kind;
    this.initialTailBytes = initialTailBytes;
  }

  async readNew(): Promise<T[]> {
    return this.read();
  }

  /** New complete records since the last call (on the first call: the tail of the newest files). */
  read(): T[] {
    const files = logFiles(this.dir, this.kind);
    const out: T[] = [];
    const firstRead = this.offsets.size === 0;
    for (const [i, file] of files.entries()) {
      let size: number;
      try {
        size = statSync(file).size;
      } catch {
        continue;
      }
      let from = this.offsets.get(file);
      if (from === undefined) {
        // Older files on the first read are skipped; a file that appears later is read whole.
        from = firstRead ? (i >= files.length - 2 ? Math.max(0, size - this.initialTailBytes) : size) : 0;
      }
      if (size < from) from = 0; // truncated or replaced
      if (size === from) {
        this.offsets.set(file, from);
        continue;
      }
      const buf = Buffer.alloc(size - from);
      const fd = openSync(file, 'r');
      try {
        readSync(fd, buf, 0, buf.length, from);
      } finally {
        closeSync(fd);
      }
      // Work in bytes: a cut inside a multi-byte character must not shift the offset.
      let start = 0;
      if (from > 0 && firstRead && !this.offsets.has(file)) start = buf.indexOf(0x0a) + 1; // skip a partial first line
      const end = buf.lastIndexOf(0x0a) + 1;
      this.offsets.set(file, from + Math.max(start, end));
      if (end > start) out.push(...parseJsonLines<T>(buf.subarray(start, end).toString('utf8')));
    }
    return out;
  }
}
