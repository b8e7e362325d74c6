// A fake `electron` module for testing the shell's wiring without a binary:
// it records what the shell registers and lets tests fire events.
import { EventEmitter } from 'node:events';

export class FakeWebContents extends EventEmitter {
  static nextId = 1;
  readonly id = FakeWebContents.nextId++;
  readonly sent: { channel: string; payload: unknown }[] = [];
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  loaded: string | null = null;
  send(channel: string, payload: unknown): void {
    this.sent.push({ channel, payload });
  }
  isDestroyed(): boolean {
    return false;
  }
  setWindowOpenHandler(fn: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = fn;
  }
  reload(): void {}
}

export function createFakeElectron(userData: string) {
  const handlers = new Map<string, (event: unknown, payload: unknown) => Promise<unknown>>();
  const windows: FakeWindow[] = [];
  const app = Object.assign(new EventEmitter(), {
    isPackaged: false,
    name: '',
    setName(name: string) {
      this.name = name;
    },
    requestSingleInstanceLock: () => true,
    whenReady: () => Promise.resolve(),
    getPath: () => userData,
    quit() {},
    exit() {},
    addRecentDocument() {},
    showAboutPanel() {},
  });
  class FakeWindow extends EventEmitter {
    readonly options: Record<string, unknown>;
    readonly webContents = new FakeWebContents();
    constructor(options: Record<string, unknown>) {
      super();
      this.options = options;
      windows.push(this);
    }
    maximize() {}
    isMaximized() {
      return false;
    }
    isMinimized() {
      return false;
    }
    restore() {}
    focus() {}
    show() {}
    getNormalBounds() {
      return { x: 0, y: 0, width: 1440, height: 900 };
    }
    async loadFile(file: string) {
      this.webContents.loaded = file;
    }
    async loadURL(url: string) {
      this.webContents.loaded = url;
    }
  }
  const menus: unknown[] = [];
  const session = {
    headerHooks: [] as ((details: { responseHeaders: Record<string, string[]> }, cb: (r: unknown) => void) => void)[],
    permissionHandler: null as null | ((wc: unknown, permission: string, cb: (granted: boolean) => void) => void),
  };
  const electron = {
    app,
    BrowserWindow: FakeWindow,
    ipcMain: {
      handle: (channel: string, fn: (event: unknown, payload: unknown) => Promise<unknown>) => {
        if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
        handlers.set(channel, fn);
      },
      removeHandler: (channel: string) => handlers.delete(channel),
    },
    Menu: {
      buildFromTemplate: (template: unknown) => template,
      setApplicationMenu: (menu: unknown) => menus.push(menu),
    },
    dialog: { showOpenDialog: async () => ({ canceled: true, filePaths: [] }), showErrorBox() {} },
    nativeTheme: { themeSource: 'system' },
    screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
    session: {
      defaultSession: {
        webRequest: { onHeadersReceived: (fn: (typeof session.headerHooks)[number]) => session.headerHooks.push(fn) },
        setPermissionRequestHandler: (fn: NonNullable<typeof session.permissionHandler>) => (session.permissionHandler = fn),
      },
    },
    shell: { openExternal: async () => {}, openPath: async () => '' },
  };
  return { electron, handlers, windows, menus, session, app };
}
