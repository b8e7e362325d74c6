// `lockstep serve --host` as a user runs it: a real CLI process.
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { cleanUpAfterEach, makeTempDir, runCli, sleep, spawnCli } from '../helpers.ts';

cleanUpAfterEach();

const externalIPv4 = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

function status(address: string, port: number, path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port, path, headers: { Host: host } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('lockstep serve --host', () => {
  it.skipIf(!externalIPv4)('on a non-loopback address: serves there, with the token, and warns that traffic is not encrypted', async () => {
    const ip = externalIPv4!;
    const serve = spawnCli(makeTempDir(), ['serve', '--host', ip, '--port', '0']);
    const url = new URL(await serve.waitForLine((l) => l.startsWith('http://')));
    expect(url.hostname).toBe(ip);
    expect(url.searchParams.get('token')).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const port = Number(url.port);
    expect(await status(ip, port, `/?token=${url.searchParams.get('token')}`, `${ip}:${port}`)).toBe(200);
    for (let i = 0; i < 400 && !serve.stderr.includes('ssh -L'); i++) await sleep(50); // up to 20 s: a loaded machine
    expect(serve.stderr).toContain(`listening on ${ip}:${port}: other machines can reach the dashboard; they still need the token`);
    expect(serve.stderr).toContain('the traffic is not encrypted');
    expect(serve.stderr).toContain(`ssh -L ${port}:127.0.0.1:${port}`);
  });

  it('on loopback (the default): no warning', async () => {
    const serve = spawnCli(makeTempDir(), ['serve', '--port', '0']);
    const url = new URL(await serve.waitForLine((l) => l.startsWith('http://')));
    expect(url.hostname).toBe('127.0.0.1');
    for (let i = 0; i < 100 && !serve.stderr.includes('tasks from'); i++) await sleep(50);
    expect(serve.stderr).not.toContain('warning');
  });

  it('keeps serving when whoever read its stderr has gone (refusal lines then fail with EPIPE)', async () => {
    const serve = spawnCli(makeTempDir(), ['serve', '--port', '0']);
    const url = new URL(await serve.waitForLine((l) => l.startsWith('http://')));
    const port = Number(url.port);
    serve.child.stderr!.destroy();
    await sleep(200);
    for (let i = 0; i < 20; i++) expect(await status('127.0.0.1', port, '/%', `127.0.0.1:${port}`)).toBe(400);
    await sleep(300);
    expect(await status('127.0.0.1', port, '/', `127.0.0.1:${port}`)).toBe(200);
    expect(serve.child.exitCode).toBeNull();
  });

  it('an address this machine does not have: a clear error, exit 2, and no process left behind', async () => {
    // 203.0.113.0/24 is TEST-NET-3: never assigned to a real interface.
    const r = await runCli(makeTempDir(), ['serve', '--host', '203.0.113.7', '--port', '0'], { timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^lockstep: cannot listen on 203\.0\.113\.7:0: .*EADDRNOTAVAIL/);
    expect(r.stdout).toBe('');
  });
});
