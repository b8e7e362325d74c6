// IPC wiring for the Electron host: one ipcMain.handle per channel of the
// contract. Every call's sender is checked (VS Code's validatedIpcMain) and
// its payload validated by `dispatch` (zod); results cross as Result values.
// `ready` is one of them: the window's subscription then pushes the snapshot
// and patches on the event channels (pushEvent).
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { EVENT_CHANNELS, REQUEST_CHANNELS, type EventName, type RequestMethod } from '../../shared/channels.ts';
import type { Result } from '../../shared/contract.ts';
import { dispatch, type Handlers } from '../host/api.ts';
import { isAppUrl } from './app-origin.ts';

/** True when the call comes from one of our windows, showing our renderer. */
export type SenderCheck = (event: IpcMainInvokeEvent) => boolean;

export function trustedSenderCheck(isOurWebContents: (wc: WebContents) => boolean, appBaseUrl: string): SenderCheck {
  return (event) => {
    const url = event.senderFrame?.url ?? '';
    return isOurWebContents(event.sender) && isAppUrl(url, appBaseUrl);
  };
}

export function registerIpc(ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>, handlers: Handlers, isTrusted: SenderCheck): () => void {
  const channels = Object.entries(REQUEST_CHANNELS) as [RequestMethod, string][];
  for (const [method, channel] of channels) {
    ipcMain.handle(channel, async (event, payload: unknown): Promise<Result<unknown>> => {
      if (!isTrusted(event)) {
        return { ok: false, error: { code: 'INVALID_INPUT', message: `refused ${method}: the sender is not a Lockstep window` } };
      }
      return dispatch(handlers, method, payload);
    });
  }
  return () => channels.forEach(([, channel]) => ipcMain.removeHandler(channel));
}

/** Push a host event to a window's renderer (the preload turns it into a domain event). */
export function pushEvent(target: Pick<WebContents, 'send' | 'isDestroyed'>, event: EventName, payload: unknown): void {
  if (!target.isDestroyed()) target.send(EVENT_CHANNELS[event], payload);
}
