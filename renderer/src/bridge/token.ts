// The serve host prints a URL with `?token=…`. The token authorises the
// WebSocket; we keep it for the tab's lifetime (sessionStorage, so reloads
// work) and take it out of the address bar so it is not shared by accident
// in screenshots, bookmarks or copied links.

export const TOKEN_STORAGE_KEY = 'lockstep.token';

/** The token in `href` (if any) and the same URL without it, other params kept. */
export function splitToken(href: string): { token: string | null; cleanUrl: string } {
  const url = new URL(href);
  const token = url.searchParams.get('token');
  if (token === null) return { token: null, cleanUrl: href };
  url.searchParams.delete('token');
  return { token: token || null, cleanUrl: `${url.pathname}${url.search}${url.hash}` };
}

interface TokenHost {
  location: { href: string };
  history: Pick<History, 'replaceState' | 'state'>;
  sessionStorage: Pick<Storage, 'getItem' | 'setItem'>;
}

/** Reads the token once per page load: from the URL first, else from this tab's storage. */
export function takeToken(host: TokenHost): string | null {
  const { token, cleanUrl } = splitToken(host.location.href);
  if (token !== null) {
    try {
      host.sessionStorage.setItem(TOKEN_STORAGE_KEY, token);
    } catch {
      /* storage disabled: the token still works for this page load */
    }
    host.history.replaceState(host.history.state, '', cleanUrl);
    return token;
  }
  try {
    return host.sessionStorage.getItem(TOKEN_STORAGE_KEY);
  } catch {
    return null;
  }
}
