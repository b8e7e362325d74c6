// openStateStore(): the one way in. `{ root }` (or nothing: the default
// folder) opens the file backend; `{ etcd: { endpoints, namespace } }` the
// etcd backend. Both implement the same StateStore contract (backend.ts).
import type { StateStore } from './backend.ts';
import { asStateError } from './errors.ts';
import { EtcdStateStore, type EtcdOpenOptions } from './etcd/index.ts';
import { FileStateStore, type OpenOptions } from './store.ts';

export type { EtcdOpenOptions } from './etcd/index.ts';

/** Options for either backend. */
export type StoreOptions = OpenOptions | EtcdOpenOptions;

export function isEtcdOptions(options: StoreOptions): options is EtcdOpenOptions {
  return 'etcd' in options && options.etcd !== undefined;
}

export function openStateStore(options: EtcdOpenOptions): StateStore;
export function openStateStore(options?: OpenOptions): FileStateStore;
export function openStateStore(options?: StoreOptions): StateStore;
export function openStateStore(options: StoreOptions = {}): StateStore {
  try {
    // The etcd client itself (etcd3, grpc) is loaded by the etcd backend when it connects, not here.
    return isEtcdOptions(options) ? new EtcdStateStore(options) : new FileStateStore(options);
  } catch (err) {
    throw asStateError(err);
  }
}
