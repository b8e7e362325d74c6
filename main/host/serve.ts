// `lockstep serve`: the dashboard over HTTP + WebSocket on loopback.
// Static files are the built renderer; the API is the same contract as
// Electron IPC, on /api, and needs the per-run token and a matching Origin.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { WS_MAX_MESSAGE_BYTES, WS_PATH, type WsMessage } from '../../shared/ws-protocol.ts';
import { dispatch, type Handlers } from './api.ts';
import { CSP } from './csp.ts';
import type { StateHost } from './state-host.ts';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** A client that cannot keep up is dropped; it reconnects and gets a fresh snapshot. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

export interface ServeOptions {
  host: StateHost;
  handlers: Handlers;
  rendererDir: string;
  port: number;
  bindHost: string;
  token?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  server: Server;
  close(): Promise<void>;
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const rendererDir = resolve(options.rendererDir);
  let port = options.port;
  /** Host headers we answer to: refuses DNS-rebinding pages that resolve a foreign name to 127.0.0.1. */
  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${options.bindHost}:${port}`]);
  const allowedOrigins = () => new Set([...allowedHosts()].map((h) => `http://${h}`));

  const server = createServer((req, res) => {
    if (!allowedHosts().has(req.headers.host ?? '')) return reply(res, 421, 'misdirected request: unknown Host header');
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'method not allowed');
    void serveStatic(rendererDir, req, res);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_MESSAGE_BYTES });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const refuse = (status: number, why: string) => {
      socket.end(`HTTP/1.1 ${status} ${why}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== WS_PATH) return refuse(404, 'Not Found');
    if (!allowedHosts().has(req.headers.host ?? '')) return refuse(421, 'Misdirected Request');
    if (!allowedOrigins().has(req.headers.origin ?? '')) return refuse(403, 'Forbidden (origin)');
    if (!sameToken(url.searchParams.get('token') ?? '', token)) return refuse(401, 'Unauthorized (token)');
    wss.handleUpgrade(req, socket, head, (ws) => void onConnection(ws));
  });

  const onConnection = async (ws: WebSocket) => {
    const send = (message: WsMessage) => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
        ws.close(1013, 'client too slow; reconnect for a fresh snapshot');
        return;
      }
      ws.send(JSON.stringify(message));
    };
    // Subscribe before the snapshot is taken so nothing falls between them;
    // the client drops patches not newer than the snapshot's seq.
    const unsubscribe = options.host.subscribe((event, payload) => send({ event, payload }));
    ws.on('close', unsubscribe);
    ws.on('message', (data, isBinary) => {
      void (async () => {
        let message: { id?: unknown; method?: unknown; request?: unknown };
        try {
          if (isBinary) throw new Error('binary frames are not accepted');
          message = JSON.parse(data.toString()) as typeof message;
        } catch {
          ws.close(1003, 'malformed message');
          return;
        }
        if (typeof message !== 'object' || message === null || typeof message.id !== 'number') {
          ws.close(1003, 'message without a numeric id');
          return;
        }
        send({ id: message.id, result: await dispatch(options.handlers, message.method, message.request) });
      })();
    });
    await options.host.whenReady();
    send({ event: 'reset', payload: options.host.snapshot() });
  };

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.bindHost, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : options.port;
  const hostForUrl = options.bindHost === '0.0.0.0' || options.bindHost === '::' ? '127.0.0.1' : options.bindHost;
  return {
    url: `http://${hostForUrl}:${port}/?token=${token}`,
    port,
    token,
    server,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function reply(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end(`${text}\n`);
}

async function serveStatic(rendererDir: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  const relativePath = pathname === '/' ? 'index.html' : normalize(pathname).replace(/^([/\\])+/, '');
  const file = join(rendererDir, relativePath);
  if (!file.startsWith(rendererDir + sep)) return reply(res, 403, 'forbidden');
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    // Client-side routes fall back to the app; missing assets are 404.
    if (extname(relativePath) !== '') return reply(res, 404, 'not found');
    try {
      body = await readFile(join(rendererDir, 'index.html'));
    } catch {
      return reply(res, 500, `the dashboard is not built: ${join(rendererDir, 'index.html')} is missing; run "npm run build"`);
    }
  }
  const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
  res.writeHead(200, {
    'Content-Type': extname(relativePath) === '' ? CONTENT_TYPES['.html']! : type,
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cache-Control': file.endsWith('index.html') ? 'no-store' : 'max-age=3600',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
