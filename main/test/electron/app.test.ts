import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type * as Electron from 'electron';
import { EVENT_CHANNELS, REQUEST_CHANNELS } from '../../../shared/channels.ts';
import { openStateStore } from '../../engine/index.ts';
import { seedStore } from '../helpers.ts';
import { contentSecurityPolicy } from '../../host/csp.ts';
import { startApp } from '../../electron/app.ts';
import { createFakeElectron, FakeWebContents } from './fake-electron.ts';

type Fake = ReturnType<typeof createFakeElectron>;
const SECRET = 'secret outside the renderer folder';

describe('Electron shell wiring (fake electron module)', () => {
  let dir: string;
  let root: string;
  let mainDir: string;
  let fake: Fake;
  const started: Fake[] = [];

  /** Start the shell on a fresh fake Electron, as a packaged app or not, with this environment. */
  async function start({ env = {}, isPackaged = false }: { env?: NodeJS.ProcessEnv; isPackaged?: boolean } = {}): Promise<Fake> {
    const instance = createFakeElectron(dir, { isPackaged });
    started.push(instance);
    await startApp(instance.electron as unknown as typeof Electron, { mainDir }, ['electron', 'main.js', '--root', root], env);
    return instance;
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lockstep-electron-'));
    root = join(dir, '.worktrees', '.state');
    mainDir = join(dir, 'app', 'out', 'main');
    const rendererDir = join(dir, 'app', 'out', 'renderer');
    mkdirSync(join(rendererDir, 'assets'), { recursive: true });
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Lockstep</title>');
    writeFileSync(join(rendererDir, 'assets', 'index-abc.js'), 'console.log(1)');
    writeFileSync(join(rendererDir, 'favicon.svg'), '<svg/>');
    // Files next to the UI that lockstep:// must never serve.
    writeFileSync(join(dir, 'app', 'secret.txt'), SECRET);
    mkdirSync(join(dir, 'app', 'out', 'renderer-x'));
    writeFileSync(join(dir, 'app', 'out', 'renderer-x', 'secret.txt'), SECRET);
    symlinkSync(join(dir, 'app', 'secret.txt'), join(rendererDir, 'link-out.txt'));
    await seedStore({ root }, { alpha: { status: 'in_progress' } });
    fake = await start();
  });

  afterEach(() => {
    for (const instance of started.splice(0)) instance.app.emit('before-quit');
    rmSync(dir, { recursive: true, force: true });
  });

  const eventFrom = (instance: Fake, url: string) => ({ sender: instance.windows[0]!.webContents, senderFrame: { url } });
  const callGetTask = async (instance: Fake, event: unknown) =>
    (await instance.handlers.get(REQUEST_CHANNELS.getTask)!(event, { taskId: 'alpha' })) as { ok: boolean; error?: { message: string } };
  const fetchApp = (instance: Fake, url: string, method = 'GET') =>
    instance.protocol.handlers.get('lockstep')!(new Request(url, { method }));
  /** Fire will-navigate (or will-redirect) on a new webContents; true when the shell prevented it. */
  const prevented = (instance: Fake, url: string, event = 'will-navigate') => {
    const contents = new FakeWebContents();
    instance.app.emit('web-contents-created', {}, contents);
    let stopped = false;
    contents.emit(event, { preventDefault: () => (stopped = true) }, url);
    return stopped;
  };
  const cspHeaderOf = (instance: Fake) => {
    let headers: Record<string, string[]> = {};
    instance.session.headerHooks[0]!(
      { responseHeaders: {} },
      (r) => (headers = (r as { responseHeaders: Record<string, string[]> }).responseHeaders),
    );
    return headers['Content-Security-Policy']![0]!;
  };

  it('registers exactly one handler per request channel of the contract', () => {
    expect([...fake.handlers.keys()].sort()).toEqual(Object.values(REQUEST_CHANNELS).sort());
  });

  it('creates a sandboxed, context-isolated window without Node and loads the UI from lockstep://app/, not file://', () => {
    expect(fake.windows).toHaveLength(1);
    const prefs = fake.windows[0]!.options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false });
    expect(prefs.preload).toBe(join(mainDir, '../preload/index.cjs'));
    expect(fake.windows[0]!.webContents.loaded).toBe('lockstep://app/index.html');
  });

  it('registers lockstep: as a standard, secure scheme before the app is ready', () => {
    expect(fake.protocol.privileged).toEqual([
      { scheme: 'lockstep', privileges: expect.objectContaining({ standard: true, secure: true }) },
    ]);
    expect(fake.protocol.privileged[0]!.privileges).not.toHaveProperty('bypassCSP');
    expect(fake.calls.indexOf('registerSchemesAsPrivileged')).toBeLessThan(fake.calls.indexOf('ready'));
    expect([...fake.protocol.handlers.keys()]).toEqual(['lockstep']);
  });

  it('serves the built UI with its content types and the CSP header on every response', async () => {
    const csp = contentSecurityPolicy();
    const cases: [string, string, string][] = [
      ['lockstep://app/', 'text/html; charset=utf-8', '<title>Lockstep</title>'],
      ['lockstep://app/index.html', 'text/html; charset=utf-8', '<title>Lockstep</title>'],
      ['lockstep://app/assets/index-abc.js', 'text/javascript; charset=utf-8', 'console.log(1)'],
      ['lockstep://app/favicon.svg', 'image/svg+xml', '<svg/>'],
    ];
    for (const [url, type, body] of cases) {
      const response = await fetchApp(fake, url);
      expect(response.status, url).toBe(200);
      expect(response.headers.get('content-type'), url).toBe(type);
      expect(response.headers.get('content-security-policy'), url).toBe(csp);
      expect(response.headers.get('x-content-type-options'), url).toBe('nosniff');
      expect(await response.text(), url).toContain(body);
    }
    const head = await fetchApp(fake, 'lockstep://app/index.html', 'HEAD');
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const missing = await fetchApp(fake, 'lockstep://app/assets/nope.js');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-security-policy')).toBe(csp);
    expect((await fetchApp(fake, 'lockstep://app/index.html', 'POST')).status).toBe(405);
  });

  it('never serves a file outside the renderer folder, however the path is written', async () => {
    const attempts = [
      'lockstep://app/../secret.txt',
      'lockstep://app/%2e%2e/secret.txt',
      'lockstep://app/..%2fsecret.txt',
      'lockstep://app/assets/..%2f..%2fsecret.txt',
      'lockstep://app/%2e%2e%2f%2e%2e%2fsecret.txt',
      'lockstep://app/..%5c..%5csecret.txt',
      'lockstep://app/..\\..\\secret.txt',
      'lockstep://app/%252e%252e%252fsecret.txt', // decoded once only
      'lockstep://app/..%2frenderer-x%2fsecret.txt',
      'lockstep://app/../renderer-x/secret.txt',
      'lockstep://app/index.html%00.js',
      'lockstep://app/link-out.txt', // a link inside the folder that leads out
      'lockstep://other/secret.txt',
      'lockstep://app/assets',
    ];
    for (const url of attempts) {
      const response = await fetchApp(fake, url);
      expect([403, 404], url).toContain(response.status);
      expect(await response.text(), url).not.toContain(SECRET);
    }
    const malformed = await fetchApp(fake, 'lockstep://app/%E0%A4%A');
    expect(malformed.status).toBe(400);
    expect(await malformed.text()).toMatch(/malformed percent-encoding/);
  });

  it('pushes the snapshot once the renderer says ready, then the patches after it, and again after a reload', async () => {
    const window = fake.windows[0]!.webContents;
    type Pushed = { seq: number; root?: string; tasks?: unknown };
    const pushed = (channel: string) => window.sent.filter((m) => m.channel === channel).map((m) => m.payload as Pushed);
    const ready = (url = 'lockstep://app/index.html', payload: unknown = {}) =>
      fake.handlers.get(REQUEST_CHANNELS.ready)!(eventFrom(fake, url), payload) as Promise<{
        ok: boolean;
        value?: { seq: number };
        error?: { code: string; message: string };
      }>;
    expect(pushed(EVENT_CHANNELS.reset)).toEqual([]); // nothing before the renderer is ready

    // Refused like every other call: a frame that is not ours, a payload the contract does not allow.
    expect((await ready('https://evil.example/')).error?.message).toMatch(/not a Lockstep window/);
    expect((await ready(undefined, { since: 3 })).error?.code).toBe('INVALID_INPUT');
    expect(pushed(EVENT_CHANNELS.reset)).toEqual([]);

    const first = await ready();
    expect(first.ok).toBe(true);
    const [snapshot] = pushed(EVENT_CHANNELS.reset);
    expect(snapshot).toMatchObject({ root, seq: first.value!.seq, tasks: [expect.objectContaining({ task_id: 'alpha' })] });

    const store = openStateStore({ root });
    await store.updateTaskState('beta', { status: 'queued' });
    store.close();
    // Until the task itself arrived: an earlier patch may carry only the commit's lock events.
    const deadline = Date.now() + 15_000;
    const hasBeta = () => pushed(EVENT_CHANNELS.patch).some((p) => JSON.stringify(p.tasks ?? null).includes('"task_id":"beta"'));
    while (!hasBeta() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(hasBeta()).toBe(true);
    const seqs = pushed(EVENT_CHANNELS.patch).map((p) => p.seq);
    expect(seqs).toEqual(seqs.map((_, i) => snapshot!.seq + 1 + i)); // the next ones, no gap

    // A reload: the new page says ready again and starts from a fresh snapshot that holds the change.
    const again = await ready();
    expect(again.value!.seq).toBeGreaterThanOrEqual(seqs.at(-1)!);
    expect(pushed(EVENT_CHANNELS.reset).at(-1)!.tasks).toEqual(expect.arrayContaining([expect.objectContaining({ task_id: 'beta' })]));
  });

  it('refuses calls from another webContents or from a frame outside lockstep://app/', async () => {
    const refusedFrames = [
      'https://evil.example/',
      'lockstep://app-x/index.html',
      'lockstep://appx/index.html',
      'lockstep://app.evil/index.html',
      pathToFileURL(join(mainDir, '../renderer/index.html')).href, // the old file:// origin
    ];
    const events = [
      { sender: new FakeWebContents(), senderFrame: { url: 'lockstep://app/index.html' } },
      { sender: fake.windows[0]!.webContents, senderFrame: null },
      ...refusedFrames.map((url) => eventFrom(fake, url)),
    ];
    for (const event of events) {
      const result = await callGetTask(fake, event);
      expect(result.ok, JSON.stringify(event.senderFrame)).toBe(false);
      expect(result.error!.message).toMatch(/not a Lockstep window/);
    }
    expect((await callGetTask(fake, eventFrom(fake, 'lockstep://app/index.html#/tasks'))).ok).toBe(true);
  });

  it('validates payloads: bad ids and unknown fields are refused with INVALID_INPUT, nothing is thrown', async () => {
    const handler = fake.handlers.get(REQUEST_CHANNELS.getTask)!;
    for (const payload of [{ taskId: '../etc' }, { taskId: 'a', extra: 1 }, null, 'x', { taskId: 'a'.repeat(200) }]) {
      const result = (await handler(eventFrom(fake, 'lockstep://app/index.html'), payload)) as { ok: boolean; error: { code: string } };
      expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    }
  });

  it('denies navigation outside lockstep://app/ (a look-alike prefix included) and every new window', () => {
    for (const url of ['https://evil.example/', 'lockstep://app-x/index.html', 'lockstep://app.evil/', 'file:///etc/passwd']) {
      expect(prevented(fake, url), url).toBe(true);
      expect(prevented(fake, url, 'will-redirect'), url).toBe(true);
    }
    expect(prevented(fake, 'lockstep://app/index.html#/tasks')).toBe(false);
    const contents = new FakeWebContents();
    fake.app.emit('web-contents-created', {}, contents);
    expect(contents.windowOpenHandler!({ url: 'https://example.com' })).toEqual({ action: 'deny' });
  });

  it('grants no permission, whether requested or only checked', () => {
    for (const permission of ['notifications', 'media', 'geolocation', 'clipboard-read', 'clipboard-sanitized-write']) {
      let granted: boolean | null = null;
      fake.session.permissionHandler!({}, permission, (g) => (granted = g));
      expect(granted, permission).toBe(false);
      expect(fake.session.permissionCheckHandler!({}, permission, 'lockstep://app', {}), permission).toBe(false);
    }
  });

  it('sends the strict CSP, allowing no connection beyond its own origin', () => {
    const csp = cspHeaderOf(fake);
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).not.toMatch(/unsafe-inline/);
    expect(csp).toMatch(/connect-src 'self';/);
    expect(csp).not.toMatch(/ws:/);
  });

  it('in development, loads the dev server of ELECTRON_RENDERER_URL and trusts that origin only', async () => {
    const dev = await start({ env: { ELECTRON_RENDERER_URL: 'http://localhost:5173' } });
    expect(dev.windows[0]!.webContents.loaded).toBe('http://localhost:5173/');
    expect(prevented(dev, 'http://localhost:5173/index.html#/locks')).toBe(false);
    for (const url of [
      'http://localhost:5173.evil.example/',
      'http://localhost:51730/',
      'http://localhost:5173@evil.example/',
      'lockstep://app/index.html',
    ]) {
      expect(prevented(dev, url), url).toBe(true);
    }
    expect((await callGetTask(dev, eventFrom(dev, 'http://localhost:5173/'))).ok).toBe(true);
    expect((await callGetTask(dev, eventFrom(dev, 'http://localhost:51730/'))).ok).toBe(false);
    // Hot reload's WebSocket on the dev server's port, and no other.
    expect(cspHeaderOf(dev)).toMatch(/connect-src 'self' ws:\/\/localhost:5173;/);
  });

  it('in a packaged app, ignores ELECTRON_RENDERER_URL: the remote page is neither loaded nor trusted', async () => {
    const packaged = await start({ env: { ELECTRON_RENDERER_URL: 'https://evil.example/' }, isPackaged: true });
    expect(packaged.windows[0]!.webContents.loaded).toBe('lockstep://app/index.html');
    expect(prevented(packaged, 'https://evil.example/')).toBe(true);
    expect((await callGetTask(packaged, eventFrom(packaged, 'https://evil.example/'))).ok).toBe(false);
    expect((await callGetTask(packaged, eventFrom(packaged, 'lockstep://app/index.html'))).ok).toBe(true);
    expect(cspHeaderOf(packaged)).not.toMatch(/evil|ws:/);
  });

  it('runs the demo agents as utility processes, not as Electron re-run as node, and stops them on quit', async () => {
    const result = (await fake.handlers.get(REQUEST_CHANNELS.startDemo)!(eventFrom(fake, 'lockstep://app/index.html'), {
      agents: 3,
      tasks: 5,
    })) as { ok: boolean; value: { root: string } };
    expect(result.ok).toBe(true);
    const demoRoot = result.value.root;
    expect(fake.utilityProcesses).toHaveLength(3);
    for (const [i, child] of fake.utilityProcesses.entries()) {
      expect(child.modulePath).toBe(join(mainDir, '../cli/lockstep.js'));
      expect(child.args).toEqual([
        '--root',
        demoRoot,
        '__agent',
        '--agent',
        String(i + 1),
        '--tasks',
        '5',
        '--seconds',
        '600',
        '--pace-ms',
        '250',
      ]);
      expect(child.options).toMatchObject({ stdio: 'ignore' });
      expect(child.options).not.toHaveProperty('env.ELECTRON_RUN_AS_NODE');
    }
    expect(existsSync(demoRoot)).toBe(true);
    fake.app.emit('before-quit');
    const deadline = Date.now() + 15_000; // a condition awaited: generous, as the machine may be loaded
    while (existsSync(dirname(dirname(demoRoot))) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(fake.utilityProcesses.every((child) => child.killed)).toBe(true);
    expect(existsSync(dirname(dirname(demoRoot)))).toBe(false);
  });

  it('pushes a patch to the window when another process changes a task', async () => {
    const wc = fake.windows[0]!.webContents;
    await fake.handlers.get(REQUEST_CHANNELS.ready)!(eventFrom(fake, 'lockstep://app/index.html'), {});
    await new Promise((r) => setTimeout(r, 300)); // let the watcher come up
    const store = openStateStore({ root });
    await store.updateTaskState('alpha', { status: 'completed' });
    store.close();
    const deadline = Date.now() + 15_000; // a condition awaited: generous, as the machine may be loaded
    let found = false;
    while (!found && Date.now() < deadline) {
      found = wc.sent.some((m) => m.channel === EVENT_CHANNELS.patch && JSON.stringify(m.payload).includes('"status":"completed"'));
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(found).toBe(true);
  });

  it('installs the File, View › Theme and Help menus', () => {
    const template = fake.menus.at(-1) as { label?: string; submenu?: { label?: string; submenu?: unknown }[] }[];
    const file = template.find((m) => m.label === 'File')!;
    expect(file.submenu!.map((i) => i.label)).toEqual(expect.arrayContaining(['Open State Folder…', 'Open Recent', 'Reload']));
    const view = template.find((m) => m.label === 'View')!;
    const theme = view.submenu!.find((i) => i.label === 'Theme') as { submenu: { label: string }[] };
    expect(theme.submenu.map((i) => i.label)).toEqual(['System', 'Light', 'Dark']);
    expect(template.some((m) => m.label === 'Help')).toBe(true);
  });
});
