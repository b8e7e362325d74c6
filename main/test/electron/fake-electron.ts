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

/** A utility process that never runs: it records how it was started and exits when killed. */
export class FakeUtilityProcess extends EventEmitter {
  killed = false;
  readonly modulePath: string;
  readonly args: string[];
  readonly options: Record<string, unknown>;
  constructor(modulePath: string, args: string[], options: Record<string, unknown>) {
    super();
    this.modulePath = modulePath;
    this.args = args;
    this.options = options;
  }
  kill(): boolean {
    if (this.killed) return false;
    this.killed = true;
    setImmediate(() => this.emit('exit', 0));
    return true;
  }
}

/**
 * The OS encryption behind safeStorage: 'keychain' (available), 'none'
 * (isAsyncEncryptionAvailable() is false) or 'basic_text' (Linux with no
 * secret store: available, with a hard-coded key). Its "ciphertext" is the
 * text XOR-ed and tagged, so a test can tell that it went through here.
 */
export type FakeEncryption = 'keychain' | 'none' | 'basic_text';
export const FAKE_CIPHER_TAG = 'fake-os-cipher:';
const xor = (bytes: Buffer) => Buffer.from(bytes.map((b) => b ^ 0x5a));

export function createFakeSafeStorage(encryption: FakeEncryption) {
  const calls: string[] = [];
  return {
    calls,
    isAsyncEncryptionAvailable: async () => {
      calls.push('isAsyncEncryptionAvailable');
      return encryption !== 'none';
    },
    getSelectedStorageBackend: () => (encryption === 'basic_text' ? 'basic_text' : 'gnome_libsecret'),
    encryptStringAsync: async (plain: string) => {
      calls.push('encryptStringAsync');
      if (encryption === 'none') throw new Error('Encryption is not available.');
      return Buffer.concat([Buffer.from(FAKE_CIPHER_TAG), xor(Buffer.from(plain))]);
    },
    decryptStringAsync: async (encrypted: Buffer) => {
      calls.push('decryptStringAsync');
      const tag = Buffer.from(FAKE_CIPHER_TAG);
      if (encryption === 'none' || !encrypted.subarray(0, tag.length).equals(tag)) throw new Error('Error while decrypting the ciphertext');
      return { shouldReEncrypt: false, result: xor(encrypted.subarray(tag.length)).toString() };
    },
  };
}

export function createFakeElectron(userData: string, { isPackaged = false, encryption = 'keychain' as FakeEncryption } = {}) {
  const handlers = new Map<string, (event: unknown, payload: unknown) => Promise<unknown>>();
  const windows: FakeWindow[] = [];
  /** The order of calls that Electron constrains (e.g. privileged schemes before 'ready'). */
  const calls: string[] = [];
  const app = Object.assign(new EventEmitter(), {
    isPackaged,
    name: '',
    setName(name: string) {
      this.name = name;
    },
    requestSingleInstanceLock: () => true,
    whenReady: () => {
      calls.push('ready');
      return Promise.resolve();
    },
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
    destroyed = false;
    isDestroyed() {
      return this.destroyed;
    }
    close() {
      if (this.destroyed) return;
      this.destroyed = true;
      this.emit('closed');
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
    permissionCheckHandler: null as null | ((wc: unknown, permission: string, origin: string, details: unknown) => boolean),
  };
  const protocol = {
    privileged: [] as { scheme: string; privileges: Record<string, boolean> }[],
    handlers: new Map<string, (request: Request) => Promise<Response>>(),
  };
  const utilityProcesses: FakeUtilityProcess[] = [];
  const errorBoxes: { title: string; content: string }[] = [];
  /** File › Open… pickers shown (with the window they were shown over), and the paths the "user" picks next. */
  const openDialogs: { parent: unknown; options: Record<string, unknown> }[] = [];
  const nextPicks: string[] = [];
  const safeStorage = createFakeSafeStorage(encryption);
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
    dialog: {
      showOpenDialog: async (parent: unknown, options: Record<string, unknown>) => {
        openDialogs.push({ parent, options });
        const path = nextPicks.shift();
        return path === undefined ? { canceled: true, filePaths: [] } : { canceled: false, filePaths: [path] };
      },
      showErrorBox: (title: string, content: string) => errorBoxes.push({ title, content }),
    },
    nativeTheme: { themeSource: 'system' },
    safeStorage,
    protocol: {
      registerSchemesAsPrivileged: (schemes: (typeof protocol.privileged)[number][]) => {
        calls.push('registerSchemesAsPrivileged');
        protocol.privileged.push(...schemes);
      },
      handle: (scheme: string, fn: (request: Request) => Promise<Response>) => {
        if (protocol.handlers.has(scheme)) throw new Error(`second handler for ${scheme}:`);
        protocol.handlers.set(scheme, fn);
      },
    },
    screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
    session: {
      defaultSession: {
        webRequest: { onHeadersReceived: (fn: (typeof session.headerHooks)[number]) => session.headerHooks.push(fn) },
        setPermissionRequestHandler: (fn: NonNullable<typeof session.permissionHandler>) => (session.permissionHandler = fn),
        setPermissionCheckHandler: (fn: NonNullable<typeof session.permissionCheckHandler>) => (session.permissionCheckHandler = fn),
      },
    },
    shell: { openExternal: async () => {}, openPath: async () => '' },
    utilityProcess: {
      fork: (modulePath: string, args: string[] = [], options: Record<string, unknown> = {}) => {
        const child = new FakeUtilityProcess(modulePath, args, options);
        utilityProcesses.push(child);
        return child;
      },
    },
  };
  return {
    electron,
    handlers,
    windows,
    menus,
    session,
    protocol,
    utilityProcesses,
    calls,
    app,
    errorBoxes,
    openDialogs,
    nextPicks,
    safeStorage,
  };
}
