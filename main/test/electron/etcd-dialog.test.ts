// The Open etcd Cluster dialog without a cluster: what it refuses before
// connecting (with real PEM files made by openssl), how it reads its
// script-free form, that its pages never hold the password, and how Open
// Recent keeps a password (encrypted by the OS, or not at all).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Electron from 'electron';
import { askForEtcdCluster, CANCEL_URL, PICK_URL, readSubmission, SUBMIT_URL } from '../../electron/etcd-dialog.ts';
import { checkEtcdForm, formOf, type EtcdForm } from '../../electron/etcd-form.ts';
import { safeStorageVault } from '../../electron/password-vault.ts';
import type { EtcdPlace } from '../../electron/place.ts';
import { placeFromArgv, placeOptions } from '../../electron/place.ts';
import { addRecent, loadRecent, recentEntryOf, recentLabel } from '../../electron/recent.ts';
import { createFakeElectron, createFakeSafeStorage, FAKE_CIPHER_TAG } from './fake-electron.ts';
import { makeTlsFiles, type TlsFiles } from './tls-files.ts';

let dir: string;
let pem: TlsFiles;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-etcd-dialog-'));
  pem = makeTlsFiles(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const form = (fields: Partial<EtcdForm>): EtcdForm => ({ ...formOf(), endpoints: 'https://127.0.0.1:2379', ...fields });
const refusal = (fields: Partial<EtcdForm>, kept?: { username: string; password: string }) => {
  try {
    checkEtcdForm(form(fields), kept);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('accepted');
};

/** The place both the dialog and the command line give for the test's TLS files, user "agent" and password "pw". */
const securePlace = (): EtcdPlace => ({
  kind: 'etcd',
  endpoints: ['https://127.0.0.1:2379'],
  namespace: 'lockstep',
  tls: { ca: pem.ca, cert: pem.clientCert, key: pem.clientKey },
  username: 'agent',
  password: 'pw',
});

describe('the form is checked before connecting', () => {
  it('accepts a CA, a client certificate with its key, and a user with a password; the engine gets them all', () => {
    const place = checkEtcdForm(
      form({ endpoints: '127.0.0.1:2379', ca: pem.ca, cert: pem.clientCert, key: pem.clientKey, user: 'agent', password: 'pw' }),
    );
    // A bare host:port with TLS files is https://, as in the CLI.
    expect(place).toEqual(securePlace());
    expect(placeOptions(place)).toEqual({
      etcd: {
        endpoints: ['https://127.0.0.1:2379'],
        namespace: 'lockstep',
        tls: { ca: pem.ca, cert: pem.clientCert, key: pem.clientKey },
        auth: { username: 'agent', password: 'pw' },
      },
    });
    // Neither TLS nor a user: plain endpoints, no tls or auth options at all.
    expect(placeOptions(checkEtcdForm(form({ endpoints: 'http://h:2379', namespace: 'team' })))).toEqual({
      etcd: { endpoints: ['http://h:2379'], namespace: 'team' },
    });
  });

  it('names the file and what is wrong with it: missing, unreadable, a folder, not PEM, expired, passphrase, relative', () => {
    expect(refusal({ ca: join(dir, 'nope.pem') })).toBe(`CA certificate: cannot read ${join(dir, 'nope.pem')} (no such file).`);
    const locked = join(dir, 'locked.pem');
    writeFileSync(locked, readFileSync(pem.ca), { mode: 0o000 });
    // root reads any file: only assert the refusal where the permission applies.
    if (process.getuid?.() !== 0) expect(refusal({ ca: locked })).toBe(`CA certificate: cannot read ${locked} (permission denied).`);
    expect(refusal({ ca: dir })).toBe(`CA certificate: cannot read ${dir} (it is a folder).`);
    expect(refusal({ ca: pem.notPem })).toMatch(/^CA certificate: .*notes\.txt holds no PEM certificate/);
    expect(refusal({ ca: pem.ca, cert: pem.expiredCert, key: pem.clientKey })).toMatch(/^Client certificate: .*expired\.pem expired on /);
    expect(refusal({ ca: pem.ca, cert: pem.clientCert, key: pem.encryptedKey })).toMatch(/is protected by a passphrase/);
    expect(refusal({ ca: pem.ca, cert: pem.clientCert, key: pem.ca })).toMatch(/^Client key: .* holds no unencrypted PEM private key/);
    expect(refusal({ ca: 'certs/ca.pem' })).toBe('CA certificate: give the full path (or use Choose…), not "certs/ca.pem".');
  });

  it('a certificate and its key go together, belong together, and need the CA', () => {
    expect(refusal({ ca: pem.ca, cert: pem.clientCert })).toMatch(/client certificate and the client key go together/);
    expect(refusal({ ca: pem.ca, key: pem.clientKey })).toMatch(/client certificate and the client key go together/);
    expect(refusal({ ca: pem.ca, cert: pem.clientCert, key: pem.otherKey })).toBe(
      `Client key: ${pem.otherKey} is not the key of the client certificate ${pem.clientCert}.`,
    );
    expect(refusal({ cert: pem.clientCert, key: pem.clientKey })).toMatch(/needs the CA certificate too/);
  });

  it('TLS files with an http:// endpoint are refused, naming the https:// URL to use', () => {
    expect(refusal({ endpoints: 'https://a:2379,http://b:2379', ca: pem.ca })).toBe(
      'http://b:2379 is plain HTTP, but TLS files are given: use https://b:2379, or clear the TLS files.',
    );
  });

  it('endpoints and namespace follow the CLI rules', () => {
    expect(refusal({ endpoints: ' , ' })).toMatch(/^Give at least one endpoint URL/);
    expect(refusal({ endpoints: 'ftp://h:1' })).toMatch(/only http:\/\/ and https:\/\//);
    expect(refusal({ endpoints: 'http://h' })).toMatch(/give the client port/);
    expect(refusal({ namespace: 'a/b' })).toMatch(/the namespace must be/);
    expect(refusal({ endpoints: 'https://agent:pw@h:2379' })).toBe(
      'Give the user and the password in their own fields, not in the endpoint URL.',
    );
    expect(checkEtcdForm(form({ namespace: '  ' })).namespace).toBe('lockstep');
  });

  it('a user without a password asks for it; a password without a user is refused; a kept password serves its user only', () => {
    expect(refusal({ user: 'agent' })).toBe('Enter the password of the etcd user "agent".');
    expect(refusal({ password: 'pw' })).toBe('A password needs its user name: fill in User, or clear Password.');
    expect(checkEtcdForm(form({ user: 'agent' }), { username: 'agent', password: 'kept' }).password).toBe('kept');
    expect(checkEtcdForm(form({ user: 'agent', password: 'new' }), { username: 'agent', password: 'kept' }).password).toBe('new');
    expect(refusal({ user: 'other' }, { username: 'agent', password: 'kept' })).toBe('Enter the password of the etcd user "other".');
  });
});

describe('the command line takes the CLI options, checked the same way', () => {
  const argv = (...args: string[]) => ['electron', 'main.js', '--etcd', '127.0.0.1:2379', ...args];

  it('--etcd-cacert/--etcd-cert/--etcd-key (relative to the working folder) and --etcd-user with LOCKSTEP_ETCD_PASSWORD', () => {
    const tls = ['--etcd-cacert', 'ca.pem', '--etcd-cert', 'client.pem', '--etcd-key', 'client.key'];
    expect(placeFromArgv(argv(...tls, '--etcd-user', 'agent'), { LOCKSTEP_ETCD_PASSWORD: 'pw' }, dir)).toEqual(securePlace());
    // The password is taken from the environment for a user only, as in the CLI.
    expect(placeFromArgv(argv(), { LOCKSTEP_ETCD_PASSWORD: 'pw' }, dir)).toEqual({
      kind: 'etcd',
      endpoints: ['http://127.0.0.1:2379'],
      namespace: 'lockstep',
    });
    expect(() => placeFromArgv(argv('--etcd-user', 'agent'), {}, dir)).toThrow(
      '--etcd-user needs the password in the environment variable LOCKSTEP_ETCD_PASSWORD',
    );
    expect(() => placeFromArgv(argv('--etcd-cacert', 'missing.pem'), {}, dir)).toThrow(
      `CA certificate: cannot read ${join(dir, 'missing.pem')} (no such file).`,
    );
  });
});

describe("the form's submissions", () => {
  const query = (base: string, fields: Record<string, string>) => `${base}?${new URLSearchParams(fields)}`;

  it('are read through a schema: unknown fields dropped, a bad picker field or an oversized value ignored', () => {
    expect(readSubmission(query(SUBMIT_URL, { endpoints: 'h:1', user: 'u', password: 'p', extra: 'x' }))).toEqual({
      action: 'submit',
      form: { endpoints: 'h:1', namespace: '', ca: '', cert: '', key: '', user: 'u', password: 'p' },
    });
    expect(readSubmission(query(PICK_URL, { pick: 'cert', endpoints: 'h:1' }))).toMatchObject({ action: 'pick', pick: 'cert' });
    expect(readSubmission(query(PICK_URL, { pick: 'password' }))).toBeNull();
    expect(readSubmission(query(SUBMIT_URL, { endpoints: 'x'.repeat(5000) }))).toBeNull();
    expect(readSubmission(CANCEL_URL)).toEqual({ action: 'cancel' });
    expect(readSubmission('https://example.com/?endpoints=h:1')).toBeNull();
    expect(readSubmission(`${SUBMIT_URL}.evil.com/?endpoints=h:1`)).toBeNull();
  });
});

describe('the dialog window', () => {
  type Fake = ReturnType<typeof createFakeElectron>;
  const open = (fake: Fake, opens: EtcdPlace[], fail?: string, options: { password?: string; initial?: EtcdPlace } = {}) => {
    const parent = new fake.electron.BrowserWindow({});
    const result = askForEtcdCluster(fake.electron as unknown as typeof Electron, parent as unknown as Electron.BrowserWindow, {
      ...options,
      open: async (place) => {
        opens.push(place);
        if (fail) throw new Error(fail);
      },
    });
    return { result, dialog: fake.windows.at(-1)! };
  };
  const page = (dialog: Fake['windows'][number]) => decodeURIComponent(dialog.webContents.loaded!);
  const navigate = (dialog: Fake['windows'][number], url: string, isMainFrame = true) => {
    let prevented = false;
    dialog.webContents.emit('will-navigate', { preventDefault: () => (prevented = true), isMainFrame }, url);
    expect(prevented).toBe(true);
  };
  const settle = () => new Promise((r) => setTimeout(r, 20));
  const submitUrl = (fields: Partial<EtcdForm>) => `${SUBMIT_URL}?${new URLSearchParams({ ...form({}), ...fields })}`;

  it('fills a path from a file picker shown over it, keeps what was typed, and never puts the password in its page', async () => {
    const fake = createFakeElectron(dir);
    const opens: EtcdPlace[] = [];
    const { result, dialog } = open(fake, opens);
    expect(page(dialog)).not.toMatch(/<script/i);
    fake.nextPicks.push(pem.ca);
    navigate(dialog, `${PICK_URL}?${new URLSearchParams({ ...form({ user: 'agent', password: 'hunter2' }), pick: 'ca' })}`);
    await settle();
    expect(fake.openDialogs).toHaveLength(1);
    expect(fake.openDialogs[0]!.parent).toBe(dialog);
    expect(page(dialog)).toContain(`name="ca" value="${pem.ca}"`);
    expect(page(dialog)).toContain('value="agent"');
    expect(page(dialog)).not.toContain('hunter2');
    expect(page(dialog)).toContain('leave empty to keep it');

    // A refusal shows the reason; the password typed before is still the one used.
    navigate(dialog, submitUrl({ user: 'agent', ca: pem.ca, endpoints: 'http://127.0.0.1:2379' }));
    await settle();
    expect(page(dialog)).toMatch(/role="alert">http:\/\/127\.0\.0\.1:2379 is plain HTTP/);
    expect(page(dialog)).not.toContain('hunter2');
    expect(opens).toHaveLength(0);

    // A navigation from a frame other than the page's main frame is refused and ignored.
    navigate(dialog, submitUrl({ user: 'agent', ca: pem.ca }), false);
    await settle();
    expect(opens).toHaveLength(0);

    navigate(dialog, submitUrl({ user: 'agent', ca: pem.ca }));
    expect(await result).toMatchObject({ username: 'agent', password: 'hunter2', tls: { ca: pem.ca } });
    expect(opens).toHaveLength(1);
    expect(dialog.isDestroyed()).toBe(true);
  });

  it("a connection that fails shows the engine's message in the dialog, which stays open with the values", async () => {
    const fake = createFakeElectron(dir);
    const opens: EtcdPlace[] = [];
    const { result, dialog } = open(fake, opens, 'etcd at https://127.0.0.1:2379 refused the credentials: authentication failed');
    navigate(dialog, submitUrl({ namespace: 'team', user: 'agent', password: 'wrong' }));
    await settle();
    expect(opens).toHaveLength(1);
    expect(dialog.isDestroyed()).toBe(false);
    expect(page(dialog)).toMatch(/role="alert">etcd at https:\/\/127\.0\.0\.1:2379 refused the credentials: authentication failed/);
    expect(page(dialog)).toContain('value="team"');
    expect(page(dialog)).not.toContain('wrong');
    navigate(dialog, CANCEL_URL);
    expect(await result).toBeNull();
  });

  it('opened with a password from Open Recent, it offers to keep it without showing it', async () => {
    const fake = createFakeElectron(dir);
    const opens: EtcdPlace[] = [];
    const initial: EtcdPlace = { kind: 'etcd', endpoints: ['https://127.0.0.1:2379'], namespace: 'ns', username: 'agent' };
    const { result, dialog } = open(fake, opens, undefined, { initial, password: 'from-keychain' });
    expect(page(dialog)).toContain('leave empty to keep it');
    expect(page(dialog)).not.toContain('from-keychain');
    navigate(dialog, submitUrl({ namespace: 'ns', user: 'agent' }));
    expect(await result).toMatchObject({ username: 'agent', password: 'from-keychain' });
  });
});

describe('Open Recent keeps no password in plain text', () => {
  const place: EtcdPlace = {
    kind: 'etcd',
    endpoints: ['https://127.0.0.1:2379'],
    namespace: 'team',
    tls: { ca: '/certs/ca.pem', cert: '/certs/client.pem', key: '/certs/client.key' },
    username: 'agent',
    password: 'hunter2',
  };

  it('with OS encryption, the password is stored only as its ciphertext and comes back from it', async () => {
    const safeStorage = createFakeSafeStorage('keychain');
    const vault = safeStorageVault(safeStorage, 'linux');
    const file = join(dir, 'recent-keychain.json');
    const sealed = await vault.seal(place.password!);
    addRecent(file, [], recentEntryOf(place, sealed));
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('hunter2');
    expect(Buffer.from(sealed!, 'base64').subarray(0, FAKE_CIPHER_TAG.length).toString()).toBe(FAKE_CIPHER_TAG);
    const [entry] = loadRecent(file);
    expect(entry).toEqual({
      kind: 'etcd',
      endpoints: place.endpoints,
      namespace: 'team',
      tls: place.tls,
      username: 'agent',
      encryptedPassword: sealed,
    });
    expect(await vault.unseal((entry as { encryptedPassword: string }).encryptedPassword)).toBe('hunter2');
    expect(safeStorage.calls).toEqual([
      'isAsyncEncryptionAvailable',
      'encryptStringAsync',
      'isAsyncEncryptionAvailable',
      'decryptStringAsync',
    ]);
    expect(recentLabel(entry!)).toBe('etcd: team on https://127.0.0.1:2379 as agent');
  });

  it('without OS encryption, or with Linux\'s hard-coded "basic_text" key, nothing of the password is stored', async () => {
    for (const encryption of ['none', 'basic_text'] as const) {
      const safeStorage = createFakeSafeStorage(encryption);
      const vault = safeStorageVault(safeStorage, 'linux');
      const sealed = await vault.seal(place.password!);
      expect(sealed).toBeUndefined();
      expect(safeStorage.calls).not.toContain('encryptStringAsync');
      const file = join(dir, `recent-${encryption}.json`);
      addRecent(file, [], recentEntryOf(place, sealed));
      expect(readFileSync(file, 'utf8')).not.toContain('hunter2');
      expect(loadRecent(file)[0]).not.toHaveProperty('encryptedPassword');
      expect(loadRecent(file)[0]).toMatchObject({ username: 'agent', tls: place.tls });
    }
    // macOS and Windows have no "basic_text": availability alone decides there.
    expect(await safeStorageVault(createFakeSafeStorage('basic_text'), 'darwin').seal('x')).toBeDefined();
  });

  it('a ciphertext that no longer decrypts (another user, a reset keyring) means "ask again", not an error', async () => {
    expect(
      await safeStorageVault(createFakeSafeStorage('keychain'), 'linux').unseal(Buffer.from('garbage').toString('base64')),
    ).toBeUndefined();
  });
});
