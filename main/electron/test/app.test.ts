import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type * as Electron from 'electron';
import { EVENT_CHANNELS, REQUEST_CHANNELS } from '../../../shared/channels.ts';
import { openStateStore } from '../../engine/store.ts';
import { startApp } from '../app.ts';
import { createFakeElectron, FakeWebContents } from './fake-electron.ts';

describe('Electron shell wiring (fake electron module)', () => {
  let dir: string;
  let root: string;
  let fake: ReturnType<typeof createFakeElectron>;
  const mainDir = '/app/out/main';
  const rendererPrefix = pathToFileURL('/app/out/renderer').href;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lockstep-electron-'));
    root = join(dir, '.worktrees', '.state');
    const store = openStateStore({ root });
    await store.init();
    await store.updateTaskState('alpha', { status: 'in_progress' });
    store.close();
    fake = createFakeElectron(dir);
    await startApp(fake.electron as unknown as typeof Electron, { mainDir }, ['electron', 'main.js', '--root', root], {});
  });

  afterEach(() => {
    fake.app.emit('before-quit');
    rmSync(dir, { recursive: true, force: true });
  });

  const trustedEvent = () => ({ sender: fake.windows[0]!.webContents, senderFrame: { url: `${rendererPrefix}/index.html` } });

  it('registers exactly one handler per request channel of the contract', () => {
    expect([...fake.handlers.keys()].sort()).toEqual(Object.values(REQUEST_CHANNELS).sort());
  });

  it('creates a sandboxed, context-isolated window without Node and loads the built renderer', () => {
    expect(fake.windows).toHaveLength(1);
    const prefs = fake.windows[0]!.options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false });
    expect(prefs.preload).toBe(join(mainDir, '../preload/index.cjs'));
    expect(fake.windows[0]!.webContents.loaded).toBe(join(mainDir, '../renderer/index.html'));
  });

  it('answers a trusted sender with the snapshot of the chosen root', async () => {
    const result = (await fake.handlers.get(REQUEST_CHANNELS.getSnapshot)!(trustedEvent(), {})) as { ok: boolean; value: { root: string; tasks: { task_id: string }[] } };
    expect(result.ok).toBe(true);
    expect(result.value.root).toBe(root);
    expect(result.value.tasks.map((t) => t.task_id)).toEqual(['alpha']);
  });

  it('refuses calls from another webContents or from a frame outside the app', async () => {
    const stranger = { sender: new FakeWebContents(), senderFrame: { url: `${rendererPrefix}/index.html` } };
    const foreignFrame = { sender: fake.windows[0]!.webContents, senderFrame: { url: 'https://evil.example/' } };
    for (const event of [stranger, foreignFrame, { sender: fake.windows[0]!.webContents, senderFrame: null }]) {
      const result = (await fake.handlers.get(REQUEST_CHANNELS.getTask)!(event, { taskId: 'alpha' })) as { ok: boolean; error: { message: string } };
      expect(result.ok).toBe(false);
      expect(result.error.message).toMatch(/not a Lockstep window/);
    }
  });

  it('validates payloads: bad ids and unknown fields are refused with INVALID_INPUT, nothing is thrown', async () => {
    const handler = fake.handlers.get(REQUEST_CHANNELS.getTask)!;
    for (const payload of [{ taskId: '../etc' }, { taskId: 'a', extra: 1 }, null, 'x', { taskId: 'a'.repeat(200) }]) {
      const result = (await handler(trustedEvent(), payload)) as { ok: boolean; error: { code: string } };
      expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    }
  });

  it('denies navigation away from the app, new windows, and permission requests', () => {
    const contents = new FakeWebContents();
    fake.app.emit('web-contents-created', {}, contents);
    let prevented = false;
    contents.emit('will-navigate', { preventDefault: () => (prevented = true) }, 'https://evil.example/');
    expect(prevented).toBe(true);
    prevented = false;
    contents.emit('will-navigate', { preventDefault: () => (prevented = true) }, `${rendererPrefix}/index.html#/tasks`);
    expect(prevented).toBe(false);
    expect(contents.windowOpenHandler!({ url: 'https://example.com' })).toEqual({ action: 'deny' });
    let granted: boolean | null = null;
    fake.session.permissionHandler!({}, 'notifications', (g) => (granted = g));
    expect(granted).toBe(false);
  });

  it('adds the strict CSP to every response', () => {
    let headers: Record<string, string[]> = {};
    fake.session.headerHooks[0]!({ responseHeaders: {} }, (r) => (headers = (r as { responseHeaders: Record<string, string[]> }).responseHeaders));
    expect(headers['Content-Security-Policy']![0]).toMatch(/script-src 'self'/);
    expect(headers['Content-Security-Policy']![0]).not.toMatch(/unsafe-inline/);
  });

  it('pushes a patch to the window when another process changes a task', async () => {
    const wc = fake.windows[0]!.webContents;
    await new Promise((r) => setTimeout(r, 300)); // let the watcher come up
    const store = openStateStore({ root });
    await store.updateTaskState('alpha', { status: 'completed' });
    store.close();
    const deadline = Date.now() + 5000;
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
