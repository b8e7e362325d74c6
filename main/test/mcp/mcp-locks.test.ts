// Locks held across MCP calls, with real processes: two agents contend for
// one write lock; a disconnect, a killed agent and a killed server each free
// what was held.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { PROGRESS_INTERVAL_MS } from '../../mcp/server.ts';
import { BIN, killChildren, makeTempDir, removeTempDirs, runCli, sleep, spawnWorker } from '../helpers.ts';
import { closeMcpSessions, connectMcp, serverExit } from './mcp-client.ts';

afterEach(async () => {
  await closeMcpSessions();
  await killChildren();
  removeTempDirs();
});

interface Held {
  handle: string;
  task_id: string;
  mode: string;
  owner: string;
  pid: number;
  acquired_at: string;
  expires_at: string;
}

interface Listed {
  task_id: string;
  owner: string;
  pid: number;
  alive: string;
}

async function locksOf(root: string): Promise<Listed[]> {
  const r = await runCli(root, ['--json', 'locks']);
  expect(r.code).toBe(0);
  return r.json as Listed[];
}

describe('lockstep mcp: locks held across calls', () => {
  it('two clients contend for one write lock: the second times out, then gets it once the first releases', async () => {
    const root = makeTempDir();
    const a = await connectMcp(root, { name: 'agent-a' });
    const b = await connectMcp(root, { name: 'agent-b' });
    await a.ok('update_task', { task_id: 't', changes: { status: 'todo' } });

    const held = await a.ok<Held>('acquire_lock', { task_id: 't', mode: 'write' });
    expect(held).toMatchObject({ task_id: 't', mode: 'write', owner: 'agent-a', pid: a.pid });
    expect(held.handle).toMatch(/^lock-[0-9a-f]+$/);
    // Other processes see the lock as agent-a's, held by the server process.
    expect(await locksOf(root)).toMatchObject([{ task_id: 't', owner: 'agent-a', pid: a.pid, alive: 'alive' }]);

    const started = Date.now();
    const timedOut = await b.call('acquire_lock', { task_id: 't', timeout_ms: 300 });
    expect(timedOut).toMatchObject({ isError: true, error: { code: 'LOCK_TIMEOUT' } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    // A plain write from another agent waits for the lock too, and gives up.
    expect(await b.call('update_task', { task_id: 't', changes: { status: 'stolen' }, timeout_ms: 200 })).toMatchObject({
      isError: true,
      error: { code: 'LOCK_TIMEOUT' },
    });
    expect((await runCli(root, ['task', 'update', 't', '{"status":"cli"}', '--timeout', '200'])).code).toBe(4);

    // While b waits, a reads, commits under its lock, and releases.
    const waiting = b.call<Held>('acquire_lock', { task_id: 't', timeout_ms: 30_000 });
    const state = await a.ok<{ version: number }>('get_task', { task_id: 't' });
    const committed = await a.ok('update_task', {
      task_id: 't',
      changes: { status: 'done-by-a' },
      expected_version: state.version,
      lock: held.handle,
    });
    expect(committed).toMatchObject({ version: 2, status: 'done-by-a', updated_by: { owner: 'agent-a' } });
    const listed = await a.ok<{ locks: (Listed & { handle?: string; waiters: { owner: string }[] })[] }>('list_locks');
    expect(listed.locks).toMatchObject([{ task_id: 't', owner: 'agent-a', handle: held.handle, waiters: [{ owner: 'agent-b' }] }]);
    const releasedAt = Date.now();
    expect(await a.ok('release_lock', { handle: held.handle })).toEqual({ handle: held.handle, released: true, lost: false });

    const taken = await waiting;
    expect(taken.isError).toBe(false);
    expect(taken.value).toMatchObject({ task_id: 't', owner: 'agent-b', pid: b.pid });
    expect(Date.parse(taken.value.acquired_at)).toBeGreaterThanOrEqual(releasedAt - 1_000); // clocks of two processes: same host
    expect(await locksOf(root)).toMatchObject([{ task_id: 't', owner: 'agent-b', pid: b.pid }]);

    // a's handle is spent; b commits under its own lock.
    expect(await a.call('update_task', { task_id: 't', changes: {}, lock: held.handle })).toMatchObject({
      isError: true,
      error: { code: 'NOT_FOUND' },
    });
    expect(await b.call('update_task', { task_id: 'other', changes: {}, lock: taken.value.handle })).toMatchObject({
      isError: true,
      error: { code: 'INVALID_INPUT' },
    });
    expect(
      await b.ok('update_task', { task_id: 't', changes: { status: 'done-by-b' }, expected_version: 2, lock: taken.value.handle }),
    ).toMatchObject({ version: 3 });
    await b.ok('release_lock', { handle: taken.value.handle });
    expect(await locksOf(root)).toEqual([]);
  });

  it('a wait longer than the client time-out: progress keeps it alive; a cancelled wait gives its lock back at once', async () => {
    const root = makeTempDir();
    const a = await connectMcp(root, { name: 'slow-holder' });
    const b = await connectMcp(root, { name: 'waiter' });
    const held = await a.ok<Held>('acquire_lock', { task_id: 'p' });

    // The client gives up after 1.5 s and cancels; the server's wait goes on in the engine.
    await expect(
      b.client.callTool({ name: 'acquire_lock', arguments: { task_id: 'p', timeout_ms: 30_000 } }, undefined, { timeout: 1_500 }),
    ).rejects.toThrow(/timed out/i);

    // With progress notifications resetting its time-out, a client waits as long as the lock takes.
    let progress = 0;
    const patient = b.client.callTool({ name: 'acquire_lock', arguments: { task_id: 'p', timeout_ms: 30_000 } }, undefined, {
      timeout: PROGRESS_INTERVAL_MS + 1_500,
      resetTimeoutOnProgress: true,
      onprogress: () => progress++,
    });
    await sleep(3 * PROGRESS_INTERVAL_MS + 1_000);
    // The wait has outlived the client's own time-out by now. Three notifications are awaited rather than
    // assumed in those 7 s: the server's 2 s timer can run late on a loaded machine (the call would fail then).
    await expect.poll(() => progress, { timeout: 20_000, interval: 50 }).toBeGreaterThanOrEqual(3);
    await a.ok('release_lock', { handle: held.handle });
    const result = (await patient) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(progress).toBeGreaterThanOrEqual(3);
    const handle = (JSON.parse((result.content[0] as { text: string }).text) as Held).handle;

    // The cancelled wait was first in line: it got the lock, found nobody waiting for it, and released it.
    const table = await b.ok<{ locks: (Listed & { handle?: string })[] }>('list_locks');
    expect(table.locks).toMatchObject([{ task_id: 'p', owner: 'waiter', handle }]);
    expect(b.stderr()).not.toContain('internal error');
  });

  it('read locks are shared; a read lock cannot commit', async () => {
    const root = makeTempDir();
    const a = await connectMcp(root, { name: 'reader-a' });
    const b = await connectMcp(root, { name: 'reader-b', args: ['--owner', 'reviewer-bot'] });
    const ra = await a.ok<Held>('acquire_lock', { task_id: 'r', mode: 'read' });
    const rb = await b.ok<Held>('acquire_lock', { task_id: 'r', mode: 'read', timeout_ms: 1_000 });
    expect(rb.owner).toBe('reviewer-bot'); // --owner wins over the client's name
    expect((await locksOf(root)).map((l) => l.owner).sort()).toEqual(['reader-a', 'reviewer-bot']);
    expect(await a.call('update_task', { task_id: 'r', changes: { x: 1 }, lock: ra.handle })).toMatchObject({
      isError: true,
      error: { code: 'INVALID_INPUT' },
    });
    await a.ok('release_lock', { handle: ra.handle });
    await b.ok('release_lock', { handle: rb.handle });
  });

  it('a client that disconnects releases every lock it held, and its server exits', async () => {
    const root = makeTempDir();
    const a = await connectMcp(root, { name: 'leaver' });
    await a.ok('acquire_lock', { task_id: 'x1' });
    await a.ok('acquire_lock', { task_id: 'x2', mode: 'read' });
    expect((await locksOf(root)).map((l) => l.task_id).sort()).toEqual(['x1', 'x2']);
    const pid = a.pid;
    await a.close(); // closes the server's stdin
    await serverExit(pid);
    expect(a.stderr()).toContain('released 2 lock(s) held by leaver');
    expect(await locksOf(root)).toEqual([]);
  });

  it('SIGTERM to the server releases its locks before it exits', async () => {
    const root = makeTempDir();
    const a = await connectMcp(root, { name: 'terminated' });
    await a.ok('acquire_lock', { task_id: 'st' });
    process.kill(a.pid, 'SIGTERM');
    await serverExit(a.pid);
    expect(a.stderr()).toContain('SIGTERM: released 1 lock(s) held by terminated');
    expect(await locksOf(root)).toEqual([]);
  });

  it("killing the agent's process (kill -9) frees its lock: the server sees stdin close and releases it", async () => {
    const root = makeTempDir();
    const holder = spawnWorker('../mcp/mcp-holder', [BIN, root, 'doomed-agent', 'k']);
    const line = await holder.waitForJson<{ held: Held; server_pid: number; is_error: boolean }>(() => true, 30_000);
    expect(line.is_error).toBe(false);
    expect(await locksOf(root)).toMatchObject([{ task_id: 'k', owner: 'doomed-agent', pid: line.server_pid }]);

    const b = await connectMcp(root, { name: 'survivor' });
    const killedAt = Date.now();
    holder.signal('SIGKILL');
    const taken = await b.ok<Held>('acquire_lock', { task_id: 'k', timeout_ms: 20_000 });
    expect(taken.owner).toBe('survivor');
    // Released by the orphaned server at once, long before the 10 s lease would have run out. (8 s, not 5:
    // the server must notice its stdin close and the waiter wake, and either can wait for a core under load.)
    expect(Date.now() - killedAt).toBeLessThan(8_000);
    await serverExit(line.server_pid);
  });

  it('a server stopped past its lease loses the lock: the late commit under it is refused, and release says lost', async () => {
    const root = makeTempDir();
    writeFileSync(join(root, 'config.json'), JSON.stringify({ lease_ms: 1_000 }));
    const a = await connectMcp(root, { name: 'stalled' });
    const b = await connectMcp(root, { name: 'patient' });
    await a.ok('update_task', { task_id: 's', changes: { status: 'todo' } });
    const held = await a.ok<Held>('acquire_lock', { task_id: 's' });
    process.kill(a.pid, 'SIGSTOP'); // a debugger, swap, a suspended VM…
    try {
      const taken = await b.ok<Held>('acquire_lock', { task_id: 's', timeout_ms: 20_000 });
      await b.ok('update_task', { task_id: 's', changes: { status: 'b-wins' }, expected_version: 1, lock: taken.handle });
      await b.ok('release_lock', { handle: taken.handle });
    } finally {
      process.kill(a.pid, 'SIGCONT');
    }
    const late = await a.call('update_task', { task_id: 's', changes: { status: 'a-late' }, lock: held.handle });
    expect(late.isError).toBe(true);
    expect(['LOCK_TIMEOUT', 'VERSION_CONFLICT']).toContain(late.error.code); // refused by the heartbeat's finding, or by the commit's fence
    expect(await a.ok('release_lock', { handle: held.handle })).toEqual({ handle: held.handle, released: true, lost: true });
    expect(await b.ok('get_task', { task_id: 's' })).toMatchObject({ version: 2, status: 'b-wins' });
  });

  it('killing the server process (kill -9) frees the lock within the lease', async () => {
    const root = makeTempDir();
    const leaseMs = 2_000;
    writeFileSync(join(root, 'config.json'), JSON.stringify({ lease_ms: leaseMs }));
    const a = await connectMcp(root, { name: 'crashing' });
    await a.ok('acquire_lock', { task_id: 'z' });
    const b = await connectMcp(root, { name: 'next-in-line' });
    const waiting = b.call<Held>('acquire_lock', { task_id: 'z', timeout_ms: 30_000 });
    const killedAt = Date.now();
    process.kill(a.pid, 'SIGKILL');
    const taken = await waiting;
    const tookMs = Date.now() - killedAt;
    expect(taken.isError).toBe(false);
    expect(taken.value.owner).toBe('next-in-line');
    // Nobody released it: the waiter found the holder dead (same host) or its lease run out.
    expect(tookMs).toBeLessThanOrEqual(leaseMs + 1_000);
    console.log(`lock of a killed MCP server taken over after ${tookMs} ms (lease ${leaseMs} ms)`);
  });
});
