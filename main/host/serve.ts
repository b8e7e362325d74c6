// `lockstep serve`: the dashboard over HTTP + WebSocket, on loopback unless
// --host says otherwise. Static files are the built renderer; the API is the
// same contract as Electron IPC, on /api, and needs the per-run token and a
// matching Host and Origin (serve-access.ts).
//
// Anyone who can reach the port can send anything, and any web page can send
// blind requests to loopback: no request, frame or stored value may end the
// process. Every entry point below (request, malformed request, upgrade,
// CONNECT, WebSocket) catches its own errors, answers with a 4xx status or a
// WebSocket close code, and logs the refusal once on stderr (refusal-log.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { resolve } from 'node:path';
import { WebSocketServer } from 'ws';
import { WS_MAX_MESSAGE_BYTES, WS_PATH } from '../../shared/ws-protocol.ts';
import type { HostHandlers } from './api.ts';
import { serveCsp } from './csp.ts';
import { RefusalLog } from './refusal-log.ts';
import { AccessPolicy, hostWithPort, isWildcardAddress, newToken, sameToken } from './serve-access.ts';
import { serveClient } from './serve-socket.ts';
import { decodePath, reply, serveStatic, type Refused } from './serve-static.ts';
import type { StateHost } from './state-host.ts';

/**
 * Slow clients (slowloris: headers dribbled a byte at a time) are cut off:
 * a browser sends its headers in one packet, so 10 s is generous.
 */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
/** How often Node checks those time-outs (its default, 30 s, would let them run 40 s). */
const TIMEOUT_CHECK_MS = 1_000;

/** Answers to requests Node's HTTP parser rejects, by the parser's error code. */
const PARSER_REFUSALS: Record<string, Refused> = {
  HPE_INVALID_METHOD: { status: 501, reason: 'unknown method' },
  HPE_HEADER_OVERFLOW: { status: 431, reason: 'request headers too large' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, reason: 'request not received in time' },
  HPE_INVALID_EOF_STATE: { status: 400, reason: 'connection closed mid-request' },
};

export interface ServeOptions {
  host: StateHost;
  handlers: HostHandlers;
  rendererDir: string;
  port: number;
  bindHost: string;
  token?: string;
  /** Where refusal lines go (default: stderr). */
  log?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  /** The address the socket is bound to (an --host name resolved). */
  address: string;
  server: Server;
  close(): Promise<void>;
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const token = options.token ?? newToken();
  const rendererDir = resolve(options.rendererDir);
  const refusals = new RefusalLog(options.log ?? ((line) => process.stderr.write(line)));
  // Known once listening (the port may be random); no request arrives before.
  let access: AccessPolicy | null = null;
  let csp = '';

  const refuseRequest = (req: IncomingMessage, res: ServerResponse, refused: Refused, detail?: string) => {
    refusals.note({ ...refused, method: req.method ?? '-', target: req.url ?? '', detail });
    if (res.headersSent) res.destroy();
    else reply(res, refused.status, refused.reason, true);
  };

  const handleRequest = async (req: IncomingMessage, res: ServerResponse) => {
    if (!access?.allowsHost(req.headers.host)) return refuseRequest(req, res, { status: 421, reason: 'unknown Host header' });
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuseRequest(req, res, { status: 405, reason: 'method not allowed' });
    const decoded = decodePath(req.url ?? '/');
    if ('refused' in decoded) return refuseRequest(req, res, decoded.refused);
    await serveStatic(rendererDir, csp, decoded.path, req, res, (refused) => refuseRequest(req, res, refused));
  };

  const server = createServer(
    { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: TIMEOUT_CHECK_MS },
    (req, res) => {
      handleRequest(req, res).catch((err: unknown) => refuseRequest(req, res, { status: 400, reason: 'request failed' }, errorText(err)));
    },
  );

  // Requests the HTTP parser rejects (unknown methods, bad headers, time-outs,
  // connections closed mid-request). With this listener, answering is ours.
  server.on('clientError', (err: Error & { code?: string; rawPacket?: Buffer }, socket: Duplex) => {
    // A reset or already closed connection has nobody left to answer.
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || !socket.writable) return void socket.destroy();
    const refused = PARSER_REFUSALS[err.code ?? ''] ?? { status: 400, reason: `malformed request (${err.code ?? 'no code'})` };
    // A connection that never sent a byte is not a request: browsers open
    // spare sockets and leave them idle. It is closed, but not logged.
    const received = (socket as Socket).bytesRead;
    if (received > 0) {
      const [method, target] = requestLine(err.rawPacket);
      // A time-out has no packet to show: say how far the client got.
      refusals.note({ ...refused, method, target, detail: err.rawPacket ? undefined : `${received} bytes received` });
    }
    endWithStatus(socket, refused.status, refused.reason);
  });

  server.on('checkExpectation', (req, res) => refuseRequest(req, res, { status: 417, reason: 'unsupported Expect header' }));
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    refusals.note({ status: 405, reason: 'method not allowed', method: 'CONNECT', target: req.url ?? '' });
    endWithStatus(socket, 405, 'method not allowed');
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_MESSAGE_BYTES });
  const refuseUpgrade = (req: IncomingMessage, socket: Duplex, refused: Refused, detail?: string) => {
    refusals.note({ ...refused, method: req.method ?? '-', target: req.url ?? '', detail });
    endWithStatus(socket, refused.status, refused.reason);
  };
  // Handshakes `ws` rejects (bad key, version, method): refused and logged like ours.
  wss.on('wsClientError', (err: Error, socket: Duplex, req: IncomingMessage) => {
    refuseUpgrade(
      req,
      socket,
      { status: err.message === 'Invalid HTTP method' ? 405 : 400, reason: 'bad WebSocket handshake' },
      err.message,
    );
  });

  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://x');
    } catch {
      return refuseUpgrade(req, socket, { status: 400, reason: 'unparsable URL' });
    }
    if (url.pathname !== WS_PATH) return refuseUpgrade(req, socket, { status: 404, reason: 'WebSocket upgrade outside /api' });
    if (!access?.allowsHost(req.headers.host)) return refuseUpgrade(req, socket, { status: 421, reason: 'unknown Host header' });
    if (!access?.allowsOrigin(req.headers.origin)) return refuseUpgrade(req, socket, { status: 403, reason: 'foreign Origin' });
    if (!sameToken(url.searchParams.get('token') ?? '', token))
      return refuseUpgrade(req, socket, { status: 401, reason: 'wrong or missing token' });
    wss.handleUpgrade(req, socket, head, (ws) => serveClient(ws, { host: options.host, handlers: options.handlers, refusals }));
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node hands the socket over without an error listener: a client that
    // resets now would otherwise end the process.
    socket.on('error', () => socket.destroy());
    try {
      upgrade(req, socket, head);
    } catch (err) {
      refuseUpgrade(req, socket, { status: 400, reason: 'request failed' }, errorText(err));
    }
  });

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.bindHost, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  // After listening, errors are about single connections (EMFILE on accept
  // under a connection flood): the server keeps listening.
  server.on('error', (err: Error) =>
    refusals.note({ status: 503, reason: 'connection not accepted', method: '-', target: '', detail: err.message, outcome: 'failed' }),
  );

  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : options.port;
  const address = typeof bound === 'object' && bound ? bound.address : options.bindHost;
  access = new AccessPolicy(options.bindHost, address, port);
  csp = serveCsp(port); // the page may open WebSockets to this port only
  const hostForUrl = isWildcardAddress(address) ? '127.0.0.1' : options.bindHost;
  return {
    url: `http://${hostWithPort(hostForUrl, port)}/?token=${token}`,
    port,
    token,
    address,
    server,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      refusals.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Grace for a refused client to read its answer before the socket is destroyed. */
const LINGER_MS = 1000;

/**
 * Answer on a raw socket (no ServerResponse there), then close it. Ending
 * only half-closes it (Node's HTTP sockets allow half-open): a client that
 * never closes its side would pin the file descriptor, so it is destroyed
 * shortly after the answer is out.
 */
function endWithStatus(socket: Duplex, status: number, reason: string): void {
  if (!socket.writable) return void socket.destroy();
  const body = `${reason}\n`;
  socket.once('finish', () => setTimeout(() => socket.destroy(), LINGER_MS).unref());
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** Method and target of the request line a parser error was found in, as far as it arrived. */
function requestLine(rawPacket: Buffer | undefined): [string, string] {
  if (!rawPacket) return ['-', ''];
  const line = rawPacket.subarray(0, 512).toString('latin1').split('\r\n')[0] ?? '';
  const [method = '-', target = ''] = line.split(' ');
  return [method, target];
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
