// Who may talk to `lockstep serve`. Three checks, each against a different
// attacker:
// - Host: a DNS-rebinding page (a name of the attacker's that resolves to
//   us) sends its own name as Host; we answer only to the names and
//   addresses we are bound to.
// - Origin: a page from another origin may open a WebSocket to us; only our
//   own pages may.
// - The per-run token: another local user (or machine, with --host) can
//   reach the port; without the token the API answers nothing.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function isLoopbackAddress(address: string): boolean {
  const a = address.toLowerCase();
  return a === 'localhost' || a === '::1' || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(a);
}

/** Bound to every interface: the Host a client uses can be any local address. */
export function isWildcardAddress(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

/** `host:port` as it appears in a Host header or URL (IPv6 in brackets). */
export function hostWithPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The non-loopback addresses of this machine's interfaces. */
export function externalAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && !a.internal)
    .map((a) => a!.address);
}

export class AccessPolicy {
  private readonly port: number;
  private readonly wildcard: boolean;
  private readonly hosts: Set<string>;

  /** `bindHost` is what the user asked for; `boundAddress` what the socket got (a name resolves to an address). */
  constructor(bindHost: string, boundAddress: string, port: number) {
    this.port = port;
    this.wildcard = isWildcardAddress(boundAddress);
    this.hosts = new Set(
      ['127.0.0.1', 'localhost', '::1', ...(this.wildcard ? [] : [bindHost, boundAddress])].map((h) => hostWithPort(h.toLowerCase(), port)),
    );
  }

  allowsHost(host: string | undefined): boolean {
    if (host === undefined) return false;
    const h = host.toLowerCase();
    if (this.hosts.has(h)) return true;
    // Bound to every interface: any of this machine's addresses, looked up
    // now (interfaces come and go). Never a name: that is what rebinding sends.
    return this.wildcard && externalAddresses().some((a) => hostWithPort(a.toLowerCase(), this.port) === h);
  }

  /** Only pages we served: http://<a Host we answer to>. */
  allowsOrigin(origin: string | undefined): boolean {
    return origin !== undefined && origin.startsWith('http://') && this.allowsHost(origin.slice('http://'.length));
  }
}
