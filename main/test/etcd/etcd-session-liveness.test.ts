// A session's liveness on etcd rides on the process lease of whoever created
// or updated it: while that process runs, every reader (this client, another
// client, the dashboard's host through its watch) sees `alive: true`; once it
// is killed, the lease runs out and they all see `alive: false`.
import { afterEach, describe, expect, it } from 'vitest';
import type { Session } from '../../../shared/model.ts';
import { StateHost } from '../../host/state-host.ts';
import { killChildren, sleep, type Proc } from '../helpers.ts';
import { closeStores, etcdFixture, spawnEtcdWorker, type EtcdFixture } from './setup.ts';

const LEASE_MS = 2000;
let host: StateHost | null = null;

afterEach(async () => {
  await host?.close();
  host = null;
  await killChildren();
  await closeStores();
});

/** Milliseconds until `check` holds, polled every 20 ms; throws after `ms`. */
async function msUntil(check: () => boolean | Promise<boolean>, ms: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`condition not reached within ${ms} ms`);
    await sleep(20);
  }
  return Date.now() - started;
}

/** A worker process that creates a session and commits a task into it, then runs until it is killed. */
async function startAgent(fx: EtcdFixture): Promise<{ agent: Proc; id: string; alive: boolean }> {
  const agent = spawnEtcdWorker(fx, ['--mode', 'session', '--task', 't', '--lease', String(LEASE_MS)]);
  const { session, alive } = await agent.waitForJson<{ session: string; alive: boolean }>((v) => 'session' in v, 30_000);
  return { agent, id: session, alive };
}

async function aliveNow(fx: EtcdFixture, id: string): Promise<boolean | undefined> {
  return (await fx.store.readSessionFile(id)).alive as boolean | undefined;
}

describe('etcd: session liveness on the process lease', () => {
  it('shows a session alive while its process runs, and not alive within lease + 0.5 s of its kill -9, to every reader', async () => {
    const fx = await etcdFixture('alive', { lease_ms: LEASE_MS });
    const other = fx.another();
    host = new StateHost({ etcd: { endpoints: fx.cluster.endpoints, namespace: fx.ns } });
    await host.start();
    await host.whenWatching();
    const hostSession = (id: string): Session | undefined => host!.snapshot().sessions.find((s) => s.id === id);

    const { agent, id, alive } = await startAgent(fx);
    expect(alive).toBe(true);
    expect((await fx.store.getSession(id)).alive).toBe(true);
    expect((await other.readSessionFile(id)).alive).toBe(true);
    expect((await other.listSessions()).map((s) => [s.id, s.alive])).toEqual([[id, true]]);
    await msUntil(() => hostSession(id)?.alive === true, 15_000);

    // Let a keep-alive or two pass, so the lease is not simply fresh from its grant.
    await sleep(1000);
    agent.signal('SIGKILL');
    const [storeMs, hostMs] = await Promise.all([
      msUntil(async () => (await other.readSessionFile(id)).alive === false, 10_000),
      msUntil(() => hostSession(id)?.alive === false, 10_000),
    ]);
    console.log(`etcd 3 members: session not alive ${storeMs} ms (store) / ${hostMs} ms (host) after kill -9 of its process (lease 2 s)`);
    expect(storeMs).toBeLessThan(LEASE_MS + 500);
    expect(hostMs).toBeLessThan(LEASE_MS + 500);

    // Only the liveness went: the session, its task and its metrics are as the agent left them.
    const after = await fx.store.getSession(id);
    expect(after).toMatchObject({ id, status: 'active', task_ids: ['t'], alive: false });
    expect(after.metrics.in_progress).toBe(1);
    expect((await fx.store.getActiveSessions()).map((s) => [s.id, s.alive])).toEqual([[id, false]]);
  }, 90_000);

  it('shows the session of a process stopped past its lease as not alive, and alive again once it resumes', async () => {
    const fx = await etcdFixture('alive-stop', { lease_ms: LEASE_MS });
    const { agent, id } = await startAgent(fx);
    agent.signal('SIGSTOP');
    await msUntil(async () => (await aliveNow(fx, id)) === false, LEASE_MS + 2000);
    // Resumed, it finds its lease gone and puts its marks on a new one: it is working on the session again.
    agent.signal('SIGCONT');
    const ms = await msUntil(async () => (await aliveNow(fx, id)) === true, 10_000);
    console.log(`etcd: session alive again ${ms} ms after its stopped process resumed`);
  }, 90_000);

  it('marks a session alive again when another process updates it, and lets it go when that process closes its store', async () => {
    const fx = await etcdFixture('alive-update', { lease_ms: LEASE_MS });
    const { agent, id } = await startAgent(fx);
    agent.signal('SIGKILL');
    await msUntil(async () => (await aliveNow(fx, id)) === false, LEASE_MS + 2000);

    // Another agent picks the session up: an update (here one that tries to set `alive` itself, which is derived) marks it.
    const resumer = fx.another();
    const updated = await resumer.updateSession(id, { status: 'resumed', alive: false });
    expect(updated).toMatchObject({ status: 'resumed', alive: true });
    expect(await aliveNow(fx, id)).toBe(true);

    // A store closed without dying stops its keep-alive (as for its locks): the mark lasts until the lease runs out.
    await resumer.close();
    const closedAt = Date.now();
    expect(await aliveNow(fx, id)).toBe(true);
    await msUntil(async () => (await aliveNow(fx, id)) === false, LEASE_MS + 2000);
    expect(Date.now() - closedAt).toBeLessThan(LEASE_MS + 500);
  }, 90_000);
});
