// lockstep serve's security and protocol, against a real server on loopback.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandlers } from '../../host/api.ts';
import { DemoRunner } from '../../host/demo.ts';
import { startServer, type RunningServer } from '../../host/serve.ts';
import { StateHost } from '../../host/state-host.ts';
import { openStateStore } from '../../engine/index.ts';

let dir: string;
let rendererDir: string;
let host: StateHost;
let server: RunningServer;
/** What the server logged (refused requests). */
const logged: string[] = [];

interface Reply {
  status: number;
  body: string;
  headers: Record<string, unknown>;
}

function get(path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return getFrom('127.0.0.1', server.port, path, headers);
}

function getFrom(address: string, port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port, path, headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

function connect(
  token: string,
  origin: string | null,
  at = `127.0.0.1:${server.port}`,
): Promise<{ ws: WebSocket; first: Promise<unknown> } | { status: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://${at}/api?token=${encodeURIComponent(token)}`, origin ? { headers: { Origin: origin } } : {});
    const first = new Promise((r) => ws.once('message', (d) => r(JSON.parse(d.toString()))));
    ws.once('open', () => {
      ws.send(JSON.stringify({ id: 0, method: 'ready', request: {} })); // as the dashboard does: the snapshot follows
      resolve({ ws, first });
    });
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode! }));
    ws.once('error', () => {});
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-serve-'));
  const root = join(dir, 'state');
  const store = openStateStore({ root });
  await store.init();
  await store.updateTaskState('t1', { status: 'in_progress' });
  store.close();
  rendererDir = join(dir, 'renderer');
  mkdirSync(join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Lockstep</title>');
  writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, 'secret.txt'), 'secret');
  host = new StateHost({ root });
  await host.start();
  server = await startServer({ ...serverOptions(), bindHost: '127.0.0.1' });
});

function serverOptions() {
  return {
    host,
    handlers: createHandlers(host, new DemoRunner(host, 'unused')),
    rendererDir,
    port: 0,
    log: (line: string) => logged.push(line),
  };
}

/** The first IPv4 address of this machine that is not loopback (the sandbox's eth0, a laptop's Wi-Fi). */
const externalIPv4 = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

afterAll(async () => {
  await server.close();
  await host.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('lockstep serve', () => {
  it('prints a loopback URL carrying a long random token', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/);
  });

  it('serves the renderer with a strict CSP and never files outside it', async () => {
    const index = await get('/');
    expect(index.status).toBe(200);
    expect(String(index.headers['content-security-policy'])).toMatch(/script-src 'self'/);
    expect((await get('/assets/app.js')).status).toBe(200);
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/../../secret.txt']) {
      const res = await get(path);
      expect(res.body).not.toContain('secret');
    }
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    expect((await get('/', { Host: 'evil.example:80' })).status).toBe(421);
  });

  it('refuses WebSocket connections without the token or from another origin', async () => {
    const origin = `http://127.0.0.1:${server.port}`;
    expect(await connect('wrong', origin)).toEqual({ status: 401 });
    expect(await connect(server.token, 'http://evil.example')).toEqual({ status: 403 });
    expect(await connect(server.token, null)).toEqual({ status: 403 });
  });

  it('sends a snapshot once the client is ready, answers requests with Results, and refuses invalid ones', async () => {
    const conn = await connect(server.token, `http://localhost:${server.port}`);
    if (!('ws' in conn)) throw new Error(`connection refused: ${conn.status}`);
    const first = (await conn.first) as { event: string; payload: { tasks: { task_id: string }[] } };
    expect(first.event).toBe('reset');
    expect(first.payload.tasks.map((t) => t.task_id)).toEqual(['t1']);
    const ask = (id: number, method: string, req: unknown) =>
      new Promise<{ id: number; result: { ok: boolean; value?: unknown; error?: { code: string } } }>((resolve) => {
        const onMessage = (d: WebSocket.RawData) => {
          const msg = JSON.parse(d.toString());
          if (msg.id === id) {
            conn.ws.off('message', onMessage);
            resolve(msg);
          }
        };
        conn.ws.on('message', onMessage);
        conn.ws.send(JSON.stringify({ id, method, request: req }));
      });
    const ok = await ask(1, 'getTask', { taskId: 't1' });
    expect(ok.result.ok).toBe(true);
    expect((ok.result.value as { state: { status: string } }).state.status).toBe('in_progress');
    expect((await ask(2, 'getTask', { taskId: '../../etc/passwd' })).result.error?.code).toBe('INVALID_INPUT');
    expect((await ask(3, 'deleteEverything', {})).result.error?.code).toBe('INVALID_INPUT');
    expect((await ask(4, 'previewRestore', { checkpointId: 'nope' })).result.error?.code).toBe('NOT_FOUND');
    const closed = new Promise<number>((r) => conn.ws.once('close', (code) => r(code)));
    conn.ws.send('not json');
    expect(await closed).toBe(1003);
  });
});

describe('refused requests on stderr', () => {
  it('logs each refused request once, naming why, and nothing for requests it serves', async () => {
    const before = logged.length;
    const newLines = () => logged.slice(before);
    expect((await get('/')).status).toBe(200);
    expect((await get('/assets/app.js')).status).toBe(200);
    expect(newLines()).toEqual([]);

    const refused: [() => Promise<unknown>, RegExp][] = [
      [() => get('/%E0%A4%A'), /refused 400 malformed percent-encoding: GET \/%E0%A4%A\n$/],
      [() => get('/%c0%ae%c0%ae/etc/passwd'), /refused 400 malformed percent-encoding: GET \/%c0%ae%c0%ae\/etc\/passwd\n$/],
      [() => get('/', { Host: 'evil.example' }), /refused 421 unknown Host header: GET \/\n$/],
      [() => connect('wrong', `http://127.0.0.1:${server.port}`), /refused 401 wrong or missing token: GET \/api\?…\n$/],
      [() => connect(server.token, 'http://evil.example'), /refused 403 foreign Origin: GET \/api\?…\n$/],
    ];
    for (const [send, line] of refused) {
      const at = logged.length;
      await send();
      expect(logged.slice(at)).toHaveLength(1);
      expect(logged[at]).toMatch(line);
    }
    expect(logged.join('')).not.toContain(server.token);
  });

  it('answers malformed paths with 400 instead of dying', async () => {
    for (const path of ['/%', '/%E0%A4%A', '/%c0%ae%c0%ae/etc/passwd', '/%00']) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
    }
    expect((await get('/')).status).toBe(200);
  });
});

describe('--host', () => {
  it('on IPv6 loopback: a bracketed URL, and [::1] is a Host it answers to', async () => {
    const v6 = await startServer({ ...serverOptions(), bindHost: '::1' });
    try {
      expect(v6.url).toMatch(/^http:\/\/\[::1\]:\d+\/\?token=/);
      expect((await getFrom('::1', v6.port, '/', { Host: `[::1]:${v6.port}` })).status).toBe(200);
    } finally {
      await v6.close();
    }
  });

  it.skipIf(!externalIPv4)('on a non-loopback address: answers to that address, and still requires the token', async () => {
    const ip = externalIPv4!;
    const remote = await startServer({ ...serverOptions(), bindHost: ip });
    try {
      const at = `${ip}:${remote.port}`;
      expect(remote.url).toBe(`http://${at}/?token=${remote.token}`);
      expect((await getFrom(ip, remote.port, '/', { Host: at })).status).toBe(200);
      // DNS rebinding still refused: a name of the attacker's that resolves here.
      expect((await getFrom(ip, remote.port, '/', { Host: `rebind.example:${remote.port}` })).status).toBe(421);
      // The token and the Origin are still required.
      const origin = `http://${at}`;
      expect(await connect('wrong', origin, at)).toEqual({ status: 401 });
      expect(await connect(remote.token, 'http://evil.example', at)).toEqual({ status: 403 });
      const conn = await connect(remote.token, origin, at);
      if (!('ws' in conn)) throw new Error(`refused: ${conn.status}`);
      expect(((await conn.first) as { event: string }).event).toBe('reset');
      conn.ws.close();
    } finally {
      await remote.close();
    }
  });

  it.skipIf(!externalIPv4)(
    "on every interface (0.0.0.0): answers to this machine's addresses, never to a name or another address",
    async () => {
      const ip = externalIPv4!;
      const all = await startServer({ ...serverOptions(), bindHost: '0.0.0.0' });
      try {
        expect(all.url).toMatch(/^http:\/\/127\.0\.0\.1:/);
        const p = all.port;
        expect((await getFrom(ip, p, '/', { Host: `${ip}:${p}` })).status).toBe(200);
        expect((await getFrom('127.0.0.1', p, '/', { Host: `localhost:${p}` })).status).toBe(200);
        expect((await getFrom(ip, p, '/', { Host: `rebind.example:${p}` })).status).toBe(421);
        expect((await getFrom(ip, p, '/', { Host: `203.0.113.9:${p}` })).status).toBe(421);
        expect((await getFrom(ip, p, '/', { Host: `${ip}:${p + 1}` })).status).toBe(421);
        const conn = await connect(all.token, `http://${ip}:${p}`, `${ip}:${p}`);
        if (!('ws' in conn)) throw new Error(`refused: ${conn.status}`);
        conn.ws.close();
      } finally {
        await all.close();
      }
    },
  );
});
