// One lease per process (issue 10), granted on first use and kept alive by
// etcd3 (a keep-alive every TTL/3). Everything that must vanish with this
// process is put on it: its lock keys (locks.ts) and its sessions' liveness
// marks (sessions.ts). A process killed (-9), stopped (SIGSTOP) or cut off
// past the TTL loses them all at once, on every machine's view.
import type { Lease } from 'etcd3';
import type { EtcdContext } from './context.ts';

export class ProcessLease {
  private readonly ctx: EtcdContext;
  private current: Promise<{ id: string; lease: Lease }> | null = null;
  private readonly lostListeners = new Set<(leaseId: string) => void>();
  /** Set by close(): nothing is put back on a new lease after it. */
  closed = false;

  constructor(ctx: EtcdContext) {
    this.ctx = ctx;
  }

  /** etcd leases count whole seconds, and etcd refuses TTLs under ~2 s (1.5 × its election timeout). */
  get ttlSeconds(): number {
    return Math.max(2, Math.ceil(this.ctx.config.lease_ms / 1000));
  }

  /** The lease's id (decimal), granted on first use. */
  id(): Promise<string> {
    this.current ??= (async () => {
      const etcd = await this.ctx.conn.etcd();
      const lease = etcd.lease(this.ttlSeconds, { autoKeepAlive: true });
      try {
        const id = await lease.grant();
        lease.on('lost', () => this.expired(id));
        return { id, lease };
      } catch (err) {
        this.current = null;
        throw this.ctx.conn.wrap(err);
      }
    })();
    return this.current.then((l) => l.id);
  }

  /** The id of the lease granted now, if any (none is granted for asking). */
  async currentId(): Promise<string | null> {
    return (await this.current?.catch(() => null))?.id ?? null;
  }

  /** Called when the lease `leaseId` ran out (this process was stopped, or cut off); what it carried is gone. */
  onLost(fn: (leaseId: string) => void): void {
    this.lostListeners.add(fn);
  }

  /**
   * The lease `leaseId` is gone: etcd3 reported it lost, or a put on it was
   * refused ("lease not found") before etcd3 noticed. The next id() grants a new one.
   */
  async expired(leaseId: string): Promise<void> {
    const l = await this.current?.catch(() => null);
    if (!l || l.id !== leaseId) return;
    this.current = null;
    l.lease.release();
    for (const fn of this.lostListeners) fn(leaseId);
  }

  /** Extend the lease at once (a lock refresh). */
  async keepAliveOnce(): Promise<void> {
    const l = await this.current?.catch(() => null);
    await l?.lease.keepaliveOnce().catch(() => {});
  }

  /** Stop keeping the lease alive: what it carries expires with it, after the TTL. */
  async close(): Promise<void> {
    this.closed = true;
    const l = await this.current?.catch(() => null);
    l?.lease.release();
    this.current = null;
  }
}
