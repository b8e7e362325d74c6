// Which store the app shows: a state folder or an etcd cluster (endpoints,
// namespace, and optionally TLS files and a user). The first one comes from
// the command line, with the CLI's options — `--etcd URLS [--namespace NS]`
// (or LOCKSTEP_ETCD) with `--etcd-cacert/--etcd-cert/--etcd-key FILE` and
// `--etcd-user NAME` (the password in LOCKSTEP_ETCD_PASSWORD), else `--root
// DIR` (or LOCKSTEP_ROOT), else the default folder — and later ones from the
// File menu.
import { resolve } from 'node:path';
import { defaultRoot } from '../engine/paths.ts';
import { checkEtcdForm, formOf } from './etcd-form.ts';
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
    // Checked as the dialog checks its form: the files readable PEM, a user with a password.
    const file = (name: string) => {
      const path = argValue(argv, name);
      return path === undefined ? '' : resolve(cwd, path);
    };
    const user = argValue(argv, 'etcd-user') ?? '';
    // As in the CLI: never a command-line flag (argv is visible to every local user), and only for a user.
    const password = user ? (env.LOCKSTEP_ETCD_PASSWORD ?? '') : '';
    if (user && !password) throw new Error('--etcd-user needs the password in the environment variable LOCKSTEP_ETCD_PASSWORD');
    return checkEtcdForm({
      ...formOf(),
      endpoints: etcd,
      namespace: argValue(argv, 'namespace') ?? '',
      ca: file('etcd-cacert'),
      cert: file('etcd-cert'),
      key: file('etcd-key'),
      user,
      password,
    });
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
