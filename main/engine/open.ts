// openStateStore(): the one way in. `{ root }` (or nothing: the default
// folder) opens the file backend; `{ etcd: { endpoints, namespace } }` the
// etcd backend. Both implement the same StateStore contract (backend.ts).
import type { StateStore } from './backend.ts';
import { DEFAULT_CONFIG, parseConfig } from './config.ts';
import { DeferredStateStore } from './deferred-store.ts';
import { asStateError } from './errors.ts';
import { checkEndpoints } from './etcd/connection.ts';
import type { EtcdOpenOptions } from './etcd/index.ts';
import { KeyLayout } from './etcd/keys.ts';
import { FileStateStore, type OpenOptions } from './store.ts';

export type { EtcdOpenOptions } from './etcd/index.ts';

/** Options for either backend. */
export type StoreOptions = OpenOptions | EtcdOpenOptions;

/** The namespace when none is given (etcd/index.ts DEFAULT_NAMESPACE; the store reports its own once loaded). */
const DEFAULT_ETCD_NAMESPACE = 'lockstep';

export function isEtcdOptions(options: StoreOptions): options is EtcdOpenOptions {
  return 'etcd' in options && options.etcd !== undefined;
}

/**
 * The etcd backend, loaded on first use (deferred-store.ts): a CLI run on a
 * folder never loads it. Its options are checked now, as the backend would.
 */
function openEtcd(options: EtcdOpenOptions): StateStore {
  const { etcd, ...overrides } = options;
  const namespace = new KeyLayout(etcd.namespace ?? DEFAULT_ETCD_NAMESPACE).ns;
  const location = { kind: 'etcd' as const, endpoints: checkEndpoints(etcd.endpoints), namespace };
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const config = { ...DEFAULT_CONFIG, ...parseConfig(defined, 'options') };
  return new DeferredStateStore(location, config, async () => {
    const { EtcdStateStore } = await import('./etcd/index.ts');
    return new EtcdStateStore(options);
  });
}

export function openStateStore(options: EtcdOpenOptions): StateStore;
export function openStateStore(options?: OpenOptions): FileStateStore;
export function openStateStore(options?: StoreOptions): StateStore;
export function openStateStore(options: StoreOptions = {}): StateStore {
  try {
    return isEtcdOptions(options) ? openEtcd(options) : new FileStateStore(options);
  } catch (err) {
    throw asStateError(err);
  }
}
