// write(2) may accept fewer bytes than asked (a full disk, network
// filesystems). The log appends must finish the line, and a write that
// accepts nothing is reported instead of silently dropping the entry.
//
// The filesystem's behaviour is simulated: writeSync on files under logs/
// accepts at most `faults.cap` bytes per call. Everything else is real.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { openStateStore } from '../engine/index.ts';
import { makeTempDir, removeTempDirs } from './helpers.ts';

const faults = vi.hoisted(() => ({ cap: Number.POSITIVE_INFINITY, logFds: new Set<number>() }));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const openSync = (...args: Parameters<typeof fs.openSync>): number => {
    const fd = fs.openSync(...args);
    if (String(args[0]).includes(`${sep}logs${sep}`)) faults.logFds.add(fd);
    else faults.logFds.delete(fd);
    return fd;
  };
  const writeSync = (fd: number, data: string | NodeJS.ArrayBufferView, ...rest: unknown[]): number => {
    if (!faults.logFds.has(fd) || faults.cap === Number.POSITIVE_INFINITY) {
      return (fs.writeSync as (...a: unknown[]) => number)(fd, data, ...rest);
    }
    if (typeof data === 'string') {
      const buf = Buffer.from(data, (rest[1] as BufferEncoding | undefined) ?? 'utf8');
      return faults.cap === 0 ? 0 : fs.writeSync(fd, buf, 0, Math.min(faults.cap, buf.length));
    }
    const offset = (rest[0] as number | undefined) ?? 0;
    const length = (rest[1] as number | undefined) ?? data.byteLength - offset;
    return faults.cap === 0 ? 0 : fs.writeSync(fd, data, offset, Math.min(faults.cap, length));
  };
  const mocked = { ...fs, openSync, writeSync };
  return { ...mocked, default: mocked };
});

afterEach(() => {
  faults.cap = Number.POSITIVE_INFINITY;
  removeTempDirs();
});

function logLines(root: string, kind: 'audit' | 'locks'): string[] {
  const dir = join(root, 'logs');
  return readdirSync(dir)
    .filter((n) => n.startsWith(`${kind}-`))
    .flatMap((n) => readFileSync(join(dir, n), 'utf8').split('\n'))
    .filter((l) => l !== '');
}

describe('log appends under short writes', () => {
  it('a filesystem that takes 7 bytes per write still gets every line whole', async () => {
    const root = makeTempDir();
    const store = openStateStore({ root });
    faults.cap = 7;
    for (let n = 1; n <= 3; n++) await store.updateTaskState('t', { n, note: 'a line much longer than seven bytes' });
    const lock = await store.acquireLock('t', 'read', { timeout: 1000 });
    await store.releaseLock(lock);
    store.close(); // writes the release line, which waits for the next lock line otherwise
    faults.cap = Number.POSITIVE_INFINITY;

    const audit = logLines(root, 'audit').map((l) => JSON.parse(l) as { new_version: number });
    expect(audit.map((e) => e.new_version)).toEqual([1, 2, 3]);
    expect((await store.readAuditLog({ task: 't' })).map((e) => e.new_version)).toEqual([1, 2, 3]);
    const locks = logLines(root, 'locks').map((l) => JSON.parse(l) as { task_id: string; mode: string; outcome: string });
    expect(locks.filter((e) => e.mode === 'read').map((e) => e.outcome)).toEqual(['acquired', 'released']);
  });

  it('a write that accepts nothing is reported, and the change it was logging still stands', async () => {
    const root = makeTempDir();
    const store = openStateStore({ root });
    const errors: string[] = [];
    store.on('state.log_error', (e) => errors.push(e.message));
    await store.updateTaskState('t', { n: 1 }); // opens the log
    faults.cap = 0;
    const state = await store.updateTaskState('t', { n: 2 });
    // The commit's lock lines wait for the next lock-log write (or 50 ms): a lock taken now writes them.
    await store.releaseLock(await store.acquireLock('t', 'write'));
    faults.cap = Number.POSITIVE_INFINITY;
    expect(state.version).toBe(2);
    expect(await store.getTaskState('t')).toMatchObject({ version: 2, n: 2 });
    // One for the audit line, one for the lock log's write (the lock's acquisition, with the commit's lines before it).
    expect(errors).toHaveLength(2);
    for (const message of errors) expect(message).toMatch(/^short write to .*: 0 of \d+ bytes written/);
    expect(errors.some((m) => m.includes(join(root, 'logs', 'audit-')))).toBe(true);
    expect(errors.some((m) => m.includes(join(root, 'logs', 'locks-')))).toBe(true);
    // The log holds the first entry whole, and takes new ones once the filesystem recovers.
    await store.updateTaskState('t', { n: 3 });
    expect((await store.readAuditLog({ task: 't' })).map((e) => e.new_version)).toEqual([1, 3]);
    store.close();
  });
});
