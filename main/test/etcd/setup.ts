// What the etcd test files share: the run's cluster, stores on fresh
// namespaces (closed after each test), and worker processes on them.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EtcdStateStore, type EtcdOpenOptions } from '../../engine/etcd/index.ts';
import type { StoreConfig } from '../../engine/config.ts';
import { Proc } from '../helpers.ts';
import { freshNamespace, sharedCluster, type EtcdCluster } from './cluster.ts';

const WORKER = fileURLToPath(new URL('./workers/etcd-worker.ts', import.meta.url));
const open = new Set<EtcdStateStore>();

export interface EtcdFixture {
  cluster: EtcdCluster;
  ns: string;
  store: EtcdStateStore;
  /** Another store (another client) on the same namespace. */
  another(overrides?: Partial<StoreConfig>): EtcdStateStore;
}

export async function etcdFixture(label: string, overrides: Omit<EtcdOpenOptions, 'etcd'> = {}): Promise<EtcdFixture> {
  const cluster = await sharedCluster();
  const ns = freshNamespace(label);
  const make = (more: Partial<StoreConfig> = {}) => {
    const options: EtcdOpenOptions = { etcd: { endpoints: cluster.endpoints, namespace: ns }, ...overrides, ...more };
    const store = new EtcdStateStore(options);
    open.add(store);
    return store;
  };
  const store = make();
  await store.init();
  return { cluster, ns, store, another: make };
}

export async function closeStores(): Promise<void> {
  await Promise.allSettled([...open].map((s) => s.close()));
  open.clear();
}

export function spawnEtcdWorker(fixture: EtcdFixture, args: string[]): Proc {
  const child = spawn(process.execPath, [WORKER, '--endpoints', fixture.cluster.endpoints.join(','), '--ns', fixture.ns, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return new Proc(child);
}
