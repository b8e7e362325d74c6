// The connection to the cluster: etcd3 is imported on first use only, so the
// file backend's CLI never pays its start-up cost (160–295 ms, 78 MiB). Every
// unary call has a 2 s deadline; a call that fails because no member
// answered becomes a ClusterUnavailableError naming the endpoints (exit 6).
import { readFileSync } from 'node:fs';
import type { Etcd3, IKeyValue, IRangeRequest, IRequestOp, IResponseHeader, ITxnRequest, ITxnResponse, KVClient } from 'etcd3';
import { ClusterUnavailableError, InvalidInputError, LockstepError } from '../errors.ts';
import { DEFAULT_NAMESPACE } from './keys.ts';

export interface EtcdConnectionOptions {
  endpoints: string[];
  /** Key prefix of this store's state (default `lockstep`). */
  namespace?: string;
  /** TLS: PEM contents or paths of the CA, and of a client certificate and key. */
  tls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer };
  auth?: { username: string; password: string };
}

/** Deadline of each unary call: long enough for a leader election (~1–2 s), short enough to fail over. */
export const CALL_DEADLINE_MS = 2000;

/** Names of etcd3 errors that mean "no member answered" rather than "the request was refused". */
const UNREACHABLE = new Set([
  'GRPCUnavailableError',
  'GRPCDeadlineExceededError',
  'GRPCCancelledError',
  'GRPCConnectFailedError',
  'BrokenCircuitError',
  'IsolatedCircuitError',
  'ClientClosedError',
]);

export function isUnreachable(err: unknown): boolean {
  if (err instanceof ClusterUnavailableError) return true;
  if (!(err instanceof Error)) return false;
  return UNREACHABLE.has(err.constructor.name) || /unavailable|deadline|no connection|ECONNREFUSED|circuit/i.test(err.message);
}

function pem(value: string | Buffer | undefined): Buffer | undefined {
  if (value === undefined) return undefined;
  if (Buffer.isBuffer(value)) return value;
  return value.includes('-----BEGIN') ? Buffer.from(value) : readFileSync(value);
}

export function checkEndpoints(endpoints: unknown): string[] {
  if (!Array.isArray(endpoints) || endpoints.length === 0) throw new InvalidInputError('etcd: at least one endpoint URL is needed');
  for (const e of endpoints) {
    if (typeof e !== 'string' || !/^https?:\/\/[^\s/]+$/.test(e.replace(/\/$/, ''))) {
      throw new InvalidInputError(`etcd: endpoint ${JSON.stringify(e)} is not a URL like http://127.0.0.1:2379`);
    }
  }
  return endpoints.map((e: string) => e.replace(/\/$/, ''));
}

export class EtcdConnection {
  readonly endpoints: string[];
  private readonly options: EtcdConnectionOptions;
  private client: Promise<Etcd3> | null = null;
  private closed = false;
  /** Told the revision of each Txn that wrote something (the log upkeep counts on it). */
  onWrite: ((revision: number) => void) | null = null;

  constructor(options: EtcdConnectionOptions) {
    this.endpoints = checkEndpoints(options.endpoints);
    this.options = options;
  }

  /** The etcd3 client, created (and the module imported) on first use. */
  etcd(): Promise<Etcd3> {
    this.client ??= (async () => {
      const { Etcd3 } = await import('etcd3');
      const tls = this.options.tls;
      return new Etcd3({
        hosts: this.endpoints,
        dialTimeout: CALL_DEADLINE_MS,
        credentials: tls?.ca ? { rootCertificate: pem(tls.ca)!, certChain: pem(tls.cert), privateKey: pem(tls.key) } : undefined,
        auth: this.options.auth ? { username: this.options.auth.username, password: this.options.auth.password } : undefined,
        // Checkpoints and listings of large namespaces can exceed grpc-js's 4 MiB default.
        grpcOptions: { 'grpc.max_receive_message_length': 64 * 1024 * 1024 },
        defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + CALL_DEADLINE_MS }),
      });
    })();
    return this.client;
  }

  /** Turn "nobody answered" into an error that names the endpoints; pass our own errors through. */
  wrap(err: unknown): unknown {
    if (err instanceof LockstepError) return err;
    if (isUnreachable(err)) {
      return new ClusterUnavailableError(`etcd cluster unreachable at ${this.endpoints.join(', ')}: ${(err as Error).message}`, {
        endpoints: this.endpoints,
      });
    }
    if (err instanceof Error && /authenticat|permission denied|invalid auth token|user name is empty/i.test(err.message)) {
      return new ClusterUnavailableError(`etcd at ${this.endpoints.join(', ')} refused the credentials: ${err.message}`, {
        endpoints: this.endpoints,
      });
    }
    if (err instanceof Error && /request is too large|too many operations/i.test(err.message)) {
      return new InvalidInputError(`etcd refused the request: ${err.message}`);
    }
    return err;
  }

  async kv(): Promise<KVClient> {
    if (this.closed) throw new ClusterUnavailableError(`etcd connection to ${this.endpoints.join(', ')} is closed`);
    return (await this.etcd()).kv;
  }

  async range(req: IRangeRequest): Promise<{ kvs: IKeyValue[]; header: IResponseHeader; count: number; more: boolean }> {
    try {
      const res = await (await this.kv()).range(req);
      return { kvs: res.kvs, header: res.header, count: Number(res.count), more: res.more };
    } catch (err) {
      throw this.wrap(err);
    }
  }

  async txn(req: ITxnRequest): Promise<ITxnResponse> {
    let res: ITxnResponse;
    try {
      res = await (await this.kv()).txn(req);
    } catch (err) {
      throw this.wrap(err);
    }
    const ran = (res.succeeded ? req.success : req.failure) ?? [];
    if (this.onWrite && ran.some((op) => op.request_put || op.request_delete_range)) this.onWrite(Number(res.header.revision));
    return res;
  }

  /** Several ranges read at one revision (the first batch's, unless given), in Txns of at most 128 operations. */
  async rangeMany(reqs: IRangeRequest[], revision?: number): Promise<{ kvs: IKeyValue[][]; revision: number }> {
    if (reqs.length === 0) return { kvs: [], revision: revision ?? (await this.revision()) };
    const out: IKeyValue[][] = [];
    let rev = revision;
    for (let i = 0; i < reqs.length; i += MAX_TXN_OPS) {
      const pinned = rev;
      const success: IRequestOp[] = reqs
        .slice(i, i + MAX_TXN_OPS)
        .map((r) => ({ request_range: pinned === undefined ? r : { ...r, revision: pinned } }));
      const res = await this.txn({ compare: [], success, failure: [] });
      rev ??= Number(res.header.revision);
      for (const r of res.responses) out.push(r.response_range.kvs);
    }
    return { kvs: out, revision: rev! };
  }

  /** The cluster's current revision, from a count of one key inside the namespace (a user may be allowed only that prefix). */
  async revision(): Promise<number> {
    const res = await this.range({ key: Buffer.from(`${this.options.namespace ?? DEFAULT_NAMESPACE}/meta`), count_only: true });
    return Number(res.header.revision);
  }

  close(): void {
    this.closed = true;
    const client = this.client;
    this.client = null;
    void client?.then((c) => c.close()).catch(() => {});
  }
}

/** etcd's default `--max-txn-ops`. */
export const MAX_TXN_OPS = 128;
