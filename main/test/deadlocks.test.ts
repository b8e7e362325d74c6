// Deadlocks between real processes: each agent holds one task's write lock
// and then waits for the next task's. `lockstep locks` reports the cycle
// while it lasts, and stops once one agent gives up (times out).
import { describe, expect, it } from 'vitest';
import type { Deadlock } from '../../shared/model.ts';
import { cleanUpAfterEach, makeTempDir, type Proc, runCli, sleep, spawnWorker } from './helpers.ts';

cleanUpAfterEach();

interface Listing {
  locks: { task_id: string; owner: string; waiters: unknown[] }[];
  deadlocks: Deadlock[];
}

async function listing(root: string): Promise<Listing> {
  const run = await runCli(root, ['--json', 'locks', '--deadlocks']);
  expect(run.code).toBe(0);
  return run.json as Listing;
}

async function until(root: string, test: (l: Listing) => boolean, timeoutMs: number): Promise<Listing> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const l = await listing(root);
    if (test(l)) return l;
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms; last listing: ${JSON.stringify(l)}`);
    await sleep(100);
  }
}

/** Agent i holds task t<i> and waits for t<i+1> (the last waits for t0); agent 0 gives up after `firstTimeoutMs`. */
async function ring(root: string, n: number, firstTimeoutMs: number): Promise<Proc[]> {
  const agents = Array.from({ length: n }, (_, i) =>
    spawnWorker('hold-then-wait', [
      '--root',
      root,
      '--owner',
      `agent-${i}`,
      '--hold',
      `t${i}`,
      '--wait',
      `t${(i + 1) % n}`,
      '--timeout',
      String(i === 0 ? firstTimeoutMs : 60_000),
    ]),
  );
  for (const a of agents) await a.waitForLine((l) => l === 'held');
  for (const a of agents) a.send('go');
  return agents;
}

describe('deadlocks', () => {
  for (const n of [2, 3]) {
    it(`a ${n}-cycle of agents is reported by \`lockstep locks\`, and clears when one times out`, async () => {
      const root = makeTempDir();
      expect((await runCli(root, ['init'])).code).toBe(0);
      // Agent 0 gives up after 20 s: long enough for the CLI runs below to see the cycle even on a loaded
      // machine (a CLI run takes 0.3 s to start on an idle one, several seconds under heavy load). With 10 s,
      // a cycle first seen near the 8 s deadline left the text run below 2 s before it cleared.
      const agents = await ring(root, n, 20_000);

      const seen = await until(root, (l) => l.deadlocks.length > 0, 12_000);
      expect(seen.deadlocks).toHaveLength(1);
      const cycle = seen.deadlocks[0]!;
      expect(cycle.map((m) => m.owner)).toEqual(Array.from({ length: n }, (_, i) => `agent-${i}`));
      cycle.forEach((m, i) => {
        expect(m).toMatchObject({ pid: agents[i]!.pid, holds: `t${i}`, waits_for: `t${(i + 1) % n}`, mode: 'write' });
      });

      const text = await runCli(root, ['locks']);
      expect(text.stdout).toContain(`deadlock: agent-0 (pid ${agents[0]!.pid}) holds t0, waits for t1 → agent-1 (pid ${agents[1]!.pid})`);

      // Agent 0 times out and releases t0: agent n-1 takes it, and every other agent follows.
      expect(await agents[0]!.waitForJson()).toEqual({ waited: 'timeout' });
      const after = await until(root, (l) => l.deadlocks.length === 0, 15_000);
      expect(after.deadlocks).toEqual([]);
      for (const a of agents.slice(1)) expect(await a.waitForJson()).toEqual({ waited: 'acquired' });
      expect((await runCli(root, ['locks'])).stdout).not.toContain('deadlock');
    });
  }

  it('a chain of waits is not a deadlock', async () => {
    const root = makeTempDir();
    expect((await runCli(root, ['init'])).code).toBe(0);
    const a = spawnWorker('hold-then-wait', ['--root', root, '--owner', 'a', '--hold', 'x', '--wait', 'y', '--timeout', '60000']);
    const b = spawnWorker('hold-then-wait', ['--root', root, '--owner', 'b', '--hold', 'y', '--wait', 'z', '--timeout', '60000']);
    await a.waitForLine((l) => l === 'held');
    await b.waitForLine((l) => l === 'held');
    a.send('go');
    const l = await until(root, (x) => x.locks.some((h) => h.task_id === 'y' && h.waiters.length > 0), 15_000);
    expect(l.deadlocks).toEqual([]);
    b.send('go');
    expect(await b.waitForJson()).toEqual({ waited: 'acquired' });
    expect(await a.waitForJson()).toEqual({ waited: 'acquired' });
  });
});
