// Append-only JSONL logs shared by every process: one line per change in
// audit-<date>.jsonl, one line per lock acquisition, release, time-out or
// broken lock in locks-<date>.jsonl. Each line goes out in one O_APPEND write, so lines
// from concurrent processes do not interleave; should the filesystem take
// only part of it, the rest follows at once (a torn line is tolerated on
// reading). The files are opened without following a symlink.
import { closeSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditEntry, LockEvent } from '../../shared/model.ts';
import { openForAppend, readRegularFile, writeFully } from './safe-files.ts';

type LogKind = 'audit' | 'locks';

/** Lines that may wait (releases) are written within this long, with the next lock line, or at close or exit. */
const DEFER_MS = 50;
/** ...or at once when this many wait (a process committing thousands of times a second). */
const MAX_DEFERRED = 256;
const withDeferred = new Set<AppendLog>();
let exitHooked = false;

export class AppendLog {
  private readonly dir: string;
  private readonly fds = new Map<string, number>();
  private deferred: { event: LockEvent; onError: (err: Error) => void }[] = [];
  private deferTimer: NodeJS.Timeout | null = null;

  constructor(dir: string) {
    this.dir = dir;
  }

  appendAudit(entry: AuditEntry): void {
    this.append('audit', entry.timestamp, entry);
  }

  /** Append a lock line now, with any deferred ones before it in the same write. */
  appendLockEvent(event: LockEvent): void {
    const waiting = this.takeDeferred();
    this.appendLines('locks', [...waiting.map((d) => d.event), event]);
  }

  /**
   * Append a lock line that may wait (a release, or the acquisition of a
   * lock a commit takes for itself): it goes out with this process's next
   * lock line written at once, or within 50 ms, or when the log is closed or
   * the process exits. A process committing back to back then writes its
   * lock lines in one write every 50 ms, and never while it holds a lock. A
   * line that then cannot be written is reported through `onError`.
   */
  appendLockEventSoon(event: LockEvent, onError: (err: Error) => void): void {
    this.deferred.push({ event, onError });
    withDeferred.add(this);
    if (!exitHooked) {
      exitHooked = true;
      process.once('exit', () => {
        for (const log of withDeferred) log.flushDeferred();
      });
    }
    if (this.deferred.length >= MAX_DEFERRED) this.flushDeferred();
    else if (!this.deferTimer) {
      this.deferTimer = setTimeout(() => this.flushDeferred(), DEFER_MS);
      this.deferTimer.unref();
    }
  }

  /** Write the deferred lines now; a failure goes to their onError, never to the caller. */
  flushDeferred(): void {
    const waiting = this.takeDeferred();
    if (waiting.length === 0) return;
    try {
      this.appendLines(
        'locks',
        waiting.map((d) => d.event),
      );
    } catch (err) {
      waiting[0]!.onError(err as Error);
    }
  }

  private takeDeferred(): { event: LockEvent; onError: (err: Error) => void }[] {
    if (this.deferTimer) clearTimeout(this.deferTimer);
    this.deferTimer = null;
    withDeferred.delete(this);
    const waiting = this.deferred;
    this.deferred = [];
    return waiting;
  }

  /** Lines of one kind, each day's in one write (lines written together never interleave with another process's). */
  private appendLines(kind: LogKind, records: LockEvent[]): void {
    const byDay = new Map<string, string>();
    for (const r of records) byDay.set(r.ts.slice(0, 10), (byDay.get(r.ts.slice(0, 10)) ?? '') + `${JSON.stringify(r)}\n`);
    for (const [day, text] of byDay) this.write(kind, day, text);
  }

  private append(kind: LogKind, isoTime: string, record: object): void {
    this.write(kind, isoTime.slice(0, 10), `${JSON.stringify(record)}\n`);
  }

  private write(kind: LogKind, day: string, text: string): void {
    const name = `${kind}-${day}.jsonl`;
    const path = join(this.dir, name);
    let fd = this.fds.get(name);
    if (fd === undefined) {
      if (this.fds.size > 4) this.closeFiles(); // a new day: drop the old descriptors
      mkdirSync(this.dir, { recursive: true });
      fd = openForAppend(path);
      this.fds.set(name, fd);
    }
    writeFully(fd, Buffer.from(text), path);
  }

  close(): void {
    this.flushDeferred();
    this.closeFiles();
  }

  private closeFiles(): void {
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
