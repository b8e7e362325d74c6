// The built renderer as static files, for `lockstep serve`. Request targets
// come from anyone who can reach the port (any web page can send blind
// requests to loopback), so a target that cannot be decoded is refused, never
// thrown.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { CONTENT_TYPES } from './content-types.ts';

export interface Refused {
  status: number;
  reason: string;
}

/** The decoded path of a request target, or why it cannot have one. */
export function decodePath(target: string): { path: string } | { refused: Refused } {
  let url: URL;
  try {
    url = new URL(target, 'http://x');
  } catch {
    return { refused: { status: 400, reason: 'unparsable URL' } };
  }
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return { refused: { status: 400, reason: 'malformed percent-encoding' } };
  }
  // A NUL makes fs calls throw; other control characters are never in our file names.
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(path)) return { refused: { status: 400, reason: 'control character in the path' } };
  return { path };
}

/** A plain-text answer; refusals also close the connection, so a hostile client cannot keep it. */
export function reply(res: ServerResponse, status: number, text: string, close = false): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    ...(close ? { Connection: 'close' } : {}),
  });
  res.end(`${text}\n`);
}

/** Serve `path` (decoded) from `rendererDir` (absolute) with the page's `csp`; a path outside it is refused. */
export async function serveStatic(
  rendererDir: string,
  csp: string,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
  refuse: (refused: Refused) => void,
): Promise<void> {
  const relativePath = path === '/' ? 'index.html' : normalize(path).replace(/^([/\\])+/, '');
  const file = join(rendererDir, relativePath);
  if (!file.startsWith(rendererDir + sep)) return refuse({ status: 403, reason: 'path outside the dashboard' });
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    // Client-side routes fall back to the app; missing assets are 404.
    if (extname(relativePath) !== '') return reply(res, 404, 'not found');
    try {
      body = await readFile(join(rendererDir, 'index.html'));
    } catch {
      return reply(res, 500, `the dashboard is not built: ${join(rendererDir, 'index.html')} is missing; run "npm run build"`);
    }
  }
  const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
  res.writeHead(200, {
    'Content-Type': extname(relativePath) === '' ? CONTENT_TYPES['.html']! : type,
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cache-Control': file.endsWith('index.html') ? 'no-store' : 'max-age=3600',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
