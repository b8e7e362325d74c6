// The Content-Security-Policy of the dashboard, sent as a header by both
// hosts: `lockstep serve` on its HTTP responses, the Electron shell on its
// lockstep:// responses (and the dev server's). No inline script or style.
// The page may connect to its own origin and to the WebSocket origins the
// host names, nothing else. renderer/index.html also carries a looser meta
// policy; a browser enforces every policy it is given, so the header's
// narrower connect-src is the one that counts.

/** The policy, allowing connections to the page's origin and to `connectOrigins` (e.g. `ws://127.0.0.1:8080`). */
export function contentSecurityPolicy(connectOrigins: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    ["connect-src 'self'", ...connectOrigins].join(' '),
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * `lockstep serve` on `port`: the page's WebSocket goes back to that port
 * only. 'self' already covers ws:// on the page's own host and port in
 * CSP 3 browsers; the loopback names are listed for those that predate it.
 */
export function serveCsp(port: number): string {
  return contentSecurityPolicy([`ws://127.0.0.1:${port}`, `ws://localhost:${port}`]);
}
