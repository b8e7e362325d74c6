// The desktop log rotates by size and keeps a bounded number of old files.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rotatingFileLogger } from '../../electron/log-file.ts';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('rotatingFileLogger', () => {
  it('writes whole lines, rotates past the size limit and keeps at most `keep` old files', () => {
    dir = join(mkdtempSync(join(tmpdir(), 'lockstep-logs-')), 'logs'); // created on first use
    const log = rotatingFileLogger(dir, { maxBytes: 400, keep: 2 });
    for (let i = 0; i < 40; i++) log.error(`refresh ${i} failed`, new Error(`cause ${i}`));
    expect(readdirSync(dir).sort()).toEqual(['main.1.log', 'main.2.log', 'main.log']);
    const newest = readFileSync(join(dir, 'main.log'), 'utf8');
    expect(newest).toMatch(/ERROR refresh 39 failed\n {2}Error: cause 39/);
    for (const name of readdirSync(dir)) {
      const text = readFileSync(join(dir, name), 'utf8');
      expect(text.endsWith('\n')).toBe(true);
      expect(text.split('\n')[0]).toMatch(/^\d{4}-\d\d-\d\dT.* ERROR refresh \d+ failed$/);
    }
    // A new logger on the same folder continues the file it finds.
    rotatingFileLogger(dir, { maxBytes: 100_000, keep: 2 }).info('restarted');
    expect(readFileSync(join(dir, 'main.log'), 'utf8')).toContain(newest.slice(0, 40));
  });
});
