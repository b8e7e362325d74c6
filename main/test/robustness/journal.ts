// Append-only JSON-lines journals. A worker's journal is its testimony after
// kill -9, so each line is written with one write(2) and fsynced before the
// operation it announces starts.
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';

export class Journal {
  private readonly fd: number;
  private readonly durable: boolean;

  constructor(path: string, durable = true) {
    this.fd = openSync(path, 'a');
    this.durable = durable;
  }

  append(record: object): void {
    writeSync(this.fd, `${JSON.stringify(record)}\n`);
    if (this.durable) fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/**
 * The records of a journal. Only the last line may be cut short (a process
 * killed mid-write); a bad line anywhere else means the journal itself is
 * broken, and the run cannot be judged.
 */
export function readJournal<T>(path: string): T[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const out: T[] = [];
  lines.forEach((line, i) => {
    if (line === '') return;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      const last = i === lines.length - 1 || (i === lines.length - 2 && lines[lines.length - 1] === '');
      if (!last) throw new Error(`${path}:${i + 1}: unreadable journal line ${JSON.stringify(line.slice(0, 80))}`);
    }
  });
  return out;
}
