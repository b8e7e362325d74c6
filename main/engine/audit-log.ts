// Append-only JSONL logs shared by every process: one line per change in
// audit-<date>.jsonl, one line per lock acquisition or time-out in
// locks-<date>.jsonl. Each line goes out in one O_APPEND write, so lines
// from concurrent processes do not interleave; should the filesystem take
// only part of it, the rest follows at once (a torn line is tolerated on
// reading). The files are opened without following a symlink.
import { closeSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditEntry, LockEvent } from '../../shared/model.ts';
import { openForAppend, readRegularFile, writeFully } from './safe-files.ts';

type LogKind = 'audit' | 'locks';

export class AppendLog {
  private readonly dir: string;
  private readonly fds = new Map<string, number>();

  constructor(dir: string) {
    this.dir = dir;
  }

  appendAudit(entry: AuditEntry): void {
    this.append('audit', entry.timestamp, entry);
  }

  appendLockEvent(event: LockEvent): void {
    this.append('locks', event.ts, event);
  }

  private append(kind: LogKind, isoTime: string, record: object): void {
    const name = `${kind}-${isoTime.slice(0, 10)}.jsonl`;
    const path = join(this.dir, name);
    let fd = this.fds.get(name);
    if (fd === undefined) {
      if (this.fds.size > 4) this.close(); // a new day: drop the old descriptors
      mkdirSync(this.dir, { recursive: true });
      fd = openForAppend(path);
      this.fds.set(name, fd);
    }
    writeFully(fd, Buffer.from(`${JSON.stringify(record)}\n`), path);
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}

/** Log files of one kind, oldest first. */
export function logFiles(dir: string, kind: LogKind): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(`${kind}-`) && n.endsWith('.jsonl'))
    .sort()
    .map((n) => join(dir, n));
}

/**
 * Parse JSONL, tolerating a line torn by a crash. A torn line may have had the
 * next complete record appended to it, so a bad line is retried from its last '{"'.
 */
export function parseJsonLines<T>(text: string): T[] {
  const out: T[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const parsed = parseLine(line);
    if (parsed !== undefined) out.push(parsed as T);
  }
  return out;
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    const start = line.lastIndexOf('{"', line.length - 2);
    if (start <= 0) return undefined;
    try {
      return JSON.parse(line.slice(start));
    } catch {
      return undefined;
    }
  }
}

export function readLog<T>(dir: string, kind: LogKind, sinceIso?: string): T[] {
  const files = logFiles(dir, kind).filter((f) => !sinceIso || f.slice(-16, -6) >= sinceIso.slice(0, 10));
  const out: T[] = [];
  for (const file of files) {
    let text: string | null;
    try {
      text = readRegularFile(file); // a symlink planted in logs/ is not read either
    } catch {
      continue;
    }
    if (text !== null) out.push(...parseJsonLines<T>(text));
  }
  return out;
}
