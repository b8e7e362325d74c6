// Follows the append-only JSONL logs without re-reading them: remembers an
// offset per file and returns only complete new lines. The first read of a
// large file starts near its end, so a long history never slows start-up.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { logFiles, parseJsonLines } from '../engine/public.ts';

export class LogTail<T> {
  private readonly offsets = new Map<string, number>();
  private readonly dir: string;
  private readonly kind: 'audit' | 'locks';
  private readonly initialTailBytes: number;

  constructor(dir: string, kind: 'audit' | 'locks', initialTailBytes: number) {
    this.dir = dir;
    this.kind = kind;
    this.initialTailBytes = initialTailBytes;
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
      let text = buf.toString('utf8');
      let start = 0;
      if (from > 0 && firstRead && !this.offsets.has(file)) start = text.indexOf('\n') + 1; // skip a partial first line
      const end = text.lastIndexOf('\n') + 1;
      text = end > start ? text.slice(start, end) : '';
      this.offsets.set(file, from + Buffer.byteLength(buf.toString('utf8').slice(0, end > start ? end : start)));
      out.push(...parseJsonLines<T>(text));
    }
    return out;
  }
}
