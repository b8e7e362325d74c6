// LockstepBridge over the `lockstep serve` WebSocket (shared/ws-protocol.ts):
// the browser twin of the Electron preload. Requests are paired with replies
// by id; events fan out to listeners that survive reconnects. When the socket
// drops we fail in-flight requests (the user sees an error in place instead of
// a spinner forever) and reconnect with exponential back-off; on every open
// the mirror says `ready` again and gets a fresh snapshot (store/sync.ts).
import { REQUEST_CHANNELS, type EventName, type RequestMethod } from '../../../shared/channels.ts';
import type { Events, LockstepBridge, Result } from '../../../shared/contract.ts';
import type { WsMessage } from '../../../shared/ws-protocol.ts';
import type { ConnectionStore } from './connection.ts';

export interface WsBridgeOptions {
  url: string;
  connection: ConnectionStore;
  /** Injected in tests; the browser's WebSocket otherwise. */
  WebSocketImpl?: new (url: string) => WebSocket;
  /** Delay before reconnect attempt `attempt` (1-based). */
  backoffMs?: (attempt: number) => number;
  requestTimeoutMs?: number;
  now?: () => number;
}

export interface WsBridge {
  bridge: LockstepBridge;
  close(): void;
}

/** 0.5 s, 1 s, 2 s … capped at 15 s, with ±20 % jitter so many tabs do not reconnect in lockstep. */
export function defaultBackoff(attempt: number): number {
  const base = Math.min(15_000, 500 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

const OPEN = 1;

type Listener = (payload: unknown) => void;
interface Pending {
  resolve: (result: Result<unknown>) => void;
  timer: ReturnType<typeof setTimeout>;
}

function transportError(message: string): Result<never> {
  return { ok: false, error: { code: 'IO_ERROR', message } };
}

function closeReason(event: CloseEvent): string {
  if (event.code === 1008 || event.code === 4401 || event.code === 4403) {
    return 'The server refused the access token. Open the URL printed by `lockstep serve` again.';
  }
  if (event.reason) return event.reason;
  return event.code === 1006 ? 'The connection to the Lockstep server was lost.' : `Connection closed (code ${event.code}).`;
}

export function createWsBridge(options: WsBridgeOptions): WsBridge {
  const Impl = options.WebSocketImpl ?? WebSocket;
  const backoff = options.backoffMs ?? defaultBackoff;
  const timeoutMs = options.requestTimeoutMs ?? 120_000;
  const now = options.now ?? Date.now;
  const { connection } = options;
  const listeners = new Map<EventName, Set<Listener>>();
  const pending = new Map<number, Pending>();
  let socket: WebSocket | null = null;
  let nextId = 1;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;

  function failPending(message: string): void {
    for (const [id, p] of pending) {
      clearTimeout(p.timer);
      p.resolve(transportError(message));
      pending.delete(id);
    }
  }

  function onMessage(data: unknown): void {
    if (typeof data !== 'string') return;
    let message: WsMessage;
    try {
      message = JSON.parse(data) as WsMessage;
    } catch {
      return; // a malformed frame must not take the dashboard down
    }
    if ('event' in message) {
      for (const listener of listeners.get(message.event) ?? []) listener(message.payload);
      return;
    }
    const p = pending.get(message.id);
    if (!p) return;
    pending.delete(message.id);
    clearTimeout(p.timer);
    p.resolve(message.result);
  }

  function scheduleReconnect(reason: string): void {
    const attempt = connection.getState().attempt + 1;
    const delay = backoff(attempt);
    connection.setState({ status: 'reconnecting', attempt, retryAt: now() + delay, reason });
    retryTimer = setTimeout(connect, delay);
  }

  function connect(): void {
    retryTimer = null;
    if (closed) return;
    let ws: WebSocket;
    try {
      ws = new Impl(options.url);
    } catch (err) {
      scheduleReconnect(err instanceof Error ? err.message : String(err));
      return;
    }
    socket = ws;
    ws.onopen = () => {
      connection.setState({ status: 'open', attempt: 0, retryAt: null, reason: null });
    };
    ws.onmessage = (event: MessageEvent) => onMessage(event.data);
    ws.onclose = (event: CloseEvent) => {
      if (socket !== ws) return;
      socket = null;
      const reason = closeReason(event);
      failPending(reason);
      if (!closed) scheduleReconnect(reason);
    };
    // An error is always followed by close, which does the work.
    ws.onerror = () => {};
  }

  function request(method: RequestMethod, body: unknown): Promise<Result<unknown>> {
    const ws = socket;
    if (!ws || ws.readyState !== OPEN) {
      return Promise.resolve(transportError('Not connected to the Lockstep server; reconnecting.'));
    }
    const id = nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        resolve(transportError(`No reply to ${method} after ${Math.round(timeoutMs / 1000)} s.`));
      }, timeoutMs);
      pending.set(id, { resolve, timer });
      try {
        ws.send(JSON.stringify({ id, method, request: body ?? {} }));
      } catch (err) {
        pending.delete(id);
        clearTimeout(timer);
        resolve(transportError(err instanceof Error ? err.message : String(err)));
      }
    });
  }

  const api: Record<string, unknown> = {};
  for (const method of Object.keys(REQUEST_CHANNELS) as RequestMethod[]) {
    api[method] = (body: unknown) => request(method, body);
  }
  api.on = <E extends EventName>(event: E, listener: (payload: Events[E]) => void) => {
    let set = listeners.get(event);
    if (!set) listeners.set(event, (set = new Set()));
    const wrapped = listener as Listener;
    set.add(wrapped);
    return () => {
      set.delete(wrapped);
    };
  };

  connect();
  return {
    bridge: api as LockstepBridge,
    close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      failPending('Connection closed.');
      socket?.close();
      socket = null;
    },
  };
}
