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
import { askForEtcdCluster, type AskOptions } from './etcd-dialog.ts';
import { checkEtcdForm, formOf } from './etcd-form.ts';
import { buildMenuTemplate, type ThemeSource } from './menu.ts';
import { safeStorageVault } from './password-vault.ts';
import { placeFromArgv, placeOptions, type EtcdPlace, type Place } from './place.ts';
import { addRecent, loadRecent, recentEntryOf, recentKey, recentLabel, type RecentCluster } from './recent.ts';
import { utilityProcessStarter } from './utility-process.ts';
import { lockDownContents, secureWindowOptions } from './window.ts';
import { loadWindowState, saveWindowState } from './window-state.ts';
import { rotatingFileLogger } from './log-file.ts';

export interface AppPaths {
  /** out/main: the directory of the bundled main entry. */
  mainDir: string;
}

export async function startApp(electron: typeof Electron, paths: AppPaths, argv = process.argv, env = process.env): Promise<void> {
  const { app, BrowserWindow, ipcMain, Menu, dialog, nativeTheme, protocol, safeStorage, screen, session, shell, utilityProcess } =
    electron;
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
  const firstPlace = place;
  // A place joins Open Recent once it has opened (the first one too, after `ready`).
  let recent = loadRecent(recentFile);
  const vault = safeStorageVault(safeStorage);
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

  /** Put a place that opened at the top of Open Recent, its password encrypted by the OS or not kept. */
  const remember = async (opened: Place) => {
    const encrypted = opened.kind === 'etcd' && opened.password ? await vault.seal(opened.password) : undefined;
    recent = addRecent(recentFile, recent, recentEntryOf(opened, encrypted));
    if (opened.kind === 'folder') app.addRecentDocument(opened.root);
    refreshMenu();
  };

  /** Show another folder or cluster; if it cannot be opened, go back to the one shown and throw the engine's error. */
  /** `cancelled`: aborted when the user gave up meanwhile (closed the etcd dialog): the previous place comes back. */
  const switchPlace = async (next: Place, cancelled?: AbortSignal) => {
    const previous = place;
    try {
      await host.switchTo(placeOptions(next));
      if (cancelled?.aborted) throw cancelled.reason;
    } catch (err) {
      await host.switchTo(placeOptions(previous)).catch(() => {});
      throw err;
    }
    place = next;
    await remember(next);
  };

  /** switchPlace, saying why in an error box when it fails. */
  const openPlace = async (next: Place) => {
    await switchPlace(next).catch((err: unknown) => dialog.showErrorBox(`Cannot open ${recentLabel(next)}`, (err as Error).message));
  };

  /** The etcd dialog: it opens the cluster itself, and shows the engine's error in place when that fails. */
  const askForCluster = (options: Omit<AskOptions, 'open'>) => askForEtcdCluster(electron, win, { ...options, open: switchPlace });

  /**
   * A cluster from Open Recent: its password is decrypted (or was not kept),
   * and its files are checked as the dialog checks them. What is missing or
   * wrong is asked for in the dialog, filled in with the entry.
   */
  const openRecentCluster = async (entry: RecentCluster) => {
    const password = entry.encryptedPassword !== undefined ? await vault.unseal(entry.encryptedPassword) : undefined;
    if (entry.username && password === undefined) {
      await askForCluster({ initial: entry, notice: `Enter the password of the etcd user ${JSON.stringify(entry.username)}.` });
      return;
    }
    let cluster: EtcdPlace;
    try {
      cluster = checkEtcdForm({ ...formOf(entry), password: password ?? '' });
    } catch (err) {
      await askForCluster({ initial: entry, ...(password !== undefined && { password }), error: (err as Error).message });
      return;
    }
    await openPlace(cluster);
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
              const last = recent.find((entry) => entry.kind === 'etcd');
              const password = last?.encryptedPassword !== undefined ? await vault.unseal(last.encryptedPassword) : undefined;
              await askForCluster({ ...(last && { initial: last }), ...(password !== undefined && { password }) });
            },
            openRecent: (entry) => void (entry.kind === 'etcd' ? openRecentCluster(entry) : openPlace(entry)),
            clearRecent: () => {
              // The place shown stays, with its encrypted password if it had one.
              const current = recent.find((entry) => recentKey(entry) === recentKey(place)) ?? recentEntryOf(place);
              recent = addRecent(recentFile, [], current);
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
  if (place === firstPlace) await remember(place);
  await win.loadURL(renderer.entryUrl);
}
