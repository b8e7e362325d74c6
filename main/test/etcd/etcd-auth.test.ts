// User/password authentication is passed to the client: on a cluster with
// auth enabled (its own 1-member cluster, so the shared one stays open),
// the right password works, and a wrong or missing one is a clear error
// (code UNAVAILABLE, exit 6) that names the endpoints.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Etcd3 } from 'etcd3';
import { EtcdStateStore } from '../../engine/etcd/index.ts';
import { ClusterUnavailableError } from '../../engine/errors.ts';
import { startCluster, type EtcdCluster } from './cluster.ts';

let cluster: EtcdCluster;

beforeAll(async () => {
  cluster = await startCluster({ members: 1 });
  const admin = new Etcd3({ hosts: cluster.endpoints });
  await admin.user('root').create('s3cret');
  await admin.user('root').addRole('root');
  await admin.auth.authEnable();
  admin.close();
});
afterAll(() => cluster?.stop());

describe('etcd with user/password auth', () => {
  it('works with the right password and refuses a wrong or missing one clearly', async () => {
    const ok = new EtcdStateStore({ etcd: { endpoints: cluster.endpoints, namespace: 'auth', auth: { username: 'root', password: 's3cret' } } });
    expect(await ok.updateTaskState('t', { a: 1 })).toMatchObject({ version: 1 });
    await ok.close();

    for (const auth of [{ username: 'root', password: 'wrong' }, undefined]) {
      const bad = new EtcdStateStore({ etcd: { endpoints: cluster.endpoints, namespace: 'auth', ...(auth ? { auth } : {}) } });
      const err = await bad.getTaskState('t').catch((e: unknown) => e);
      await bad.close();
      expect(err).toBeInstanceOf(ClusterUnavailableError);
      expect((err as Error).message).toContain(cluster.endpoints[0]!);
    }
  });
});
