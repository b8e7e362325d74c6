// The Content-Security-Policy of the dashboard, for both hosts (the serve
// HTTP responses and the Electron session). renderer/index.html carries the
// same policy in a meta tag for file:// loads. No inline script or style.
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; " +
  "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
