// One dashboard WebSocket of `lockstep serve`, after the handshake passed
// the token, Host and Origin checks: answers to requests, and once the client
// says `ready` (as the Electron renderer does over IPC) a snapshot, then the
// host's patches. Nothing a client sends can throw out of here: bad
// frames and messages close this connection with a WebSocket close code, and
// an answer that cannot be serialized goes out as an error answer.
import type { WebSocket } from 'ws';
import { WS_PATH, type WsMessage } from '../../shared/ws-protocol.ts';
import { connectionHandlers, dispatch, type HostHandlers } from './api.ts';
import type { RefusalLog } from './refusal-log.ts';
import type { StateHost } from './state-host.ts';

/** A client that cannot keep up is dropped; it reconnects and gets a fresh snapshot. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/** Close codes (RFC 6455) for the frame errors `ws` reports, by its error code. */
const TOO_BIG = { status: 1009, reason: 'WebSocket message over the size limit' };
const FRAME_ERRORS: Record<string, { status: number; reason: string }> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: TOO_BIG,
  WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH: TOO_BIG,
  WS_ERR_TOO_MANY_BUFFERED_PARTS: { status: 1008, reason: 'WebSocket message in too many fragments' },
  WS_ERR_INVALID_UTF8: { status: 1007, reason: 'WebSocket text that is not valid UTF-8' },
};

export interface ClientContext {
  host: StateHost;
  handlers: HostHandlers;
  refusals: RefusalLog;
}

export function serveClient(ws: WebSocket, { host, handlers, refusals }: ClientContext): void {
  const log = (status: number, reason: string, detail?: string, outcome?: 'failed') => {
    refusals.note({ status, reason, method: 'WS', target: WS_PATH, detail, outcome });
  };
  const closeWith = (status: number, reason: string) => {
    log(status, reason);
    ws.close(status, reason);
  };
  /** The last guard of every asynchronous path: a bug here closes this connection, not the server. */
  const internalError = (err: unknown) => {
    log(1011, 'internal error', err instanceof Error ? err.message : String(err), 'failed');
    ws.terminate();
  };

  // `ws` closes the connection itself on a bad frame (with the matching
  // code), then emits 'error': without this listener that error would end
  // the process.
  ws.on('error', (err: Error & { code?: string }) => {
    const known = FRAME_ERRORS[err.code ?? ''];
    if (known) log(known.status, known.reason);
    else log(1002, `WebSocket protocol error (${err.code ?? 'no code'})`, err.message);
  });

  const send = (message: WsMessage) => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      ws.close(1013, 'client too slow; reconnect for a fresh snapshot');
      return;
    }
    const text = serialize(message);
    if (typeof text === 'string') return ws.send(text);
    if ('id' in message) {
      // The answer to one request (a hand-edited state nested thousands of
      // levels deep): that request fails, the connection stays.
      log(500, 'answer that cannot be serialized', text.message, 'failed');
      ws.send(
        JSON.stringify({
          id: message.id,
          result: { ok: false, error: { code: 'INTERNAL', message: `the answer could not be sent: ${text.message}` } },
        }),
      );
    } else {
      // A dropped event would leave the client's mirror wrong; it reconnects for a fresh snapshot.
      log(1011, 'event that cannot be serialized', text.message, 'failed');
      ws.close(1011, 'an update could not be serialized; reconnect');
    }
  };

  // Nothing is pushed until the client says `ready`; the publisher then sends
  // the snapshot and every patch after it. A reconnect is a new connection.
  const subscription = host.subscribe((event, payload) => send({ event, payload }));
  ws.on('close', () => subscription.close());
  const answers = connectionHandlers(handlers, subscription);

  ws.on('message', (data, isBinary) => {
    if (isBinary) return closeWith(1003, 'binary WebSocket message');
    let message: { id?: unknown; method?: unknown; request?: unknown };
    try {
      message = JSON.parse(data.toString()) as typeof message;
    } catch {
      return closeWith(1003, 'WebSocket message that is not JSON');
    }
    if (typeof message !== 'object' || message === null || typeof message.id !== 'number') {
      return closeWith(1003, 'WebSocket message without a numeric id');
    }
    const id = message.id;
    dispatch(answers, message.method, message.request)
      .then((result) => send({ id, result }))
      .catch(internalError);
  });
}

/** The JSON text of a message, or why it has none (too deep, a BigInt, a cycle). */
function serialize(message: WsMessage): string | Error {
  try {
    return JSON.stringify(message);
  } catch (err) {
    if (err instanceof RangeError && /call stack/i.test(err.message))
      return new Error('it holds JSON nested too deeply (thousands of levels) to serialize');
    return new Error(`the value cannot be serialized (${err instanceof Error ? err.message : String(err)})`);
  }
}
