import { describe, expect, it } from 'vitest';
import { websocketUrl } from '../../src/bridge/index.ts';
import { splitToken, takeToken, TOKEN_STORAGE_KEY } from '../../src/bridge/token.ts';

function host(href: string, stored: string | null = null) {
  const storage = new Map<string, string>(stored ? [[TOKEN_STORAGE_KEY, stored]] : []);
  const replaced: string[] = [];
  return {
    replaced,
    storage,
    location: { href },
    history: { state: null, replaceState: (_s: unknown, _t: string, url?: string | URL | null) => void replaced.push(String(url)) },
    sessionStorage: { getItem: (k: string) => storage.get(k) ?? null, setItem: (k: string, v: string) => void storage.set(k, v) },
  };
}

describe('access token', () => {
  it('splits the token off the URL, keeping other params and the hash', () => {
    expect(splitToken('http://127.0.0.1:7/?token=abc&x=1#/tasks?q=a')).toEqual({ token: 'abc', cleanUrl: '/?x=1#/tasks?q=a' });
    expect(splitToken('http://127.0.0.1:7/#/locks')).toEqual({ token: null, cleanUrl: 'http://127.0.0.1:7/#/locks' });
  });

  it('stores the token for the tab and removes it from the address bar', () => {
    const h = host('http://127.0.0.1:7/?token=s3cret#/overview');
    expect(takeToken(h)).toBe('s3cret');
    expect(h.storage.get(TOKEN_STORAGE_KEY)).toBe('s3cret');
    expect(h.replaced).toEqual(['/#/overview']);
  });

  it('falls back to the stored token after a reload', () => {
    const h = host('http://127.0.0.1:7/#/tasks', 'kept');
    expect(takeToken(h)).toBe('kept');
    expect(h.replaced).toEqual([]);
  });

  it('builds the WebSocket URL on the page host', () => {
    expect(websocketUrl({ protocol: 'http:', host: '127.0.0.1:4000' }, 'a b')).toBe('ws://127.0.0.1:4000/api?token=a%20b');
    expect(websocketUrl({ protocol: 'https:', host: 'x' }, null)).toBe('wss://x/api');
  });
});
