// The etcd backend with real processes and real faults: a lock holder killed
// (-9) or frozen (SIGSTOP) past its lease, and the cluster's leader killed
// under load. (8 x 100 concurrent increments run on both backends in
// no-lost-updates.test.ts.)
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../shared/model.ts';
import { killChildren, sleep, type Proc } from '../helpers.ts';
import { closeStores, etcdFixture, spawnEtcdWorker } from './setup.ts';

afterEach(async () => {
  await killChildren();
  await closeStores();
});

async function runIncrementers(fx: Awaited<ReturnType<typeof etcdFixture>>, task: string, processes: number, count: number) {
  const workers: Proc[] = [];
  for (let i = 0; i < processes; i++) workers.push(spawnEtcdWorker(fx, ['--mode', 'increment', '--task', task, '--count', String(count)]));
  await Promise.all(workers.map((w) => w.waitForLine((l) => l === 'ready', 30_000)));
  const started = Date.now();
  for (const w of workers) w.send('go');
  const results = await Promise.all(
    workers.map((w) => w.waitForJson<{ done: number; conflicts: number; error?: unknown }>((v) => 'done' in v, 170_000)),
  );
  return { results, ms: Date.now() - started };
}

describe('etcd: processes and faults', () => {
  it('4 processes making plain updates (no expected version) to one task all finish: none starves, none is lost', async () => {
    const fx = await etcdFixture('plain');
    await fx.store.updateTaskState('hot', { started: true });
    const count = 60;
    const workers = Array.from({ length: 4 }, () => spawnEtcdWorker(fx, ['--mode', 'plain', '--task', 'hot', '--count', String(count)]));
    await Promise.all(workers.map((w) => w.waitForLine((l) => l === 'ready', 30_000)));
    for (const w of workers) w.send('go');
    const results = await Promise.all(workers.map((w) => w.waitForJson<{ done: number; error?: string }>((v) => 'done' in v, 170_000)));
    // Racing alone, one of them once lost 50 rounds in a row and gave up with a conflict.
    expect(results).toEqual(workers.map(() => ({ done: count })));
    // Instead, a writer that keeps losing takes its turn in the lock queue (the timeline shows it as a holder).
    const [hot] = await fx.store.getContention({ windowMs: 10 * 60_000 });
    expect(hot).toMatchObject({ task_id: 'hot' });
    expect(hot!.acquisitions).toBeGreaterThan(0);
    const final = (await fx.store.getTaskState('hot'))!;
    expect(final.version).toBe(1 + 4 * count);
    for (const w of workers) expect(final[`w${w.pid}`]).toBe(count);
  }, 200_000);

  it('frees a lock within its lease + 2 s after kill -9 of the holder', async () => {
    const fx = await etcdFixture('kill9', { lease_ms: 2000 });
    const holder = spawnEtcdWorker(fx, ['--mode', 'hold', '--task', 't', '--lease', '2000']);
    await holder.waitForJson((v) => v.held === true, 30_000);
    // Wait for a keep-alive or two, so the lease is not simply fresh from its grant.
    await sleep(1000);
    const waiting = fx.store.acquireLock('t', 'write', { timeout: 15_000 });
    await expect.poll(async () => (await fx.store.lockSummaries(['t']))[0]?.waiters.length, { timeout: 5000 }).toBe(1);
    const killedAt = Date.now();
    holder.signal('SIGKILL');
    const lock = await waiting;
    const handOver = Date.now() - killedAt;
    console.log(`etcd 3 members: lock handed over ${handOver} ms after kill -9 of the holder (lease 2 s)`);
    // The lease ends up to its TTL after the last keep-alive, the leader looks for expired leases every
    // 500 ms and the revoke is another Raft commit: 2.5 s left no room for a loaded 2-core machine. 4 s still
    // rules out waiting for the 15 s time-out.
    expect(handOver).toBeLessThan(4000);
    expect((await fx.store.listLocks()).map((h) => h.pid)).toEqual([process.pid]);
    await fx.store.releaseLock(lock);
  });

  it('refuses the late commit of a holder frozen past its lease', async () => {
    const fx = await etcdFixture('sigstop', { lease_ms: 2000 });
    await fx.store.updateTaskState('t', { by: 'setup' });
    const holder = spawnEtcdWorker(fx, ['--mode', 'paused', '--task', 't', '--lease', '2000']);
    const ready = await holder.waitForJson<{ ready?: boolean; version: number }>((v) => v.ready === true, 30_000);
    expect(ready.version).toBe(1);
    holder.signal('SIGSTOP');
    // The next writer gets the lock once the frozen holder's lease ran out, and commits.
    const next = await fx.store.acquireLock('t', 'write', { timeout: 15_000 });
    await fx.store.updateTaskState('t', { by: 'next-holder' }, { lock: next });
    holder.signal('SIGCONT');
    holder.send('commit');
    const outcome = await holder.waitForJson<{ result: string; code?: string; message?: string }>((v) => 'result' in v, 30_000);
    expect(outcome).toMatchObject({ result: 'error', code: 'VERSION_CONFLICT' });
    expect(outcome.message).toMatch(/lease ran out/);
    expect(await holder.waitForJson((v) => 'refreshed' in v)).toEqual({ refreshed: false });
    expect(await holder.waitForJson((v) => 'released' in v)).toEqual({ released: false });
    expect(await fx.store.getTaskState('t')).toMatchObject({ version: 2, by: 'next-holder' });
    await fx.store.releaseLock(next);
    // Once the lock is free again, the woken holder can take it on a new lease.
    expect(await holder.waitForJson((v) => 'reacquired' in v, 20_000)).toEqual({ reacquired: true });
  });

  it('loses and duplicates nothing when the leader is killed under load, and the watch-fed log misses no version', async () => {
    const fx = await etcdFixture('leader');
    const cursor = await fx.store.feedCursor();
    const reader = fx.store.openLogReader('audit');
    const seen: AuditEntry[] = [];
    let reading = Promise.resolve();
    const feed = fx.store.watch(
      {
        onChange: (c) => {
          if (c.kind === 'log') reading = reading.then(async () => void seen.push(...(await reader.readNew()))).catch(() => {});
        },
        onStatus: () => {},
        onRescan: async () => {},
      },
      cursor,
    );
    await reader.readNew();
    await feed.start();
    const load = runIncrementers(fx, 'counter', 4, 150);
    await expect
      .poll(async () => (await fx.store.getTaskState('counter'))?.version ?? 0, { timeout: 30_000, interval: 100 })
      .toBeGreaterThan(100);
    const leader = await fx.cluster.leader();
    await fx.cluster.kill(leader.name);
    try {
      const { results } = await load;
      for (const r of results) expect(r).toMatchObject({ done: 150 });
      const state = await fx.store.getTaskState('counter');
      expect(state).toMatchObject({ counter: 600, version: 600 }); // a resent commit would make the counter run ahead
      await expect
        .poll(
          async () => {
            await reading;
            await reading;
            return seen.filter((e) => e.task_id === 'counter').map((e) => e.new_version);
          },
          { timeout: 20_000 },
        )
        .toEqual(Array.from({ length: 600 }, (_, k) => k + 1));
    } finally {
      await feed.close();
      await fx.cluster.restart(leader.name);
    }
  }, 180_000); // as above: 4 writers, a killed leader and an election on 2 shared cores
});
