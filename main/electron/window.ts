// The dashboard window, locked down: context isolation, sandbox, no Node in
// the renderer, no navigation away from the app, no new windows.
import type { BrowserWindow, BrowserWindowConstructorOptions, WebContents } from 'electron';
import { isAppUrl } from './app-origin.ts';

export function secureWindowOptions(preloadPath: string, bounds: BrowserWindowConstructorOptions): BrowserWindowConstructorOptions {
  return {
    ...bounds,
    minWidth: 800,
    minHeight: 500,
    show: false,
    title: 'Lockstep',
    backgroundColor: '#111318',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      spellcheck: false,
    },
  };
}

/** Deny navigation away from the app (`appBaseUrl`, see app-origin.ts) and every new window; http(s) links open in the browser. */
export function lockDownContents(contents: WebContents, appBaseUrl: string, openExternal: (url: string) => void): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, appBaseUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url, appBaseUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) openExternal(url);
    return { action: 'deny' };
  });
}

export type { BrowserWindow };
