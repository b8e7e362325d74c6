// The host's log lines: time, level, message and an error's stack; a log
// that cannot be written never throws into the host.
import { describe, expect, it } from 'vitest';
import { lineLogger } from '../../host/logger.ts';

describe('lineLogger', () => {
  it('writes one entry per call with the time, the level and the stack of an error', () => {
    const lines: string[] = [];
    const log = lineLogger(
      (l) => lines.push(l),
      () => new Date('2026-01-01T00:00:00.000Z'),
    );
    log.info('started');
    log.error('refresh failed', new Error('EISDIR: illegal operation on a directory'));
    expect(lines[0]).toBe('2026-01-01T00:00:00.000Z INFO started\n');
    expect(lines[1]).toMatch(
      /^2026-01-01T00:00:00\.000Z ERROR refresh failed\n {2}Error: EISDIR: illegal operation on a directory\n {2}\s*at /,
    );
    expect(lines[1]!.endsWith('\n')).toBe(true);
  });

  it('survives a destination that throws (a closed stderr)', () => {
    const log = lineLogger(() => {
      throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    });
    expect(() => log.warn('still running', 'not an Error')).not.toThrow();
  });
});
