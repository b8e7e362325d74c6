// The CLI's TLS and user options reach the etcd client: a real member that
// serves TLS and requires client certificates (made with openssl by
// electron/tls-files.ts, as for the desktop app's dialog), and a real member
// with authentication enabled. Without the right certificate or password
// nothing is read or written, and the CLI exits 6 with one line naming the
// endpoint.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDirs, runCliArgs } from './helpers.ts';
import { ETCD_BIN, freePorts } from './etcd/cluster.ts';
import { makeTlsFiles, type TlsFiles } from './electron/tls-files.ts';

const members: ChildProcess[] = [];
afterAll(() => {
  for (const member of members) member.kill('SIGKILL');
  removeTempDirs();
});

/** One etcd member on `clientUrl` (a peer port is picked here); resolves once `probe` says it answers. */
async function startMember(dir: string, clientUrl: string, flags: string[], probe: () => Promise<boolean>): Promise<void> {
  const peer = `http://127.0.0.1:${(await freePorts(1))[0]}`;
  const child = spawn(
    ETCD_BIN,
    [
      '--name',
      'm1',
      '--data-dir',
      join(dir, 'data'),
      '--listen-client-urls',
      clientUrl,
      '--advertise-client-urls',
      clientUrl,
      '--listen-peer-urls',
      peer,
      '--initial-advertise-peer-urls',
      peer,
      '--initial-cluster',
      `m1=${peer}`,
      '--logger',
      'zap',
      '--log-level',
      'error',
      ...flags,
    ],
    { stdio: 'ignore' },
  );
  members.push(child);
  const deadline = Date.now() + 30_000;
  while (!(await probe().catch(() => false))) {
    if (child.exitCode !== null) throw new Error(`etcd exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error('etcd did not come up within 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const run = (args: string[], env: Record<string, string> = {}) => runCliArgs(args, { env, timeoutMs: 60_000 });

/** One error line on stderr, with exit 6, naming `endpoint`. */
function expectUnavailable(r: { code: number | null; stderr: string }, endpoint: string): void {
  expect(r.code, r.stderr).toBe(6);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  const error = (JSON.parse(lines[0]!) as { error: { code: string; message: string } }).error;
  expect(error.code).toBe('UNAVAILABLE');
  expect(error.message).toContain(endpoint);
}

describe('TLS: --etcd-cacert, --etcd-cert, --etcd-key', () => {
  let dir: string;
  let endpoint: string;
  let tls: TlsFiles;
  /** A second CA that signed nothing here: the server's certificate does not verify against it. */
  let otherCa: string;
  /** The client's TLS options: trust `ca` and present the client certificate. */
  const clientTls = (ca = tls.ca) => ['--etcd-cacert', ca, '--etcd-cert', tls.clientCert, '--etcd-key', tls.clientKey];

  beforeAll(async () => {
    dir = makeTempDir('lockstep-etcd-tls-');
    tls = makeTlsFiles(dir);
    mkdirSync(join(dir, 'other'));
    otherCa = join(dir, 'other', 'ca.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        'other/ca.key',
        '-out',
        otherCa,
        '-days',
        '2',
        '-subj',
        '/CN=someone-else',
      ],
      { cwd: dir, stdio: 'pipe' },
    );
    endpoint = `https://127.0.0.1:${(await freePorts(1))[0]}`;
    await startMember(
      dir,
      endpoint,
      ['--cert-file', tls.serverCert, '--key-file', tls.serverKey, '--trusted-ca-file', tls.ca, '--client-cert-auth'],
      async () => {
        // Any TLS answer will do: the member is up (a refused handshake still means it listens).
        const r = await run(['--etcd', endpoint, ...clientTls(), '--json', 'task', 'list']);
        return r.code === 0;
      },
    );
  }, 120_000);

  it('with the CA and a client certificate, commands read and write over TLS', async () => {
    const tls = ['--etcd', endpoint, '--namespace', 'tls', ...clientTls(), '--json'];
    const written = await run([...tls, 'task', 'update', 'secure', '{"over":"tls"}']);
    expect(written.json).toMatchObject({ task_id: 'secure', over: 'tls', version: 1 });
    expect(written.stderr).toBe(''); // no TLS warning from the client on the CLI's error stream
    expect((await run([...tls, 'task', 'get', 'secure'])).json).toMatchObject({ over: 'tls', version: 1 });
    // A bare host:port with TLS options is https://.
    const bare = endpoint.replace('https://', '');
    expect((await run(['--etcd', bare, '--namespace', 'tls', ...clientTls(), '--json', 'task', 'get', 'secure'])).code).toBe(0);
  }, 120_000);

  it('without a client certificate, or trusting another CA, nothing is read: exit 6 naming the endpoint', async () => {
    expectUnavailable(await run(['--etcd', endpoint, '--namespace', 'tls', '--etcd-cacert', tls.ca, '--json', 'task', 'list']), endpoint);
    expectUnavailable(await run(['--etcd', endpoint, '--namespace', 'tls', ...clientTls(otherCa), '--json', 'task', 'list']), endpoint);
  }, 120_000);

  it('a client certificate without --etcd-cacert is refused up front (exit 2): the client needs the CA to verify the server', async () => {
    const r = await run(['--etcd', endpoint, '--etcd-cert', tls.clientCert, '--etcd-key', tls.clientKey, '--json', 'task', 'list']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--etcd-cacert');
  });
});

describe('users: --etcd-user with LOCKSTEP_ETCD_PASSWORD', () => {
  let endpoint: string;
  const api = async (path: string, body: unknown) => {
    const res = await fetch(`${endpoint}/v3/${path}`, { method: 'POST', body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  };

  beforeAll(async () => {
    const dir = makeTempDir('lockstep-etcd-auth-');
    endpoint = `http://127.0.0.1:${(await freePorts(1))[0]}`;
    await startMember(dir, endpoint, [], async () => (await fetch(`${endpoint}/health`)).ok);
    // root (required before auth can be enabled), and an agent allowed only its team's namespace.
    await api('auth/role/add', { name: 'root' });
    await api('auth/user/add', { name: 'root', password: 'root-secret' });
    await api('auth/user/grant', { user: 'root', role: 'root' });
    await api('auth/role/add', { name: 'team-a' });
    const prefix = Buffer.from('team-a/');
    const end = Buffer.from(prefix);
    end[end.length - 1]!++;
    await api('auth/role/grant', {
      name: 'team-a',
      perm: { permType: 'READWRITE', key: prefix.toString('base64'), range_end: end.toString('base64') },
    });
    await api('auth/user/add', { name: 'agent', password: 'agent-secret' });
    await api('auth/user/grant', { user: 'agent', role: 'team-a' });
    await api('auth/enable', {});
  }, 120_000);

  it('the right password works; the password is taken from the environment, never from the command line', async () => {
    const agent = ['--etcd', endpoint, '--namespace', 'team-a', '--etcd-user', 'agent', '--json'];
    const written = await run([...agent, 'task', 'update', 'authed', '{"by":"agent"}'], { LOCKSTEP_ETCD_PASSWORD: 'agent-secret' });
    expect(written.code, written.stderr).toBe(0);
    expect(written.json).toMatchObject({ task_id: 'authed', by: 'agent', version: 1 });
    expect((await run([...agent, 'task', 'get', 'authed'], { LOCKSTEP_ETCD_PASSWORD: 'agent-secret' })).json).toMatchObject({
      by: 'agent',
    });
    const noPassword = await run([...agent, 'task', 'list']);
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toContain('LOCKSTEP_ETCD_PASSWORD');
  }, 120_000);

  it('a wrong password, or no user at all, reads nothing: exit 6 naming the endpoint', async () => {
    expectUnavailable(
      await run(['--etcd', endpoint, '--namespace', 'team-a', '--etcd-user', 'agent', '--json', 'task', 'list'], {
        LOCKSTEP_ETCD_PASSWORD: 'wrong',
      }),
      endpoint,
    );
    expectUnavailable(await run(['--etcd', endpoint, '--namespace', 'team-a', '--json', 'task', 'list']), endpoint);
  }, 120_000);
});
