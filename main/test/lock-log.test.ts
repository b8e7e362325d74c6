// The lock log records whole holds: each acquisition, each release with its
// hold time, each time-out and each broken lock, across real processes.
import { describe, expect, it } from 'vitest';
import { appendFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStateStore } from '../engine/index.ts';
import type { LockEvent } from '../../shared/model.ts';
import { cleanUpAfterEach, makeTempDir, runCli, seedStore, sleep, spawnCli, ticketsOf } from './helpers.ts';

cleanUpAfterEach();

function lockLines(root: string): LockEvent[] {
  const dir = join(root, 'logs');
  return readdirSync(dir)
    .filter((n) => n.startsWith('locks-'))
    .sort()
    .flatMap((n) => readFileSync(join(dir, n), 'utf8').split('\n').filter(Boolean))
    .map((l) => JSON.parse(l) as LockEvent);
}

async function waitUntil(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not reached within ${timeoutMs} ms`);
    await sleep(10);
  }
}

describe('lock log', () => {
  it('logs each release with its hold time, paired with its acquisition by token', async () => {
    const root = makeTempDir();
    const store = openStateStore({ root, owner: 'me' });
    await store.init();
    const lock = await store.acquireLock('t1', 'write');
    await sleep(120);
    expect(await store.releaseLock(lock)).toBe(true);
    store.close();

    const lines = lockLines(root).filter((e) => e.task_id === 't1');
    expect(lines.map((e) => e.outcome)).toEqual(['acquired', 'released']);
    const [acquired, released] = lines as [LockEvent, LockEvent];
    expect(released).toMatchObject({ mode: 'write', pid: process.pid, owner: 'me', token: acquired.token, host: acquired.host });
    expect(released.hold_ms).toBeGreaterThanOrEqual(115);
    expect(released.hold_ms).toBeLessThan(2000);
    // One released line alone gives the whole hold: granted at ts - hold_ms.
    expect(Math.abs(Date.parse(released.ts) - released.hold_ms! - Date.parse(acquired.ts))).toBeLessThanOrEqual(2);
  });

  it('a commit logs its write lock: one acquisition and one release', async () => {
    const root = makeTempDir();
    await seedStore({ root }, { c: { n: 1 } });
    const lines = lockLines(root).filter((e) => e.task_id === 'c');
    expect(lines.map((e) => e.outcome)).toEqual(['acquired', 'released']);
    expect(lines[1]!.hold_ms).toBeGreaterThanOrEqual(0);
  });

  it("another process waiting behind a holder: its wait and the holder's hold are both on record", async () => {
    const root = makeTempDir();
    await runCli(root, ['init']);
    const holder = spawnCli(root, ['--json', 'lock', 'acquire', 'w', '--hold', '30000', '--owner', 'agent-1']);
    await holder.waitForJson();
    const heldSince = Date.now();
    // The holder lets go only once the waiter has queued: a fixed --hold raced the waiter's start-up
    // (a CLI can take more than 400 ms to start on 2 loaded cores, and then it never waited at all).
    const waiter = spawnCli(root, ['--json', 'lock', 'acquire', 'w', '--hold', '0', '--owner', 'agent-2', '--timeout', '20000']);
    await waitUntil(() => ticketsOf(join(root, 'tasks', 'task-w', 'state.lock')).length >= 2);
    await sleep(heldSince + 400 - Date.now());
    holder.signal('SIGTERM');
    expect((await holder.waitExit()).code).toBe(0);
    expect((await waiter.waitExit()).code, waiter.stderr).toBe(0);

    const lines = lockLines(root).filter((e) => e.task_id === 'w');
    const held1 = lines.find((e) => e.outcome === 'released' && e.owner === 'agent-1')!;
    const got2 = lines.find((e) => e.outcome === 'acquired' && e.owner === 'agent-2')!;
    expect(held1.pid).toBe(holder.pid);
    expect(held1.hold_ms).toBeGreaterThanOrEqual(400);
    expect(got2.wait_ms).toBeGreaterThan(0);
    // agent-2 was granted the lock only after agent-1 released it.
    expect(Date.parse(got2.ts)).toBeGreaterThanOrEqual(Date.parse(held1.ts));
  });

  it('a time-out is logged under the owner the waiter asked with', async () => {
    const root = makeTempDir();
    await runCli(root, ['init']);
    const holder = spawnCli(root, ['--json', 'lock', 'acquire', 'x', '--hold', '30000', '--owner', 'agent-1']);
    await holder.waitForJson();
    expect((await runCli(root, ['--json', 'lock', 'acquire', 'x', '--owner', 'agent-9', '--timeout', '200'])).code).toBe(4);
    const timeout = lockLines(root).find((e) => e.outcome === 'timeout')!;
    expect(timeout).toMatchObject({ task_id: 'x', owner: 'agent-9', mode: 'write' });
    expect(timeout.wait_ms).toBeGreaterThanOrEqual(190);
  });

  it('a lock broken after its holder was killed is logged with the dead holder', async () => {
    const root = makeTempDir();
    await runCli(root, ['init']);
    const holder = spawnCli(root, ['--json', 'lock', 'acquire', 'k', '--hold', '30000', '--owner', 'doomed']);
    const record = await holder.waitForJson<{ token?: string }>();
    holder.signal('SIGKILL');
    await holder.waitExit();
    expect((await runCli(root, ['--json', 'lock', 'acquire', 'k', '--hold', '0', '--owner', 'next'])).code).toBe(0);

    const broken = lockLines(root).find((e) => e.outcome === 'broken')!;
    expect(broken).toMatchObject({ task_id: 'k', pid: holder.pid, owner: 'doomed', mode: 'write' });
    expect(broken.reason).toMatch(/dead|not running|gone/i);
    expect(record).toBeDefined();
  });

  it('contention counts acquisitions once, and old lines without the new fields still count', async () => {
    const root = makeTempDir();
    const store = openStateStore({ root });
    await store.init();
    for (let i = 0; i < 3; i++) await store.updateTaskState('n', { i });
    // A line as an earlier version wrote it: no token, host or hold.
    mkdirSync(join(root, 'logs'), { recursive: true });
    const day = new Date().toISOString().slice(0, 10);
    appendFileSync(
      join(root, 'logs', `locks-${day}.jsonl`),
      `${JSON.stringify({ ts: new Date().toISOString(), task_id: 'n', mode: 'write', pid: 1, owner: 'old', wait_ms: 7, outcome: 'acquired' })}\n`,
    );
    const [stats] = await store.getContention({ windowMs: 60_000 });
    store.close();
    expect(stats).toMatchObject({ task_id: 'n', acquisitions: 4, timeouts: 0 });
    expect(stats!.wait_max_ms).toBeGreaterThanOrEqual(7);
  });
});
