// Messages of the `lockstep serve` WebSocket (GET /api?token=<token>). The
// same contract as Electron IPC, framed as JSON text messages.
import type { EventName, RequestMethod } from './channels.ts';
import type { Result } from './contract.ts';

/** Client → server: one request; `id` pairs it with its response. */
export interface WsRequest {
  id: number;
  method: RequestMethod;
  request: unknown;
}

/** Server → client. */
export type WsMessage = { id: number; result: Result<unknown> } | { event: EventName; payload: unknown };

export const WS_PATH = '/api';
/** Largest accepted client message; requests are small. */
export const WS_MAX_MESSAGE_BYTES = 64 * 1024;
