// The audit and lock logs are appended to by a fixed name in a folder that
// several users may share: a symlink put in their place must not lead the
// append into someone else's file. The refusal is reported (state.log_error)
// and never fails the change it was logging.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStateStore } from '../engine/index.ts';
import { makeTempDir, removeTempDirs, runCli } from './helpers.ts';

afterEach(() => removeTempDirs());

/** Today's and tomorrow's (UTC) log names, so a run across midnight still hits a planted link. */
function logNames(kind: 'audit' | 'locks'): string[] {
  const day = (offset: number) => new Date(Date.now() + offset).toISOString().slice(0, 10);
  return [...new Set([day(0), day(60_000)])].map((d) => `${kind}-${d}.jsonl`);
}

/** A root whose logs/<kind>-<date>.jsonl are symlinks to a file outside the root. */
function plantLinks(kind: 'audit' | 'locks'): { root: string; victim: string; links: string[] } {
  const dir = makeTempDir();
  const root = join(dir, 'root');
  mkdirSync(join(root, 'logs'), { recursive: true });
  const victim = join(dir, 'someone-elses-file.txt');
  writeFileSync(victim, 'precious\n');
  const links = logNames(kind).map((name) => join(root, 'logs', name));
  for (const link of links) symlinkSync(victim, link);
  return { root, victim, links };
}

describe('log files that are symlinks', () => {
  it('the audit log is not appended through a symlink; the update still succeeds and the refusal is reported', async () => {
    const { root, victim, links } = plantLinks('audit');
    const store = openStateStore({ root });
    const errors: string[] = [];
    store.on('state.log_error', (e) => errors.push(e.message));
    const state = await store.updateTaskState('t', { n: 1 });
    expect(state.version).toBe(1);
    expect(await store.getTaskState('t')).toMatchObject({ version: 1, n: 1 });
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/symbolic link/);
    expect(links.some((l) => errors[0]!.includes(l))).toBe(true);
    store.close();

    // Another process (the CLI) commits too, and leaves the file alone.
    const cli = await runCli(root, ['--json', 'task', 'update', 't', '{"n":2}']);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.json).toMatchObject({ version: 2, n: 2 });
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    // ...and tells its user that the change was not logged, on one stderr line.
    expect(cli.stderr).toMatch(/^lockstep: warning: .*symbolic link.*\n$/);
  });

  it('the lock log is not appended through a symlink; the lock is still taken and the refusal is reported', async () => {
    const { root, victim, links } = plantLinks('locks');
    const store = openStateStore({ root });
    const errors: string[] = [];
    store.on('state.log_error', (e) => errors.push(e.message));
    const lock = await store.acquireLock('t', 'write', { timeout: 1000 });
    await store.updateTaskState('t', { n: 1 }, { lock });
    await store.releaseLock(lock);
    expect(await store.getTaskState('t')).toMatchObject({ version: 1 });
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors[0]).toMatch(/symbolic link/);
    expect(links.some((l) => errors[0]!.includes(l))).toBe(true);
    // The audit log, a regular file, was written as usual.
    expect(readdirSync(join(root, 'logs')).some((n) => n.startsWith('audit-'))).toBe(true);
    expect((await store.readAuditLog({ task: 't' })).map((e) => e.new_version)).toEqual([1]);
    store.close();
  });
});
