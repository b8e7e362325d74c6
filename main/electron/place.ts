// Which store the app shows: a state folder or an etcd cluster (endpoints,
// namespace, and optionally TLS files and a user). The first one comes from
// the command line — `--etcd URLS [--namespace NS]` (or LOCKSTEP_ETCD), else
// `--root DIR` (or LOCKSTEP_ROOT), else the default folder — and later ones
// from the File menu.
import { resolve } from 'node:path';
import { checkNamespace, DEFAULT_NAMESPACE, parseEndpoints } from '../cli/store-target.ts';
import { defaultRoot } from '../engine/paths.ts';
import type { StoreOptions } from '../engine/public.ts';

export interface FolderPlace {
  kind: 'folder';
  root: string;
}

export interface EtcdPlace {
  kind: 'etcd';
  endpoints: string[];
  namespace: string;
  /** Absolute paths of PEM files: read when connecting, so a renewed certificate is picked up. */
  tls?: { ca?: string; cert?: string; key?: string };
  username?: string;
  /** Held in memory only; Open Recent keeps it encrypted, or not at all (see password-vault.ts). */
  password?: string;
}

export type Place = FolderPlace | EtcdPlace;

/** The value of `--name V` or `--name=V` in argv. */
function argValue(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i !== -1 && argv[i + 1] !== undefined) return argv[i + 1];
  return argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

export function placeFromArgv(argv: string[], env: NodeJS.ProcessEnv, cwd = process.cwd()): Place {
  const root = argValue(argv, 'root');
  const etcd = argValue(argv, 'etcd') ?? (root === undefined && env.LOCKSTEP_ETCD ? env.LOCKSTEP_ETCD : undefined);
  if (etcd !== undefined) {
    return { kind: 'etcd', endpoints: parseEndpoints(etcd), namespace: checkNamespace(argValue(argv, 'namespace') ?? DEFAULT_NAMESPACE) };
  }
  return { kind: 'folder', root: root !== undefined ? resolve(cwd, root) : defaultRoot(cwd, env) };
}

/** The options the state host opens a place with: the engine's EtcdConnectionOptions take the TLS paths as they are. */
export function placeOptions(place: Place): StoreOptions {
  if (place.kind === 'folder') return { root: place.root };
  const { endpoints, namespace, tls, username, password } = place;
  return {
    etcd: {
      endpoints,
      namespace,
      ...(tls && { tls }),
      ...(username !== undefined && { auth: { username, password: password ?? '' } }),
    },
  };
}
