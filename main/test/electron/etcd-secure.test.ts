// The desktop app on a secured etcd: a real member serving clients over TLS
// and requiring client certificates (openssl CA, server and client
// certificates; the test harness's startCluster) with authentication on and
// a user allowed only its team's namespace.
// Everything goes through File › Open etcd Cluster… as a user would: the CA
// picked with Choose…, the client certificate and key, the user and password
// typed, the form submitted; the app's own code opens the cluster. Open Recent then keeps the CA path and the user,
// and the password only encrypted by the OS (fake safeStorage): with
// encryption, the entry opens again without a question; without it, the
// dialog asks for the password.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Etcd3 } from 'etcd3';
import type * as Electron from 'electron';
import { seedStore } from '../helpers.ts';
import { startApp } from '../../electron/app.ts';
import { PICK_URL, SUBMIT_URL } from '../../electron/etcd-dialog.ts';
import { startCluster, type EtcdCluster } from '../etcd/cluster.ts';
import { appDriver, until as untilWithin, type Fake, type FakeWindow } from './app-driver.ts';
import { createFakeElectron, type FakeEncryption } from './fake-electron.ts';
import { makeTlsFiles, type TlsFiles } from './tls-files.ts';

const NAMESPACE = 'team-a';
/** What the dialog is given: the CA (picked with Choose… in the tests), a client certificate and its key, and the user. */
let SECURE: Record<string, string>;
const PASSWORD = 'agent-secret';
let dir: string;
let pem: TlsFiles;
let cluster: EtcdCluster;
let endpoint: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-electron-secure-'));
  pem = makeTlsFiles(dir);
  SECURE = { ca: pem.ca, cert: pem.clientCert, key: pem.clientKey, user: 'agent' };
  const client = { certFile: pem.clientCert, keyFile: pem.clientKey };
  cluster = await startCluster({ members: 1, tls: { certFile: pem.serverCert, keyFile: pem.serverKey, caFile: pem.ca, client } });
  endpoint = cluster.endpoints[0]!;
  // root (needed before auth can be turned on), and an agent allowed only its team's namespace: the
  // dashboard reads nothing outside it (the cluster's revision once came from the key "\0", and was refused).
  const admin = new Etcd3({ hosts: cluster.endpoints, credentials: { rootCertificate: readFileSync(pem.ca), ...clientCredentials() } });
  await admin.user('root').create('root-secret');
  await admin.user('root').addRole('root');
  const team = await admin.role('team-a').create();
  await team.grant({ permission: 'Readwrite', range: admin.range({ prefix: `${NAMESPACE}/` }) });
  await admin.user('agent').create(PASSWORD);
  await admin.user('agent').addRole('team-a');
  await admin.auth.authEnable();
  admin.close();
  const etcd = {
    endpoints: cluster.endpoints,
    namespace: NAMESPACE,
    tls: { ca: pem.ca, cert: pem.clientCert, key: pem.clientKey },
    auth: { username: 'agent', password: PASSWORD },
  };
  await seedStore({ etcd }, { 'behind-tls': { status: 'review' } });
}, 120_000);

const clientCredentials = () => ({ certChain: readFileSync(pem.clientCert), privateKey: readFileSync(pem.clientKey) });

afterAll(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('File › Open etcd Cluster… on a cluster with TLS and a user', () => {
  let fake: Fake;
  let root: string;
  let userData: string;

  const start = async (encryption: FakeEncryption) => {
    userData = mkdtempSync(join(dir, `app-${encryption}-`));
    root = join(userData, '.state');
    await seedStore({ root }, { 'on-disk': { status: 'in_progress' } });
    mkdirSync(join(userData, 'app'));
    fake = createFakeElectron(userData, { encryption });
    await startApp(
      fake.electron as unknown as typeof Electron,
      { mainDir: join(userData, 'app', 'out', 'main') },
      ['electron', 'main.js', '--root', root],
      {},
    );
  };
  afterEach(() => fake?.app.emit('before-quit'));

  const { fileMenu, recentItems, snapshot } = appDriver(() => fake);
  const clusterLabel = () => `etcd: ${NAMESPACE} on ${endpoint} as agent`;
  const tasks = async () => (await snapshot()).tasks.map((t) => t.task_id);
  // 30 s: a wrong password costs the client a round of retries, and the machine may be loaded.
  const until = (check: () => boolean | Promise<boolean>, what: string) => untilWithin(check, what, 30_000);
  /** The cluster's entry in recent.json: the TLS files' paths and the user, never a plain password. */
  const keptInRecent = () => ({
    etcd: [endpoint],
    namespace: NAMESPACE,
    tls: { ca: pem.ca, cert: pem.clientCert, key: pem.clientKey },
    user: 'agent',
  });
  const page = (window: FakeWindow) => decodeURIComponent(window.webContents.loaded!);
  const navigate = (window: FakeWindow, base: string, fields: Record<string, string>) =>
    window.webContents.emit(
      'will-navigate',
      { preventDefault: () => {}, isMainFrame: true },
      `${base}?${new URLSearchParams({ endpoints: endpoint, namespace: NAMESPACE, ca: '', cert: '', key: '', user: '', password: '', ...fields })}`,
    );
  /** File › Open etcd Cluster…, the CA chosen with Choose…, then the form submitted with `fields`. */
  const openThroughDialog = async (fields: Record<string, string>) => {
    fileMenu().find((i) => i.label === 'Open etcd Cluster…')!.click!();
    await until(() => fake.windows.length > 1 && fake.windows.at(-1)!.webContents.loaded !== null, 'the dialog');
    const dialog = fake.windows.at(-1)!;
    fake.nextPicks.push(pem.ca);
    navigate(dialog, PICK_URL, { pick: 'ca', user: 'agent' });
    await until(() => page(dialog).includes(`name="ca" value="${pem.ca}"`), 'the picked CA in the form');
    navigate(dialog, SUBMIT_URL, { ...SECURE, ...fields });
    return dialog;
  };

  it("opens with the TLS files and the password given in the dialog; a wrong password, no CA or no client certificate is the engine's error, in the dialog", async () => {
    await start('keychain');
    expect(await tasks()).toEqual(['on-disk']);

    // Wrong password: refused by etcd, said in the dialog; the folder stays and nothing joins Open Recent.
    const wrong = await openThroughDialog({ password: 'wrong' });
    await until(() => page(wrong).includes('role="alert"'), 'the refusal');
    expect(page(wrong)).toMatch(new RegExp(`role="alert">etcd at ${endpoint.replace(/\./g, '\\.')} refused the credentials`));
    expect(page(wrong)).not.toContain('wrong"');
    // https:// without the CA: the server's certificate cannot be verified against the system's CAs.
    navigate(wrong, SUBMIT_URL, { user: 'agent', password: PASSWORD });
    await until(() => page(wrong).includes('unreachable'), 'the TLS failure');
    expect(page(wrong)).toContain(`etcd cluster unreachable at ${endpoint}`);
    // The CA without a client certificate: the member refuses the handshake.
    navigate(wrong, PICK_URL, { pick: 'cert', ca: pem.ca, user: 'agent' }); // shows the form again (the picker is cancelled)
    await until(() => !page(wrong).includes('unreachable'), 'the form without the error');
    navigate(wrong, SUBMIT_URL, { ca: pem.ca, user: 'agent', password: PASSWORD });
    await until(() => page(wrong).includes('unreachable'), 'the refused handshake');
    expect(page(wrong)).toContain(`etcd cluster unreachable at ${endpoint}`);
    expect(await tasks()).toEqual(['on-disk']);
    expect(recentItems().map((i) => i.label)).toEqual([root]);

    // The right password, typed again in the same dialog: the cluster is shown.
    navigate(wrong, SUBMIT_URL, { ...SECURE, password: PASSWORD });
    await until(() => wrong.isDestroyed(), 'the dialog to close');
    expect(await tasks()).toEqual(['behind-tls']);
    expect(recentItems().map((i) => i.label)).toEqual([clusterLabel(), root]);

    // recent.json: the TLS files' paths and the user, and the password only as the OS's ciphertext.
    const stored = readFileSync(join(userData, 'recent.json'), 'utf8');
    expect(stored).not.toContain(PASSWORD);
    expect(JSON.parse(stored)[0]).toEqual({ ...keptInRecent(), encryptedPassword: expect.any(String) });
    expect(fake.safeStorage.calls).toContain('encryptStringAsync');

    // Back to the folder, then the cluster again from Open Recent: no question asked.
    recentItems()[1]!.click!();
    await until(async () => (await tasks()).includes('on-disk'), 'the folder');
    const windows = fake.windows.length;
    recentItems()[1]!.click!();
    await until(async () => (await tasks()).includes('behind-tls'), 'the cluster from Open Recent');
    expect(fake.windows).toHaveLength(windows);
    expect(fake.safeStorage.calls).toContain('decryptStringAsync');
  }, 120_000);

  it('without OS encryption the password is not kept: opening the entry again asks for it', async () => {
    await start('none');
    const dialog = await openThroughDialog({ password: PASSWORD });
    await until(() => dialog.isDestroyed(), 'the dialog to close');
    expect(await tasks()).toEqual(['behind-tls']);
    const stored = readFileSync(join(userData, 'recent.json'), 'utf8');
    expect(stored).not.toContain(PASSWORD);
    expect(JSON.parse(stored)[0]).toEqual(keptInRecent());
    expect(fake.safeStorage.calls).not.toContain('encryptStringAsync');

    recentItems()[1]!.click!();
    await until(async () => (await tasks()).includes('on-disk'), 'the folder');
    const windows = fake.windows.length;
    recentItems()[1]!.click!();
    await until(() => fake.windows.length === windows + 1, 'the dialog asking for the password');
    const ask = fake.windows.at(-1)!;
    expect(page(ask)).toContain('role="status">Enter the password of the etcd user &#34;agent&#34;.');
    expect(page(ask)).toMatch(/name="password" type="password"[^>]*autofocus/);
    expect(page(ask)).toContain(`name="ca" value="${pem.ca}"`);
    expect(page(ask)).toContain(`name="key" value="${pem.clientKey}"`);
    navigate(ask, SUBMIT_URL, { ...SECURE, password: PASSWORD });
    await until(() => ask.isDestroyed(), 'the dialog to close');
    expect(await tasks()).toEqual(['behind-tls']);
  }, 120_000);
});
