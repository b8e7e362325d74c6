// One stderr line per request that `lockstep serve` refuses, so whoever runs
// it sees probing. A flood of hostile requests must not flood the terminal:
// each kind of refusal prints its first few lines per minute, and how many
// more were refused is summed up when that minute ends. Every kind still
// appears at least once. Lines never carry a query string: the page's URL
// holds the token.

/** Lines printed per kind of refusal per window; the rest are counted. */
const LINES_PER_KIND = 5;
const WINDOW_MS = 60_000;
/** Longest rendering of a method or path; hostile ones can be kilobytes long. */
const MAX_TARGET_CHARS = 120;
const MAX_METHOD_CHARS = 20;

export interface Refusal {
  /** HTTP status, or WebSocket close code. */
  status: number;
  /** A fixed phrase without ": ": it names the kind of refusal, so it must not contain request data. */
  reason: string;
  method: string;
  /** The request target as received (path and query); only the path is printed. */
  target: string;
  /** Variable details (an error message) printed after the line; not part of the kind. */
  detail?: string;
  /** 'failed': we could not answer a valid request (logged the same way, so it is seen). */
  outcome?: 'refused' | 'failed';
}

interface KindCount {
  printed: number;
  suppressed: number;
}

export class RefusalLog {
  private readonly write: (line: string) => void;
  private readonly now: () => Date;
  private readonly windowMs: number;
  private kinds = new Map<string, KindCount>();
  private windowTimer: NodeJS.Timeout | null = null;

  constructor(write: (line: string) => void, options: { now?: () => Date; windowMs?: number } = {}) {
    this.write = write;
    this.now = options.now ?? (() => new Date());
    this.windowMs = options.windowMs ?? WINDOW_MS;
  }

  note(refusal: Refusal): void {
    const kind = `${refusal.outcome ?? 'refused'} ${refusal.status} ${refusal.reason}`;
    let count = this.kinds.get(kind);
    if (!count) {
      count = { printed: 0, suppressed: 0 };
      this.kinds.set(kind, count);
    }
    this.startWindow();
    if (count.printed >= LINES_PER_KIND) {
      count.suppressed++;
      return;
    }
    count.printed++;
    const detail = refusal.detail ? ` (${safeText(refusal.detail, MAX_TARGET_CHARS, true)})` : '';
    this.write(
      `lockstep serve: ${this.now().toISOString()} ${kind}: ${safeText(refusal.method, MAX_METHOD_CHARS) || '-'} ${renderTarget(refusal.target)}${detail}\n`,
    );
  }

  /** Print the counts of what the window held back, then start afresh. */
  flush(): void {
    if (this.windowTimer) clearTimeout(this.windowTimer);
    this.windowTimer = null;
    const window = this.windowMs >= 1000 ? `${Math.round(this.windowMs / 1000)} s` : `${this.windowMs} ms`;
    for (const [kind, count] of this.kinds) {
      if (count.suppressed > 0) {
        this.write(`lockstep serve: ${this.now().toISOString()} ${kind}: ${count.suppressed} more in the last ${window}, not shown\n`);
      }
    }
    this.kinds = new Map();
  }

  close(): void {
    this.flush();
  }

  private startWindow(): void {
    if (this.windowTimer) return;
    this.windowTimer = setTimeout(() => this.flush(), this.windowMs);
    this.windowTimer.unref(); // a pending summary never keeps the process alive
  }
}

/** The path of a request target, printable and bounded; the query is replaced by "?…". */
export function renderTarget(target: string): string {
  const query = target.indexOf('?');
  const path = query === -1 ? target : target.slice(0, query);
  return (safeText(path, MAX_TARGET_CHARS) || '-') + (query === -1 ? '' : '?…');
}

/** Printable ASCII only (everything else as \xHH or \u{…}), at most about `max` characters out. */
export function safeText(text: string, max: number, keepSpaces = false): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    const piece =
      (code > 0x20 || (keepSpaces && code === 0x20)) && code < 0x7f && char !== '\\'
        ? char
        : code <= 0xff
          ? `\\x${code.toString(16).padStart(2, '0')}`
          : `\\u{${code.toString(16)}}`;
    if (out.length + piece.length > max) return `${out}…(${text.length} chars)`;
    out += piece;
  }
  return out;
}
