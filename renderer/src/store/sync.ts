// Wires the bridge's events into the mirror. Over IPC nobody pushes a first
// snapshot at us (the window may load after main sent one), so we ask; over
// the WebSocket the server pushes `reset` on every connect, and we only ask
// if it did not arrive shortly after the socket opened.
import type { Api } from '../bridge/api.ts';
import type { ConnectionStore } from '../bridge/connection.ts';
import type { LockstepBridge } from '../../../shared/contract.ts';
import type { MirrorStore } from './mirror-store.ts';

const RESET_GRACE_MS = 2_000;

export function connectMirror(bridge: LockstepBridge, api: Api, mirror: MirrorStore, connection: ConnectionStore): () => void {
  let resetSinceOpen = false;
  let graceTimer: ReturnType<typeof setTimeout> | null = null;

  const fetchSnapshot = () => {
    api.getSnapshot({}).then(
      (snapshot) => mirror.getState().reset(snapshot),
      () => {
        /* the connection banner explains; the next (re)connect pushes a reset */
      },
    );
  };

  const offReset = bridge.on('reset', (snapshot) => {
    resetSinceOpen = true;
    mirror.getState().reset(snapshot);
  });
  const offPatch = bridge.on('patch', (patch) => mirror.getState().receivePatch(patch));

  const onConnection = (status: string, previous: string) => {
    if (status !== 'open' || previous === 'open') return;
    resetSinceOpen = false;
    if (graceTimer) clearTimeout(graceTimer);
    graceTimer = setTimeout(() => {
      if (!resetSinceOpen) fetchSnapshot();
    }, RESET_GRACE_MS);
  };
  const offConnection = connection.subscribe((s, prev) => onConnection(s.status, prev.status));

  if (connection.getState().transport === 'ipc') fetchSnapshot();

  return () => {
    offReset();
    offPatch();
    offConnection();
    if (graceTimer) clearTimeout(graceTimer);
  };
}
