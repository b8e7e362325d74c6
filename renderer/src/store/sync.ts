// Wires the bridge's events into the mirror, and starts the handshake both
// transports share: each time the connection opens (at once over IPC; on
// every connect and reconnect over the WebSocket) the mirror says `ready`
// and main pushes a snapshot, then the patches after it. Listeners are in
// place before `ready` goes out, so the snapshot cannot arrive unheard.
import type { ConnectionStore } from '../bridge/connection.ts';
import type { LockstepBridge } from '../../../shared/contract.ts';
import type { MirrorStore } from './mirror-store.ts';

export function connectMirror(bridge: LockstepBridge, mirror: MirrorStore, connection: ConnectionStore): () => void {
  const offReset = bridge.on('reset', (snapshot) => mirror.getState().reset(snapshot));
  const offPatch = bridge.on('patch', (patch) => mirror.getState().receivePatch(patch));
  const offConnection = connection.subscribe((now, before) => {
    if (now.status === 'open' && before.status !== 'open') mirror.getState().connected();
  });
  if (connection.getState().status === 'open') mirror.getState().connected();

  return () => {
    offReset();
    offPatch();
    offConnection();
  };
}
