// How results and errors reach the terminal. With --json, stdout carries
// exactly one JSON document; errors are always one line on stderr.
import { EXIT_CODES, type ErrorCode } from '../../shared/errors.ts';
import { LockstepError } from '../engine/public.ts';

export class Output {
  readonly json: boolean;
  constructor(json: boolean) {
    this.json = json;
  }

  /** Print a result: JSON with --json, otherwise the human form (pretty JSON if none). */
  result(value: unknown, human?: () => string): void {
    if (this.json) process.stdout.write(`${JSON.stringify(value)}\n`);
    else process.stdout.write(`${human ? human() : JSON.stringify(value, null, 2)}\n`);
  }

  /** One JSON line (lock acquire, log --follow), flushed immediately. */
  line(value: unknown, human?: string): void {
    process.stdout.write(`${this.json || human === undefined ? JSON.stringify(value) : human}\n`);
  }

  error(err: unknown): number {
    const code: ErrorCode = err instanceof LockstepError ? err.code : 'INTERNAL';
    const message = err instanceof Error ? err.message : String(err);
    const oneLine = message.replace(/\s*\n\s*/g, ' ');
    if (this.json) process.stderr.write(`${JSON.stringify({ error: { code, message: oneLine } })}\n`);
    else process.stderr.write(`lockstep: ${oneLine}\n`);
    return EXIT_CODES[code];
  }
}

/** A fixed-width table for listings in human mode. */
export function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((r) => columns.map((c) => formatCell(r[c])));
  const widths = columns.map((c, i) => Math.min(48, Math.max(c.length, ...cells.map((row) => row[i]!.length))));
  const fmt = (row: string[]) =>
    row
      .map((cell, i) => cell.slice(0, 48).padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [fmt(columns.map((c) => c.toUpperCase())), ...cells.map(fmt)].join('\n');
}

function formatCell(v: unknown): string {
  if (v === undefined || v === null) return '-';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
