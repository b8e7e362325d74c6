// Where a command keeps its state: a folder (`--root`, the default) or an
// etcd cluster (`--etcd URL[,URL…]` or LOCKSTEP_ETCD, `--namespace`, TLS and
// user options). Read once per command from the global options, so every
// command, `serve` and `migrate` included, opens the same kind of store.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidInputError, openStateStore, type StateStore, type StoreOptions } from '../engine/public.ts';
import type { Flags } from './args.ts';

export const DEFAULT_NAMESPACE = 'lockstep';

/** The connection the etcd backend is opened with (its EtcdConnectionOptions). */
export interface EtcdTarget {
  endpoints: string[];
  namespace: string;
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  auth?: { username: string; password: string };
}

export type StoreTarget =
  | { kind: 'files'; root: string | undefined }
  /** `args`: the global options that select this cluster, for the processes a command starts (simulate). */
  | { kind: 'etcd'; etcd: EtcdTarget; args: string[] };

/** Global options every command accepts; read before dispatch so none is refused as unknown. */
export const ETCD_FLAGS = ['etcd', 'namespace', 'etcd-cacert', 'etcd-cert', 'etcd-key', 'etcd-user'] as const;

const NAMESPACE_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * The store the global options select. `--etcd` wins over LOCKSTEP_ETCD;
 * `--root` with an etcd target is refused rather than silently ignored.
 */
export function storeTarget(flags: Flags, env: NodeJS.ProcessEnv = process.env): StoreTarget {
  const root = flags.string('root');
  const etcdFlag = flags.string('etcd');
  const connection = etcdConnectionFlags(flags, env);
  const urls = etcdFlag ?? (root === undefined ? nonEmpty(env.LOCKSTEP_ETCD) : undefined);
  if (urls === undefined) {
    if (connection.used.length > 0)
      throw new InvalidInputError(`${connection.used.join(', ')} apply to an etcd cluster: add --etcd URL[,URL…] (or set LOCKSTEP_ETCD)`);
    return { kind: 'files', root };
  }
  if (root !== undefined) throw new InvalidInputError('--root and --etcd name two different stores: give one of them');
  return connection.open(urls);
}

/**
 * The etcd options other than the endpoints (`migrate` takes its endpoints
 * from --to-etcd/--from-etcd). `used` names the flags given, for the error
 * when they are given without a cluster.
 */
export function etcdConnectionFlags(
  flags: Flags,
  env: NodeJS.ProcessEnv = process.env,
): { used: string[]; open(urls: string): StoreTarget & { kind: 'etcd' } } {
  const namespace = flags.string('namespace');
  const cacert = flags.string('etcd-cacert');
  const cert = flags.string('etcd-cert');
  const key = flags.string('etcd-key');
  const user = flags.string('etcd-user');
  const given: [string, unknown][] = [
    ['--namespace', namespace],
    ['--etcd-cacert', cacert],
    ['--etcd-cert', cert],
    ['--etcd-key', key],
    ['--etcd-user', user],
  ];
  const used = given.filter(([, v]) => v !== undefined).map(([name]) => name);
  return {
    used,
    open(urls) {
      const ns = checkNamespace(namespace ?? DEFAULT_NAMESPACE);
      if ((cert === undefined) !== (key === undefined))
        throw new InvalidInputError('--etcd-cert and --etcd-key go together (a client certificate and its private key)');
      // The client verifies the cluster's certificate against this CA; without it a client certificate would be ignored.
      if (cert !== undefined && cacert === undefined)
        throw new InvalidInputError("--etcd-cert needs --etcd-cacert too: the CA certificate (PEM) that signed the cluster's certificate");
      const tls =
        cacert !== undefined || cert !== undefined
          ? { ca: readPem(cacert, '--etcd-cacert'), cert: readPem(cert, '--etcd-cert'), key: readPem(key, '--etcd-key') }
          : undefined;
      const target: EtcdTarget = { endpoints: parseEndpoints(urls, tls !== undefined), namespace: ns };
      if (tls) {
        target.tls = Object.fromEntries(Object.entries(tls).filter(([, v]) => v !== undefined));
        muteServerNameWarning();
      }
      if (user !== undefined) {
        // Never a command-line flag: argv is visible to every local user (ps, /proc).
        const password = env.LOCKSTEP_ETCD_PASSWORD;
        if (!user) throw new InvalidInputError('--etcd-user needs a user name');
        if (!password) throw new InvalidInputError('--etcd-user needs the password in the environment variable LOCKSTEP_ETCD_PASSWORD');
        target.auth = { username: user, password };
      }
      const args = ['--etcd', target.endpoints.join(','), '--namespace', ns];
      for (const [flag, path] of [
        ['--etcd-cacert', cacert],
        ['--etcd-cert', cert],
        ['--etcd-key', key],
      ] as const)
        if (path !== undefined) args.push(flag, resolve(path));
      if (user !== undefined) args.push('--etcd-user', user); // the password stays in the environment
      return { kind: 'etcd', etcd: target, args };
    },
  };
}

/** A namespace is one key segment: no '/', so namespaces never nest into each other. */
export function checkNamespace(ns: string): string {
  if (!NAMESPACE_RE.test(ns))
    throw new InvalidInputError(
      `the namespace must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit; got ${JSON.stringify(ns)}`,
    );
  return ns;
}

/**
 * `http://h:2379,https://h2:2379` → normalized URLs. A bare `host:port`
 * gets http://, or https:// when TLS options are given (as etcdctl does).
 */
export function parseEndpoints(list: string, tls = false): string[] {
  const parts = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new InvalidInputError('--etcd needs at least one endpoint URL, e.g. http://127.0.0.1:2379');
  return [...new Set(parts.map((part) => normalizeEndpoint(part, tls)))];
}

function normalizeEndpoint(part: string, tls: boolean): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(part) ? part : `${tls ? 'https' : 'http'}://${part}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new InvalidInputError(`invalid etcd endpoint ${JSON.stringify(part)}: expected a URL such as http://127.0.0.1:2379`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidInputError(`invalid etcd endpoint ${JSON.stringify(part)}: only http:// and https:// are supported`);
  if (url.username || url.password)
    throw new InvalidInputError(
      `invalid etcd endpoint ${JSON.stringify(part)}: give the user with --etcd-user and the password in LOCKSTEP_ETCD_PASSWORD, not in the URL`,
    );
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash)
    throw new InvalidInputError(`invalid etcd endpoint ${JSON.stringify(part)}: a URL with a path or query is not an etcd endpoint`);
  if (!url.port)
    throw new InvalidInputError(
      `invalid etcd endpoint ${JSON.stringify(part)}: give the client port, e.g. ${url.protocol}//${url.hostname}:2379`,
    );
  return `${url.protocol}//${url.host}`;
}

/**
 * grpc-js gives an IP endpoint's address as the TLS server name, and Node
 * warns about that (DEP0123) on stderr, where the CLI promises one line per
 * error and nothing else. The certificate is still checked against the IP.
 */
function muteServerNameWarning(): void {
  const emit = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    const code = typeof rest[0] === 'object' && rest[0] !== null ? (rest[0] as { code?: string }).code : rest[1];
    if (code === 'DEP0123') return;
    return (emit as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
}

function readPem(path: string | undefined, flag: string): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new InvalidInputError(`${flag}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** The global options that open `target` again, in a process this one starts. */
export function targetArgs(target: StoreTarget): string[] {
  return target.kind === 'etcd' ? target.args : target.root !== undefined ? ['--root', resolve(target.root)] : [];
}

/** How a target is named in messages and the dashboard's title. */
export function describeTarget(target: StoreTarget): string {
  return target.kind === 'files'
    ? (target.root ?? 'the default state folder')
    : `etcd ${target.etcd.endpoints.join(',')} (namespace ${target.etcd.namespace})`;
}

/** The options openStateStore() takes for a target. */
export function storeOptionsOf(target: StoreTarget): StoreOptions {
  return target.kind === 'files' ? { root: target.root } : { etcd: target.etcd };
}

/** Open the store a target names (the etcd client loads on first use, never for a folder). */
export function openTarget(target: StoreTarget): StateStore {
  return openStateStore(storeOptionsOf(target));
}
