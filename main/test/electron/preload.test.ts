import { beforeAll, describe, expect, it, vi } from 'vitest';
import { EVENT_CHANNELS, REQUEST_CHANNELS } from '../../../shared/channels.ts';

const exposed: Record<string, unknown> = {};
const invoked: { channel: string; payload: unknown }[] = [];
const listeners = new Map<string, Set<(event: unknown, payload: unknown) => void>>();

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
  ipcRenderer: {
    invoke: async (channel: string, payload: unknown) => {
      invoked.push({ channel, payload });
      return { ok: true, value: channel };
    },
    on: (channel: string, fn: (event: unknown, payload: unknown) => void) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(fn);
    },
    removeListener: (channel: string, fn: (event: unknown, payload: unknown) => void) => listeners.get(channel)?.delete(fn),
  },
}));

describe('preload bridge', () => {
  let api: Record<string, unknown>;
  beforeAll(async () => {
    await import('../../../preload/index.ts');
    api = exposed.lockstep as Record<string, unknown>;
  });

  it('exposes one method per request and `on`, and nothing of ipcRenderer', () => {
    expect(Object.keys(api).sort()).toEqual([...Object.keys(REQUEST_CHANNELS), 'on'].sort());
    for (const forbidden of ['invoke', 'send', 'ipcRenderer', 'sendSync', 'removeListener']) expect(api).not.toHaveProperty(forbidden);
    expect(Object.isFrozen(api)).toBe(true);
  });

  it('maps each method to its channel', async () => {
    const result = await (api.getTask as (r: unknown) => Promise<unknown>)({ taskId: 'a' });
    expect(result).toEqual({ ok: true, value: REQUEST_CHANNELS.getTask });
    expect(invoked.at(-1)).toEqual({ channel: REQUEST_CHANNELS.getTask, payload: { taskId: 'a' } });
  });

  it('delivers only the payload to listeners, never the IPC event, and unsubscribes', () => {
    const received: unknown[] = [];
    const off = (api.on as (e: string, fn: (p: unknown) => void) => () => void)('patch', (p) => received.push(p));
    const fire = (payload: unknown) => listeners.get(EVENT_CHANNELS.patch)!.forEach((fn) => fn({ sender: 'secret' }, payload));
    fire({ seq: 1 });
    off();
    fire({ seq: 2 });
    expect(received).toEqual([{ seq: 1 }]);
    expect(() => (api.on as (e: string, fn: () => void) => void)('ipc-anything', () => {})).toThrow(/unknown event/);
  });
});
