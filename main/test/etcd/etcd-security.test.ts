// TLS and user/password authentication are passed to the client, each on a
// cluster of its own (the shared one stays plain): the right CA or password
// works; a missing CA, a wrong or missing password is a clear error (code
// UNAVAILABLE, exit 6) that names the endpoints.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Etcd3 } from 'etcd3';
import { EtcdStateStore } from '../../engine/etcd/index.ts';
import { ClusterUnavailableError } from '../../engine/errors.ts';
import { makeTempDir, removeTempDirs } from '../helpers.ts';
import { startCluster, type EtcdCluster } from './cluster.ts';

const clusters: EtcdCluster[] = [];
afterAll(async () => {
  await Promise.all(clusters.map((c) => c.stop()));
  removeTempDirs();
});

const stores: EtcdStateStore[] = [];
afterEach(async () => {
  await Promise.allSettled(stores.splice(0).map((s) => s.close()));
});
function open(options: ConstructorParameters<typeof EtcdStateStore>[0]): EtcdStateStore {
  const store = new EtcdStateStore(options);
  stores.push(store);
  return store;
}

/** A CA and a server certificate for 127.0.0.1 signed by it (openssl, valid one day). */
function makeCertificates(dir: string): { caFile: string; certFile: string; keyFile: string } {
  const f = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '1',
    '-subj',
    '/CN=lockstep-test-ca',
  );
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(f('ext'), 'subjectAltName=IP:127.0.0.1\n');
  ssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '1',
    '-extfile',
    'ext',
  );
  return { caFile: f('ca.crt'), certFile: f('server.crt'), keyFile: f('server.key') };
}

async function expectRefused(store: EtcdStateStore, endpoint: string): Promise<void> {
  const err = await store.getTaskState('t').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ClusterUnavailableError);
  expect(err).toMatchObject({ code: 'UNAVAILABLE' });
  expect((err as Error).message).toContain(endpoint);
}

describe('etcd over TLS', () => {
  it('connects with the cluster CA, and refuses a server it cannot verify', async () => {
    const tls = makeCertificates(makeTempDir('lockstep-tls-'));
    const cluster = await startCluster({ members: 1, tls });
    clusters.push(cluster);
    const endpoint = cluster.endpoints[0]!;
    expect(endpoint).toMatch(/^https:/);
    const ok = open({ etcd: { endpoints: cluster.endpoints, namespace: 'tls', tls: { ca: tls.caFile } } });
    expect(await ok.updateTaskState('t', { secure: true })).toMatchObject({ version: 1 });
    await expectRefused(open({ etcd: { endpoints: cluster.endpoints, namespace: 'tls' } }), endpoint);
  });
});

describe('etcd with user/password auth', () => {
  it('works with the right password and refuses a wrong or missing one clearly', async () => {
    const cluster = await startCluster({ members: 1 });
    clusters.push(cluster);
    const admin = new Etcd3({ hosts: cluster.endpoints });
    await admin.user('root').create('s3cret');
    await admin.user('root').addRole('root');
    await admin.auth.authEnable();
    admin.close();

    const ok = open({ etcd: { endpoints: cluster.endpoints, namespace: 'auth', auth: { username: 'root', password: 's3cret' } } });
    expect(await ok.updateTaskState('t', { a: 1 })).toMatchObject({ version: 1 });
    await expectRefused(
      open({ etcd: { endpoints: cluster.endpoints, namespace: 'auth', auth: { username: 'root', password: 'wrong' } } }),
      cluster.endpoints[0]!,
    );
    await expectRefused(open({ etcd: { endpoints: cluster.endpoints, namespace: 'auth' } }), cluster.endpoints[0]!);
  });
});
