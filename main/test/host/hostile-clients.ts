// Clients that misbehave on purpose, for the serve robustness tests: raw
// bytes over TCP (requests no HTTP library would send), raw WebSocket frames
// (masking, opcodes, lengths and UTF-8 a library would refuse to produce),
// slow and half-open connections, and a seeded random source so a failing
// run can be repeated.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { seededRandom } from '../../../shared/seeded-random.ts';

/** A seeded random source: the same seed gives the same hostile inputs. */
export class Dice {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = seededRandom(seed);
  }
  int(below: number): number {
    return Math.floor(this.next() * below);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  text(length: number, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789-._~'): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[this.int(alphabet.length)];
    return out;
  }
  bytes(length: number): Buffer {
    const b = Buffer.alloc(length);
    for (let i = 0; i < length; i++) b[i] = this.int(256);
    return b;
  }
}

export interface RawReply {
  /** Status of the first response, or null if the server answered nothing before closing. */
  status: number | null;
  text: string;
  /** The server closed the connection (as opposed to our time-out ending the wait). */
  closedByServer: boolean;
  ms: number;
}

function statusOf(text: string): number | null {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  return m ? Number(m[1]) : null;
}

interface Exchange {
  socket: Socket;
  /** Everything the server has sent so far. */
  received(): Buffer;
  /** End the exchange now (`closedByServer`: the server hung up, rather than we gave up). */
  finish(closedByServer: boolean): void;
}

/**
 * Connect, let `drive` attach to the socket, and collect what the server
 * sends until it closes, `drive` calls `finish`, or `timeoutMs` passes.
 */
function exchange(port: number, timeoutMs: number, drive: (x: Exchange) => void): Promise<{ received: Buffer; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const received = () => Buffer.concat(chunks);
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ received: received(), closedByServer });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (c) => chunks.push(c)); // before drive's listeners, so they see this chunk in received()
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    drive({ socket, received, finish });
  });
}

/**
 * Connect, let `drive` write whatever it wants (and end or reset the
 * socket), and collect what comes back until the server closes or
 * `timeoutMs` passes.
 */
export async function rawExchange(port: number, drive: (socket: Socket) => void, timeoutMs = 3000): Promise<RawReply> {
  const started = Date.now();
  const { received, closedByServer } = await exchange(port, timeoutMs, ({ socket }) => socket.on('connect', () => drive(socket)));
  const text = received.toString('latin1');
  return { status: statusOf(text), text, closedByServer, ms: Date.now() - started };
}

/**
 * Send `request`, wait for the answer, and keep our side open (never end):
 * a client that would pin the server's socket if the server only half-closed.
 */
export function holdOpen(port: number, request: string): Promise<Socket> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    socket.on('error', () => {});
    socket.on('connect', () => socket.write(request));
    socket.once('data', () => resolve(socket));
  });
}

/** How many sockets process `pid` holds open (Linux: /proc), or null elsewhere. */
export function socketsHeldBy(pid: number): number | null {
  const dir = `/proc/${pid}/fd`;
  if (!existsSync(dir)) return null;
  let n = 0;
  for (const fd of readdirSync(dir)) {
    try {
      if (readlinkSync(`${dir}/${fd}`).startsWith('socket:')) n++;
    } catch {
      /* closed while we looked */
    }
  }
  return n;
}

/** Send `request` (a whole request, or any bytes) and read the answer. */
export function rawRequest(port: number, request: string | Buffer, timeoutMs = 3000): Promise<RawReply> {
  return rawExchange(port, (s) => s.write(typeof request === 'string' ? Buffer.from(request, 'latin1') : request), timeoutMs);
}

/** A request line and headers; `Connection: close` so a served request ends the exchange at once. */
export function httpRequest(method: string, target: string, headers: Record<string, string>, body = ''): string {
  const lines = [`${method} ${target} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

export function upgradeHeaders(port: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    Host: `127.0.0.1:${port}`,
    Origin: `http://127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    'Sec-WebSocket-Version': '13',
    ...extra,
  };
}

// ---- raw WebSocket frames ----------------------------------------------------

export interface FrameOptions {
  fin?: boolean;
  /** Client frames must be masked; false sends an unmasked one (a protocol error). */
  mask?: boolean;
  rsv?: number;
  /** Declare this payload length instead of the real one. */
  declaredLength?: number;
}

export function wsFrame(opcode: number, payload: Buffer, options: FrameOptions = {}): Buffer {
  const { fin = true, mask = true, rsv = 0 } = options;
  const length = options.declaredLength ?? payload.length;
  const head: number[] = [(fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f)];
  const maskBit = mask ? 0x80 : 0;
  if (length < 126) head.push(maskBit | length);
  else if (length < 65536) head.push(maskBit | 126, length >> 8, length & 0xff);
  else {
    head.push(maskBit | 127);
    const big = Buffer.alloc(8);
    big.writeBigUInt64BE(BigInt(length));
    head.push(...big);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), payload]);
  const key = randomBytes(4);
  const masked = Buffer.from(payload);
  for (let i = 0; i < masked.length; i++) masked[i]! ^= key[i % 4]!;
  return Buffer.concat([Buffer.from(head), key, masked]);
}

/** The close code of the first close frame the server sent, if any (server frames are unmasked). */
export function serverCloseCode(data: Buffer): number | null {
  let at = 0;
  while (at + 2 <= data.length) {
    const opcode = data[at]! & 0x0f;
    let length = data[at + 1]! & 0x7f;
    let offset = at + 2;
    if (length === 126) {
      if (offset + 2 > data.length) return null;
      length = data.readUInt16BE(offset);
      offset += 2;
    } else if (length === 127) {
      if (offset + 8 > data.length) return null;
      length = Number(data.readBigUInt64BE(offset));
      offset += 8;
    }
    if (opcode === 0x8) return length >= 2 && offset + 2 <= data.length ? data.readUInt16BE(offset) : 1005;
    at = offset + length;
  }
  return null;
}

/**
 * Open a WebSocket with a raw handshake (token, Host and Origin right), send
 * `frames` once it is accepted, and report the close code the server chose.
 */
export async function rawWebSocket(
  port: number,
  token: string,
  frames: Buffer[],
  options: { endAfter?: boolean; resetAfter?: boolean; timeoutMs?: number } = {},
): Promise<{ accepted: boolean; closeCode: number | null; closedByServer: boolean }> {
  let accepted = false;
  const { received, closedByServer } = await exchange(port, options.timeoutMs ?? 3000, ({ socket, received, finish }) => {
    socket.on('connect', () => socket.write(httpRequest('GET', `/api?token=${encodeURIComponent(token)}`, upgradeHeaders(port))));
    socket.on('data', () => {
      if (accepted) return;
      const all = received().toString('latin1');
      if (!all.includes('\r\n\r\n')) return;
      accepted = all.startsWith('HTTP/1.1 101');
      if (!accepted) return finish(true);
      for (const f of frames) socket.write(f);
      if (options.endAfter) socket.end();
      if (options.resetAfter) {
        socket.resetAndDestroy();
        finish(false);
      }
    });
  });
  const headEnd = received.indexOf('\r\n\r\n');
  return { accepted, closeCode: headEnd === -1 ? null : serverCloseCode(received.subarray(headEnd + 4)), closedByServer };
}

/** Nested arrays `depth` levels deep, as JSON text. */
export function deepArray(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** Nested objects `depth` levels deep, as JSON text. */
export function deepObject(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** Run `tasks` with at most `limit` at a time. */
export async function inPool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}
