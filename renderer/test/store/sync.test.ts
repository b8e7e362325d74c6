// The handshake both transports share: the mirror says `ready` once the
// connection is open (at once over IPC, on every (re)connect over the
// WebSocket), and main's reset and patches land in the mirror.
import { describe, expect, it, vi } from 'vitest';
import type { EventName } from '../../../shared/channels.ts';
import type { Events, LockstepBridge } from '../../../shared/contract.ts';
import { createConnectionStore, type ConnectionState } from '../../src/bridge/connection.ts';
import { row, snapshot, taskPatch } from '../fixtures.ts';
import { createMirrorStore } from '../../src/store/mirror-store.ts';
import { connectMirror } from '../../src/store/sync.ts';

/** A bridge whose events the test pushes, as main would. */
function fakeBridge() {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const bridge = {
    on: (event: EventName, listener: (payload: unknown) => void) => {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event)!.add(listener);
      return () => listeners.get(event)!.delete(listener);
    },
  } as unknown as LockstepBridge;
  const push = <E extends EventName>(event: E, payload: Events[E]) => listeners.get(event)?.forEach((l) => l(payload));
  return { bridge, push, listening: () => [...listeners.values()].reduce((n, set) => n + set.size, 0) };
}

function setup(connection: Partial<ConnectionState>) {
  const { bridge, push, listening } = fakeBridge();
  const requestSnapshot = vi.fn(async () => {
    push('reset', snapshot({ seq: 7, tasks: [row('a', { version: 7 })] })); // main answers `ready` with a snapshot
    return { seq: 7 };
  });
  const mirror = createMirrorStore({ requestSnapshot });
  const conn = createConnectionStore(connection);
  const disconnect = connectMirror(bridge, mirror, conn);
  return { mirror, conn, push, requestSnapshot, disconnect, listening };
}

describe('connectMirror', () => {
  it('over IPC says ready at once, then applies the pushed snapshot and patches', () => {
    const { mirror, push, requestSnapshot } = setup({ transport: 'ipc', status: 'open' });
    expect(requestSnapshot).toHaveBeenCalledTimes(1);
    expect(mirror.getState()).toMatchObject({ ready: true, seq: 7 });
    push('patch', taskPatch(8, row('a', { version: 8 })));
    expect(mirror.getState().tasks.get('a')?.version).toBe(8);
  });

  it('over the WebSocket says ready on every open, and not while connecting', () => {
    const { mirror, conn, requestSnapshot } = setup({ transport: 'websocket', status: 'connecting' });
    expect(requestSnapshot).not.toHaveBeenCalled();
    expect(mirror.getState().ready).toBe(false);
    conn.setState({ status: 'open' });
    expect(requestSnapshot).toHaveBeenCalledTimes(1);
    expect(mirror.getState().ready).toBe(true);
    conn.setState({ status: 'reconnecting' });
    conn.setState({ status: 'reconnecting', attempt: 2 });
    expect(requestSnapshot).toHaveBeenCalledTimes(1);
    conn.setState({ status: 'open' });
    expect(requestSnapshot).toHaveBeenCalledTimes(2);
  });

  it('stops listening when disconnected', () => {
    const { conn, requestSnapshot, disconnect, listening } = setup({ transport: 'websocket', status: 'connecting' });
    disconnect();
    expect(listening()).toBe(0);
    conn.setState({ status: 'open' });
    expect(requestSnapshot).not.toHaveBeenCalled();
  });
});
