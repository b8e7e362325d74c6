// The stderr lines of refused requests: one per request, printable, no
// token, and bounded under a flood while every kind still shows.
import { describe, expect, it } from 'vitest';
import { RefusalLog, renderTarget } from '../../host/refusal-log.ts';
import { sleep } from '../helpers.ts';

function capture(windowMs?: number): { lines: string[]; log: RefusalLog } {
  const lines: string[] = [];
  const log = new RefusalLog((line) => lines.push(line), { windowMs, now: () => new Date('2025-01-02T03:04:05.678Z') });
  return { lines, log };
}

describe('RefusalLog', () => {
  it('prints one line per refusal: time, outcome, status, reason, method and path', () => {
    const { lines, log } = capture();
    log.note({ status: 400, reason: 'malformed percent-encoding', method: 'GET', target: '/%E0%A4%A' });
    log.note({ status: 1009, reason: 'WebSocket message over the size limit', method: 'WS', target: '/api' });
    log.note({
      status: 500,
      reason: 'answer that cannot be serialized',
      method: 'WS',
      target: '/api',
      detail: 'the value is nested too deeply',
      outcome: 'failed',
    });
    expect(lines).toEqual([
      'lockstep serve: 2025-01-02T03:04:05.678Z refused 400 malformed percent-encoding: GET /%E0%A4%A\n',
      'lockstep serve: 2025-01-02T03:04:05.678Z refused 1009 WebSocket message over the size limit: WS /api\n',
      'lockstep serve: 2025-01-02T03:04:05.678Z failed 500 answer that cannot be serialized: WS /api (the value is nested too deeply)\n',
    ]);
    log.close();
  });

  it('never prints a query (the page URL carries the token), control characters or unbounded paths', () => {
    expect(renderTarget('/api?token=secret-token')).toBe('/api?…');
    expect(renderTarget('/a b\r\n\x1b[31mred\u2028')).toBe('/a\\x20b\\x0d\\x0a\\x1b[31mred\\u{2028}');
    const long = renderTarget(`/${'a'.repeat(10_000)}`);
    expect(long.length).toBeLessThan(150);
    expect(long).toMatch(/…\(10001 chars\)$/);
    // Escapes count too: a path of bytes that each print as \xHH stays as short.
    expect(renderTarget(`/${'\u00ff'.repeat(1000)}`).length).toBeLessThan(150);
    const { lines, log } = capture();
    log.note({ status: 501, reason: 'unknown method', method: `X${'Y'.repeat(500)}\n`, target: '/?token=abc' });
    expect(lines[0]).not.toContain('abc');
    expect(lines[0]!.length).toBeLessThan(200);
    expect(lines[0]!.trimEnd()).toMatch(/^[\x20-\x7e…]+$/);
    log.close();
  });

  it('under a flood prints the first 5 of each kind, then how many more, and every kind at least once', async () => {
    const { lines, log } = capture(200);
    for (let i = 0; i < 10_000; i++) log.note({ status: 400, reason: 'malformed percent-encoding', method: 'GET', target: `/%${i}` });
    log.note({ status: 421, reason: 'unknown Host header', method: 'GET', target: '/' });
    expect(lines).toHaveLength(6);
    expect(lines.filter((l) => l.includes('421 unknown Host header'))).toHaveLength(1);
    await sleep(300); // the window ends: the count of what was held back
    expect(lines).toHaveLength(7);
    expect(lines[6]).toBe(
      'lockstep serve: 2025-01-02T03:04:05.678Z refused 400 malformed percent-encoding: 9995 more in the last 200 ms, not shown\n',
    );
    // A new window prints again.
    log.note({ status: 400, reason: 'malformed percent-encoding', method: 'GET', target: '/%' });
    expect(lines).toHaveLength(8);
    log.close();
  });
});
