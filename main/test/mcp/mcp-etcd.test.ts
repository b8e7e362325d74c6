// `lockstep --etcd URLS mcp`: the same server over an etcd cluster (a real
// 3-member cluster on loopback, started by the harness). Agents on two
// servers contend for one lock, a killed server's lock is taken over within
// the lease, and a subscriber hears about a write made by the CLI.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { killChildren, runCliArgs } from '../helpers.ts';
import { freshNamespace, sharedCluster, type EtcdCluster } from '../etcd/cluster.ts';
import { closeMcpSessions, connectMcp } from './mcp-client.ts';

let cluster: EtcdCluster;
beforeAll(async () => {
  cluster = await sharedCluster();
}, 90_000);
afterEach(async () => {
  await closeMcpSessions();
  await killChildren();
});

function etcdArgs(namespace: string): string[] {
  return ['--etcd', cluster.endpoints.join(','), '--namespace', namespace];
}

const cli = (args: string[]) => runCliArgs(args, { timeoutMs: 60_000 });

interface Held {
  handle: string;
  owner: string;
  pid: number;
}

describe('lockstep mcp on etcd', () => {
  it('two agents contend for one write lock; the lock of a killed server is taken over within the lease', async () => {
    const store = etcdArgs(freshNamespace('mcp-locks'));
    const a = await connectMcp(store, { name: 'etcd-agent-a' });
    const b = await connectMcp(store, { name: 'etcd-agent-b' });
    const held = await a.ok<Held>('acquire_lock', { task_id: 'shared' });
    expect(held).toMatchObject({ owner: 'etcd-agent-a', pid: a.pid });
    expect((await cli([...store, '--json', 'locks'])).json).toMatchObject([{ task_id: 'shared', owner: 'etcd-agent-a' }]);
    expect(await b.call('acquire_lock', { task_id: 'shared', timeout_ms: 300 })).toMatchObject({
      isError: true,
      error: { code: 'LOCK_TIMEOUT' },
    });

    await a.ok('update_task', { task_id: 'shared', changes: { status: 'a' }, expected_version: 0, lock: held.handle });
    const stale = await b.call('update_task', { task_id: 'shared', changes: { status: 'b' }, expected_version: 0, timeout_ms: 100 });
    expect(stale.isError).toBe(true);
    expect(['LOCK_TIMEOUT', 'VERSION_CONFLICT']).toContain(stale.error.code);

    const lease = (await a.ok<{ lease_ms: number }>('acquire_lock', { task_id: 'other' })).lease_ms;
    const waiting = b.call<Held>('acquire_lock', { task_id: 'shared', timeout_ms: lease + 20_000 });
    const killedAt = Date.now();
    process.kill(a.pid, 'SIGKILL'); // nobody releases: the session's lease must run out
    const taken = await waiting;
    const tookMs = Date.now() - killedAt;
    expect(taken.isError).toBe(false);
    expect(taken.value.owner).toBe('etcd-agent-b');
    expect(tookMs).toBeLessThanOrEqual(lease + 2_000);
    console.log(`etcd: lock of a killed MCP server taken over after ${tookMs} ms (lease ${lease} ms)`);
    expect(await b.ok('get_task', { task_id: 'shared' })).toMatchObject({ version: 1, status: 'a' });
  });

  it('a subscribed client is notified of a change the CLI writes to the cluster', async () => {
    const store = etcdArgs(freshNamespace('mcp-feed'));
    const mcp = await connectMcp(store);
    const uris: string[] = [];
    const updated = new Promise<void>((resolve) => {
      mcp.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
        uris.push(n.params.uri);
        if (n.params.uri === 'lockstep://tasks/remote') resolve();
      });
    });
    await mcp.client.subscribeResource({ uri: 'lockstep://tasks/remote' });
    expect((await cli([...store, 'task', 'update', 'remote', '{"status":"from-cli"}'])).code).toBe(0);
    await updated;
    const read = await mcp.client.readResource({ uri: 'lockstep://tasks/remote' });
    expect(JSON.parse((read.contents[0] as { text: string }).text)).toMatchObject({ version: 1, status: 'from-cli' });
  });
});
