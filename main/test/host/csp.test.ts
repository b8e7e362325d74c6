// The dashboard's CSP as each host sends it: `lockstep serve` lets the page
// open WebSockets to its own port only; the desktop app to nothing at all.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentSecurityPolicy, serveCsp } from '../../host/csp.ts';
import type { RunningServer } from '../../host/serve.ts';
import { serveOnLoopback, type LoopbackServer } from './loopback-server.ts';

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
    let serving: LoopbackServer;
    let server: RunningServer;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'lockstep-csp-'));
      serving = await serveOnLoopback(dir, { root: join(dir, 'state') });
      server = serving.server;
    });

    afterAll(async () => {
      await serving.close();
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
