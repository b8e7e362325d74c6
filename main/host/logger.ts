// The host's logger: one line per entry, with the time and the level, and an
// error's stack. `serve` writes to stderr; the desktop app injects a logger
// that writes to a rotating file (main/electron/log-file.ts).
export type LogLevel = 'info' | 'warn' | 'error';

export interface Logger {
  info(message: string): void;
  warn(message: string, error?: unknown): void;
  error(message: string, error?: unknown): void;
}

/** The text of an error for a log line: its stack when it has one. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}

/** A logger that hands each finished line (newline included) to `write`. */
export function lineLogger(write: (line: string) => void, now: () => Date = () => new Date()): Logger {
  const log = (level: LogLevel, message: string, error?: unknown) => {
    const detail = error === undefined ? '' : `\n  ${describeError(error).replace(/\n/g, '\n  ')}`;
    try {
      write(`${now().toISOString()} ${level.toUpperCase()} ${message}${detail}\n`);
    } catch {
      // A log that cannot be written (a closed stderr, a full disk) must not take the host down with it.
    }
  };
  return {
    info: (message) => log('info', message),
    warn: (message, error) => log('warn', message, error),
    error: (message, error) => log('error', message, error),
  };
}

export const stderrLogger: Logger = lineLogger((line) => process.stderr.write(line));
