// The Electron shell: single instance, one secure window, the native menu,
// and the state host wired to IPC. Everything else lives in main/host and
// main/engine, shared with `lockstep serve`.
import { join, resolve } from 'node:path';
import type * as Electron from 'electron';
import { defaultRoot } from '../engine/paths.ts';
import { createHandlers } from '../host/api.ts';
import { DemoRunner } from '../host/demo.ts';
import { StateHost } from '../host/state-host.ts';
import { APP_SCHEME, rendererSource } from './app-origin.ts';
import { APP_SCHEME_PRIVILEGES, createAppProtocolHandler } from './app-protocol.ts';
import { registerIpc, pushEvent, trustedSenderCheck } from './ipc.ts';
import { buildMenuTemplate, type ThemeSource } from './menu.ts';
import { addRecent, loadRecent } from './recent.ts';
import { utilityProcessStarter } from './utility-process.ts';
import { lockDownContents, secureWindowOptions } from './window.ts';
import { loadWindowState, saveWindowState } from './window-state.ts';
import { rotatingFileLogger } from './log-file.ts';

export interface AppPaths {
  /** out/main: the directory of the bundled main entry. */
  mainDir: string;
}

export function rootFromArgv(argv: string[], env: NodeJS.ProcessEnv): string {
  const i = argv.indexOf('--root');
  if (i !== -1 && argv[i + 1]) return resolve(argv[i + 1]!);
  const eq = argv.find((a) => a.startsWith('--root='));
  if (eq) return resolve(eq.slice('--root='.length));
  return defaultRoot(process.cwd(), env);
}

export async function startApp(electron: typeof Electron, paths: AppPaths, argv = process.argv, env = process.env): Promise<void> {
  const { app, BrowserWindow, ipcMain, Menu, dialog, nativeTheme, protocol, screen, session, shell, utilityProcess } = electron;
  app.setName('Lockstep');
  // Privileges only take effect when registered before 'ready' (this runs
  // while main.js is first evaluated, before its first await).
  protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  await app.whenReady();

  const userData = app.getPath('userData');
  const stateFile = join(userData, 'window-state.json');
  const recentFile = join(userData, 'recent.json');
  const preloadPath = join(paths.mainDir, '../preload/index.cjs');
  const renderer = rendererSource(env, app.isPackaged);
  if (renderer.ignored) process.stderr.write(`Lockstep: ${renderer.ignored}; loading the built UI\n`);

  protocol.handle(APP_SCHEME, createAppProtocolHandler(join(paths.mainDir, '../renderer'), renderer.csp));
  // The lockstep:// handler sends the CSP itself; this adds it to the dev server's pages.
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [renderer.csp] } });
  });
  // No permission (camera, notifications, clipboard…) is ever granted, nor reported as granted.
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  app.on('web-contents-created', (_event, contents) => lockDownContents(contents, renderer.baseUrl, (url) => void shell.openExternal(url)));

  const host = new StateHost({ root: rootFromArgv(argv, env), monitor: true, logger: rotatingFileLogger(app.getPath('logs')) });
  const demo = new DemoRunner(host, join(paths.mainDir, '../cli/lockstep.js'), [], utilityProcessStarter(utilityProcess, 'Lockstep demo agent'));
  const ready = host.start();
  let recent = addRecent(recentFile, loadRecent(recentFile), host.root);
  let theme: ThemeSource = 'system';

  const displays = screen.getAllDisplays().map((d) => d.workArea);
  const saved = loadWindowState(stateFile, displays);
  const win = new BrowserWindow(secureWindowOptions(preloadPath, saved));
  if (saved.maximized) win.maximize();
  const persist = () => saveWindowState(stateFile, { ...win.getNormalBounds(), maximized: win.isMaximized() });
  let persistTimer: NodeJS.Timeout | undefined;
  const persistSoon = () => {
    clearTimeout(persistTimer);
    persistTimer = setTimeout(persist, 500);
  };
  win.on('resize', persistSoon);
  win.on('move', persistSoon);
  win.on('close', persist);
  win.once('ready-to-show', () => win.show());

  const ours = new Set([win.webContents.id]);
  const unregister = registerIpc(ipcMain, createHandlers(host, demo), trustedSenderCheck((wc) => ours.has(wc.id), renderer.baseUrl));
  const unsubscribe = host.subscribe((event, payload) => pushEvent(win.webContents, event, payload));

  const switchRoot = async (root: string) => {
    await host.switchRoot(root);
    recent = addRecent(recentFile, recent, root);
    app.addRecentDocument(root);
    refreshMenu();
  };
  const refreshMenu = () => {
    Menu.setApplicationMenu(Menu.buildFromTemplate(buildMenuTemplate({
      openStateFolder: async () => {
        const result = await dialog.showOpenDialog(win, { title: 'Open State Folder', properties: ['openDirectory', 'createDirectory'] });
        if (!result.canceled && result.filePaths[0]) await switchRoot(result.filePaths[0]);
      },
      openRecent: (root) => void switchRoot(root),
      clearRecent: () => {
        recent = addRecent(recentFile, [], host.root);
        refreshMenu();
      },
      reload: () => win.webContents.reload(),
      setTheme: (value) => {
        theme = value;
        nativeTheme.themeSource = value;
        refreshMenu();
      },
      openDocs: () => void shell.openPath(join(paths.mainDir, '../../README.md')),
      about: () => app.showAboutPanel(),
    }, recent, theme, process.platform === 'darwin', !app.isPackaged)));
  };
  refreshMenu();

  app.on('second-instance', () => {
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', () => {
    unsubscribe();
    unregister();
    void demo.stop();
    void host.close();
  });

  await ready;
  await win.loadURL(renderer.entryUrl);
}

