// The sandboxed preload: exposes `window.lockstep`, a domain API built from
// the channel map in shared/. It never exposes ipcRenderer itself; event
// listeners receive only the payload, never the Electron event object.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { EVENT_CHANNELS, REQUEST_CHANNELS, type EventName, type RequestMethod } from '../shared/channels.ts';

const api: Record<string, unknown> = {};
for (const [method, channel] of Object.entries(REQUEST_CHANNELS) as [RequestMethod, string][]) {
  api[method] = (request: unknown) => ipcRenderer.invoke(channel, request ?? {});
}
api.on = (event: EventName, listener: (payload: unknown) => void) => {
  const channel = EVENT_CHANNELS[event];
  if (!channel || typeof listener !== 'function') throw new TypeError(`unknown event ${String(event)}`);
  const wrapped = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
  ipcRenderer.on(channel, wrapped);
  return () => {
    ipcRenderer.removeListener(channel, wrapped);
  };
};

contextBridge.exposeInMainWorld('lockstep', Object.freeze(api));
