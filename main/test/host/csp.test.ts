// The dashboard's CSP as each host sends it: `lockstep serve` lets the page
// open WebSockets to its own port only; the desktop app to nothing at all.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandlers } from '../../host/api.ts';
import { contentSecurityPolicy, serveCsp } from '../../host/csp.ts';
import { DemoRunner } from '../../host/demo.ts';
import { startServer, type RunningServer } from '../../host/serve.ts';
import { StateHost } from '../../host/state-host.ts';

const connectSrc = (policy: string) => policy.split('; ').find((d) => d.startsWith('connect-src '));

describe('content security policy', () => {
  it('allows no inline code, no plugins, no framing, and connections only to the origins named', () => {
    const policy = contentSecurityPolicy();
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ]) {
      expect(policy.split('; ')).toContain(directive);
    }
    expect(policy).not.toMatch(/unsafe-|\*/);
    expect(connectSrc(policy)).toBe("connect-src 'self'");
    expect(connectSrc(serveCsp(41234))).toBe("connect-src 'self' ws://127.0.0.1:41234 ws://localhost:41234");
  });

  describe('sent by lockstep serve', () => {
    let dir: string;
    let host: StateHost;
    let server: RunningServer;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'lockstep-csp-'));
      const rendererDir = join(dir, 'renderer');
      mkdirSync(rendererDir);
      writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Lockstep</title>');
      host = new StateHost({ root: join(dir, 'state') });
      await host.start();
      server = await startServer({
        host,
        handlers: createHandlers(host, new DemoRunner(host, 'unused')),
        rendererDir,
        port: 0,
        bindHost: '127.0.0.1',
        log: () => {},
      });
    });

    afterAll(async () => {
      await server.close();
      await host.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('names the one port it listens on, and no wildcard', async () => {
      const header = await new Promise<string>((resolve, reject) => {
        request({ host: '127.0.0.1', port: server.port, path: '/' }, (res) => {
          res.resume();
          resolve(String(res.headers['content-security-policy']));
        })
          .on('error', reject)
          .end();
      });
      expect(header).toBe(serveCsp(server.port));
      expect(connectSrc(header)).toBe(`connect-src 'self' ws://127.0.0.1:${server.port} ws://localhost:${server.port}`);
    });
  });
});
