// Serves the built UI (out/renderer) as lockstep://app/… through
// protocol.handle, as Electron's security checklist advises instead of
// file://: a file:// page gets privileges beyond a web page's, and its
// origin spans every file on the disk. Only files inside the renderer folder
// are served: a path is decoded once, segment by segment, and any segment
// that could climb out (.., an encoded / or \, NUL) is refused, as is a file
// that resolves outside the folder through a link.
import { readFile, realpath } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import type { CustomScheme } from 'electron';
import { APP_SCHEME } from './app-origin.ts';
import { CONTENT_TYPES } from '../host/content-types.ts';

/**
 * Registered before the app is ready. standard: relative URLs and a real
 * origin (lockstep://app); secure: a secure context, like https; fetch and
 * CORS support so the module scripts Vite emits (`crossorigin`) load.
 */
export const APP_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, codeCache: true },
};

export type AppProtocolHandler = (request: Request) => Promise<Response>;

type Resolved = { segments: string[] } | { status: number; reason: string };

/** The path below lockstep://app/ as decoded segments, or why it is refused. */
export function appPathSegments(requestUrl: string): Resolved {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return { status: 400, reason: 'malformed URL' };
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host.toLowerCase() !== 'app') return { status: 404, reason: 'not found' };
  const segments: string[] = [];
  for (const raw of url.pathname.split('/')) {
    if (raw === '') continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return { status: 400, reason: 'malformed percent-encoding' };
    }
    if (segment === '.' || segment === '..' || /[/\\\0:]/.test(segment)) return { status: 403, reason: 'forbidden path' };
    segments.push(segment);
  }
  return { segments: segments.length ? segments : ['index.html'] };
}

export function createAppProtocolHandler(rendererDir: string, csp: string): AppProtocolHandler {
  const securityHeaders = { 'Content-Security-Policy': csp, 'X-Content-Type-Options': 'nosniff' };
  const text = (status: number, message: string) =>
    new Response(`${message}\n`, { status, headers: { ...securityHeaders, 'Content-Type': 'text/plain; charset=utf-8' } });

  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return text(405, 'method not allowed');
    const resolved = appPathSegments(request.url);
    if ('reason' in resolved) return text(resolved.status, resolved.reason);
    const file = join(rendererDir, ...resolved.segments);
    let body: Buffer;
    try {
      // A link inside the folder must not lead outside it.
      const [root, real] = await Promise.all([realpath(rendererDir), realpath(file)]);
      if (!real.startsWith(root + sep)) return text(403, 'forbidden path');
      body = await readFile(real);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return text(404, 'not found');
      return text(500, `cannot read ${file}: ${(err as Error).message}`);
    }
    const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), {
      status: 200,
      headers: { ...securityHeaders, 'Content-Type': type },
    });
  };
}
