// The hooks every CLI test file on the shared etcd cluster registers: the
// cluster started once (a first start takes a while), spawned CLIs killed
// after each test, temp folders removed at the end.
import { afterAll, afterEach, beforeAll } from 'vitest';
import { killChildren, removeTempDirs } from '../helpers.ts';
import { sharedCluster, type EtcdCluster } from './cluster.ts';

/** Registers the hooks; the result gives the cluster's endpoints once beforeAll has run. */
export function cliOnSharedCluster(): { readonly endpoints: string[] } {
  let cluster: EtcdCluster | undefined;
  beforeAll(async () => {
    cluster = await sharedCluster();
  }, 90_000);
  afterEach(killChildren);
  afterAll(removeTempDirs);
  return {
    get endpoints(): string[] {
      if (!cluster) throw new Error('the etcd cluster is not started yet (endpoints are read inside a test)');
      return cluster.endpoints;
    },
  };
}
