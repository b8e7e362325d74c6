// Picks the transport: Electron's preload exposes `window.lockstep`; in a
// browser (`lockstep serve`) we speak the same API over a WebSocket.
import type { LockstepBridge } from '../../../shared/contract.ts';
import { WS_PATH } from '../../../shared/ws-protocol.ts';
import { createConnectionStore, type ConnectionStore } from './connection.ts';
import { takeToken } from './token.ts';
import { createWsBridge } from './ws-client.ts';

export interface Transport {
  bridge: LockstepBridge;
  connection: ConnectionStore;
}

export function websocketUrl(location: Pick<Location, 'protocol' | 'host'>, token: string | null): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  return `${scheme}://${location.host}${WS_PATH}${query}`;
}

export function createTransport(win: Window): Transport {
  const preload = (win as Window & { lockstep?: LockstepBridge }).lockstep;
  if (preload) {
    return { bridge: preload, connection: createConnectionStore({ transport: 'ipc', status: 'open' }) };
  }
  const token = takeToken(win);
  const connection = createConnectionStore({ transport: 'websocket', tokenMissing: token === null });
  const { bridge } = createWsBridge({ url: websocketUrl(win.location, token), connection });
  return { bridge, connection };
}
