// Where the desktop app's UI comes from, and the one test of "is this URL
// ours" that navigation and IPC sender checks share.
import { contentSecurityPolicy } from '../host/csp.ts';

/** The built UI is served as lockstep://app/… by app-protocol.ts, never from file://. */
export const APP_SCHEME = 'lockstep';
export const APP_BASE_URL = `${APP_SCHEME}://app/`;

export interface RendererSource {
  /** The page the window loads. */
  entryUrl: string;
  /** Our URLs start with this; it ends in '/', so `…/app-x/` or `…:5173.evil/` never pass. */
  baseUrl: string;
  /** The policy sent with every page and asset. */
  csp: string;
  /** Why ELECTRON_RENDERER_URL was set but not used. */
  ignored?: string;
}

/**
 * The built UI, or in development (`npm run dev`, never in a packaged app)
 * the dev server electron-vite names in ELECTRON_RENDERER_URL. A packaged
 * app that honoured it would hand `window.lockstep` to whatever page the
 * variable points at.
 */
export function rendererSource(env: NodeJS.ProcessEnv, isPackaged: boolean): RendererSource {
  const built: RendererSource = { entryUrl: `${APP_BASE_URL}index.html`, baseUrl: APP_BASE_URL, csp: contentSecurityPolicy() };
  const devUrl = env.ELECTRON_RENDERER_URL;
  if (!devUrl) return built;
  if (isPackaged) return { ...built, ignored: 'ELECTRON_RENDERER_URL is ignored in a packaged app' };
  let url: URL;
  try {
    url = new URL(devUrl);
  } catch {
    return { ...built, ignored: `ELECTRON_RENDERER_URL is not a URL: ${devUrl}` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { ...built, ignored: `ELECTRON_RENDERER_URL must be http(s): ${devUrl}` };
  // The dev server's hot reload talks over a WebSocket to the same host and port.
  const hotReload = `${url.protocol === 'https:' ? 'wss' : 'ws'}://${url.host}`;
  return { entryUrl: url.href, baseUrl: `${url.origin}/`, csp: contentSecurityPolicy([hotReload]) };
}

/** True when `url` is one of ours: it lies under `baseUrl` (which ends in '/'). */
export function isAppUrl(url: string, baseUrl: string): boolean {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return url.startsWith(base);
}
