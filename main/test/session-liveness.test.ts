// Whether a session is alive — a process that created or updated it still
// runs — reads the same on both backends: on files from the marks' pids
// (session-marks.ts), on etcd from marks on the process lease
// (etcd/sessions.ts). Real processes: an agent killed with -9, an agent that
// closes its store, and CLI commands that exit.
import { afterEach, expect, it } from 'vitest';
import { describeBackends } from './backends.ts';
import { killChildren, runCliArgs, sleep, spawnWorker } from './helpers.ts';

const LEASE_MS = 2000;
// On etcd a lease ends up to TTL after its last keep-alive, the leader looks for expired leases only every
// 500 ms, and the revoke is one more Raft commit: lease + 0.5 s left no room for a loaded 2-core machine.
// 2 s past the lease still tells expiry from a session that never goes.
const EXPIRY_SLACK_MS = 2000;

afterEach(async () => {
  await killChildren();
});

describeBackends('session liveness', (backend) => {
  it('shows a session alive while its agent runs, and not alive within the lease + 2 s of its kill -9', async () => {
    const store = await backend.open({ lease_ms: LEASE_MS });
    const agent = spawnWorker('session-agent', [...backend.workerArgs(store), '--task', 't', '--lease', String(LEASE_MS)]);
    const { id, alive } = await agent.waitForJson<{ id: string; alive: boolean }>((v) => 'id' in v, 30_000);
    expect(alive).toBe(true);
    expect((await store.getSession(id)).alive).toBe(true);
    expect((await store.readSessionFile(id)).alive).toBe(true);
    expect((await store.listSessions()).map((s) => [s.id, s.alive])).toEqual([[id, true]]);

    await sleep(1000); // a keep-alive or two on etcd
    const killedAt = Date.now();
    agent.signal('SIGKILL');
    await expect.poll(async () => (await store.readSessionFile(id)).alive, { timeout: LEASE_MS + 10_000, interval: 20 }).toBe(false);
    const ms = Date.now() - killedAt;
    console.log(`${backend.name}: session not alive ${ms} ms after kill -9 of its agent (lease 2 s)`);
    expect(ms).toBeLessThan(LEASE_MS + EXPIRY_SLACK_MS);
    // Only the liveness went: the session and what the agent did in it stay.
    expect(await store.getSession(id)).toMatchObject({ id, status: 'active', task_ids: ['t'], alive: false });
  }, 60_000);

  it('lets a session go at once when its agent closes its store, and when a CLI command that made it exits', async () => {
    const store = await backend.open({ lease_ms: LEASE_MS });
    const agent = spawnWorker('session-agent', [...backend.workerArgs(store), '--task', 't', '--lease', String(LEASE_MS)]);
    const { id } = await agent.waitForJson<{ id: string }>((v) => 'id' in v, 30_000);
    agent.send('close');
    await agent.waitForJson((v) => v.closed === true, 10_000);
    expect((await store.readSessionFile(id)).alive).toBe(false);

    const created = await runCliArgs([...backend.cliArgs(store), '--json', 'session', 'create']);
    expect(created.code, created.stderr).toBe(0);
    const made = JSON.parse(created.stdout) as { id: string; alive: boolean };
    expect(made.alive).toBe(true);
    const listed = await runCliArgs([...backend.cliArgs(store), '--json', 'session', 'list']);
    expect((JSON.parse(listed.stdout) as { id: string; alive: boolean }[]).map((s) => [s.id, s.alive])).toEqual([
      [id, false],
      [made.id, false],
    ]);
    // An update (here one that tries to set `alive` itself: it is derived) marks the session for this process.
    expect(await store.updateSession(id, { status: 'resumed', alive: false })).toMatchObject({ status: 'resumed', alive: true });
    expect((await backend.reopen(store).getSession(id)).alive).toBe(true);
  }, 60_000);
});
