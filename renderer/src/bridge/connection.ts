// How the renderer is connected to main. Electron IPC is always "open"; the
// serve WebSocket goes through connecting → open → reconnecting → open….
import { createStore, type StoreApi } from 'zustand/vanilla';

export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting';

export interface ConnectionState {
  transport: 'ipc' | 'websocket';
  status: ConnectionStatus;
  /** Failed attempts since the last successful open. */
  attempt: number;
  /** Epoch ms of the next reconnect attempt, while reconnecting. */
  retryAt: number | null;
  /** Why the last connection ended, in words. */
  reason: string | null;
  /** No token in the URL or in this tab: the server will refuse us. */
  tokenMissing: boolean;
}

export type ConnectionStore = StoreApi<ConnectionState>;

export function createConnectionStore(initial: Partial<ConnectionState> = {}): ConnectionStore {
  return createStore<ConnectionState>(() => ({
    transport: 'websocket',
    status: 'connecting',
    attempt: 0,
    retryAt: null,
    reason: null,
    tokenMissing: false,
    ...initial,
  }));
}
