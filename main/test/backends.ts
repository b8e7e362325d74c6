// One behavioural suite, both backends: `describeBackends(name, (backend) => …)`
// runs a describe block once on a folder (file backend) and once on the
// run's etcd cluster (a fresh namespace per store). Cases that test the file
// layout itself stay in plain describe blocks.
//
//   describeBackends('checkpoints', (backend) => {
//     it('…', async () => {
//       const store = await backend.open({ owner: 'me' });
//       …
//     });
//   });
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe } from 'vitest';
import type { StateStore } from '../engine/backend.ts';
import type { StoreConfig } from '../engine/config.ts';
import { EtcdStateStore } from '../engine/etcd/index.ts';
import { openStateStore } from '../engine/index.ts';
import { ETCD_BIN, freshNamespace, sharedCluster } from './etcd/cluster.ts';
import { BIN, makeTempDir, Proc, removeTempDirs, tryJson, type CliResult } from './helpers.ts';

export type BackendName = 'files' | 'etcd';

export interface Backend {
  readonly name: BackendName;
  /** A fresh, initialised, empty store (closed after the test). */
  open(overrides?: Partial<StoreConfig>): Promise<StateStore>;
  /** Another store on the same state as `store` (another client, as another process would open it). */
  reopen(store: StateStore, overrides?: Partial<StoreConfig>): StateStore;
  /** Arguments that point a worker process (test/workers, openWorkerStore) at `store`'s state. */
  workerArgs(store: StateStore): string[];
  /** Arguments that point the `lockstep` CLI at `store`'s state. */
  cliArgs(store: StateStore): string[];
}

const opened = new Set<StateStore>();

function track<T extends StateStore>(store: T): T {
  opened.add(store);
  return store;
}

const files: Backend = {
  name: 'files',
  async open(overrides = {}) {
    const store = track(openStateStore({ root: join(makeTempDir(), 'state'), ...overrides }));
    await store.init();
    return store;
  },
  reopen(store, overrides = {}) {
    if (store.location.kind !== 'files') throw new Error('not a file store');
    return track(openStateStore({ root: store.location.root, ...overrides }));
  },
  workerArgs(store) {
    if (store.location.kind !== 'files') throw new Error('not a file store');
    return ['--root', store.location.root];
  },
  cliArgs(store) {
    return this.workerArgs(store);
  },
};

const etcd: Backend = {
  name: 'etcd',
  async open(overrides = {}) {
    const cluster = await sharedCluster();
    const store = track(new EtcdStateStore({ etcd: { endpoints: cluster.endpoints, namespace: freshNamespace('suite') }, ...overrides }));
    await store.init();
    return store;
  },
  reopen(store, overrides = {}) {
    if (store.location.kind !== 'etcd') throw new Error('not an etcd store');
    return track(new EtcdStateStore({ etcd: { endpoints: store.location.endpoints, namespace: store.location.namespace }, ...overrides }));
  },
  workerArgs(store) {
    if (store.location.kind !== 'etcd') throw new Error('not an etcd store');
    return ['--etcd', store.location.endpoints.join(','), '--ns', store.location.namespace];
  },
  cliArgs(store) {
    if (store.location.kind !== 'etcd') throw new Error('not an etcd store');
    return ['--etcd', store.location.endpoints.join(','), '--namespace', store.location.namespace];
  },
};

/** Without an etcd binary (a machine set up before etcd was needed) the etcd half is skipped, visibly. */
export const BACKENDS: Backend[] = existsSync(ETCD_BIN) ? [files, etcd] : [files];

export async function closeOpenedStores(): Promise<void> {
  await Promise.allSettled([...opened].map((s) => s.close()));
  opened.clear();
}

/** `describe(name)` once per backend, each named after it; stores opened through `backend` are closed after each test. */
export function describeBackends(name: string, body: (backend: Backend) => void): void {
  describe.each(BACKENDS)(`${name} [$name]`, (backend) => {
    afterEach(async () => {
      await closeOpenedStores();
      removeTempDirs();
    });
    body(backend);
  });
  if (!BACKENDS.includes(etcd)) describe.skip(`${name} [etcd: ${ETCD_BIN} not found]`, () => {});
}

/** The CLI on `store`'s state (another process), with no store inherited from the environment. */
export function spawnCliOn(backend: Backend, store: StateStore, args: string[]): Proc {
  const child = spawn(process.execPath, [BIN, ...backend.cliArgs(store), ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, LOCKSTEP_ROOT: '', LOCKSTEP_ETCD: '', LOCKSTEP_ETCD_PASSWORD: '' },
  });
  return new Proc(child);
}

/** `spawnCliOn` run to completion, like helpers' runCli. */
export async function runCliOn(backend: Backend, store: StateStore, args: string[], timeoutMs = 30_000): Promise<CliResult> {
  const started = Date.now();
  const proc = spawnCliOn(backend, store, args);
  const stdout: string[] = [];
  proc.child.stdout!.on('data', (c: string) => stdout.push(c));
  proc.child.stdin!.end();
  const exit = await proc.waitExit(timeoutMs);
  return { ...exit, stdout: stdout.join(''), stderr: proc.stderr, ms: Date.now() - started, json: tryJson(stdout.join('')) };
}
