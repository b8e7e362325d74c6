// The Electron shell: single instance, one secure window, the native menu,
// and the state host wired to IPC. Everything else lives in main/host and
// main/engine, shared with `lockstep serve`.
import { join } from 'node:path';
import type * as Electron from 'electron';
import { connectionHandlers, createHandlers } from '../host/api.ts';
import { DemoRunner } from '../host/demo.ts';
import { StateHost } from '../host/state-host.ts';
import { APP_SCHEME, rendererSource } from './app-origin.ts';
import { APP_SCHEME_PRIVILEGES, createAppProtocolHandler } from './app-protocol.ts';
import { registerIpc, pushEvent, trustedSenderCheck } from './ipc.ts';
import { askForEtcdCluster } from './etcd-dialog.ts';
import { buildMenuTemplate, type ThemeSource } from './menu.ts';
import { placeFromArgv, placeOptions, type Place } from './place.ts';
import { addRecent, loadRecent, recentLabel } from './recent.ts';
import { utilityProcessStarter } from './utility-process.ts';
import { lockDownContents, secureWindowOptions } from './window.ts';
import { loadWindowState, saveWindowState } from './window-state.ts';
import { rotatingFileLogger } from './log-file.ts';

export interface AppPaths {
  /** out/main: the directory of the bundled main entry. */
  mainDir: string;
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

  let place: Place;
  try {
    place = placeFromArgv(argv, env);
  } catch (err) {
    process.stderr.write(`Lockstep: ${(err as Error).message}; opening the default state folder\n`);
    place = placeFromArgv([], { ...env, LOCKSTEP_ETCD: '' });
  }
  const host = new StateHost({ ...placeOptions(place), monitor: true, logger: rotatingFileLogger(app.getPath('logs')) });
  const demo = new DemoRunner(
    host,
    join(paths.mainDir, '../cli/lockstep.js'),
    [],
    utilityProcessStarter(utilityProcess, 'Lockstep demo agent'),
  );
  const ready = host.start();
  let recent = addRecent(recentFile, loadRecent(recentFile), place);
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
  // The window's renderer says `ready` (again after a reload): the host pushes a snapshot, then patches.
  const feed = host.subscribe((event, payload) => pushEvent(win.webContents, event, payload));
  const unregister = registerIpc(
    ipcMain,
    connectionHandlers(createHandlers(host, demo), feed),
    trustedSenderCheck((wc) => ours.has(wc.id), renderer.baseUrl),
  );

  /** Show another folder or cluster; if it cannot be opened, say why and go back to the one shown. */
  const openPlace = async (next: Place) => {
    const previous = place;
    try {
      await host.switchTo(placeOptions(next));
    } catch (err) {
      dialog.showErrorBox(`Cannot open ${recentLabel(next)}`, (err as Error).message);
      await host.switchTo(placeOptions(previous)).catch(() => {});
      return;
    }
    place = next;
    recent = addRecent(recentFile, recent, next);
    if (next.kind === 'folder') app.addRecentDocument(next.root);
    refreshMenu();
  };
  const refreshMenu = () => {
    Menu.setApplicationMenu(
      Menu.buildFromTemplate(
        buildMenuTemplate(
          {
            openStateFolder: async () => {
              const result = await dialog.showOpenDialog(win, {
                title: 'Open State Folder',
                properties: ['openDirectory', 'createDirectory'],
              });
              if (!result.canceled && result.filePaths[0]) await openPlace({ kind: 'folder', root: result.filePaths[0] });
            },
            openEtcdCluster: async () => {
              const lastCluster = recent.find((entry) => entry.kind === 'etcd');
              const choice = await askForEtcdCluster(electron, win, lastCluster);
              if (choice) await openPlace({ kind: 'etcd', ...choice });
            },
            openRecent: (entry) => void openPlace(entry),
            clearRecent: () => {
              recent = addRecent(recentFile, [], place);
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
          },
          recent,
          theme,
          process.platform === 'darwin',
          !app.isPackaged,
        ),
      ),
    );
  };
  refreshMenu();

  app.on('second-instance', () => {
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', () => {
    feed.close();
    unregister();
    void demo.stop();
    void host.close();
  });

  await ready;
  await win.loadURL(renderer.entryUrl);
}
