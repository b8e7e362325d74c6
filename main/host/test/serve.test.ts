// lockstep serve's security and protocol, against a real server on loopback.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandlers } from '../api.ts';
import { DemoRunner } from '../demo.ts';
import { startServer, type RunningServer } from '../serve.ts';
import { StateHost } from '../state-host.ts';
import { openStateStore } from '../../engine/store.ts';

let dir: string;
let host: StateHost;
let server: RunningServer;

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

function connect(token: string, origin: string | null): Promise<{ ws: WebSocket; first: Promise<unknown> } | { status: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${encodeURIComponent(token)}`, origin ? { headers: { Origin: origin } } : {});
    const first = new Promise((r) => ws.once('message', (d) => r(JSON.parse(d.toString()))));
    ws.once('open', () => resolve({ ws, first }));
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
  const rendererDir = join(dir, 'renderer');
  mkdirSync(join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Lockstep</title>');
  writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, 'secret.txt'), 'secret');
  host = new StateHost({ root });
  await host.start();
  server = await startServer({ host, handlers: createHandlers(host, new DemoRunner(host, 'unused')), rendererDir, port: 0, bindHost: '127.0.0.1' });
});

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

  it('sends a snapshot on connect, answers requests with Results, and refuses invalid ones', async () => {
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
