// The liveness indicator and the "pause live updates" toggle. While paused,
// patches are buffered and counted; resume applies them in order.
import { useConnection, useMirror, useServices } from '../app/services.ts';
import { plural } from '../lib/format.ts';
import { Icon } from './Icon.tsx';

/** What the indicator says in each state, in the colour of its text and dot. */
const STATES = {
  offline: { text: 'Offline', tone: 'text-danger' },
  paused: { text: 'Paused', tone: 'text-accent' },
  syncing: { text: 'Resyncing', tone: 'text-warn' },
  live: { text: 'Live', tone: 'text-ok' },
} as const;

export function LiveIndicator() {
  const status = useConnection((c) => c.status);
  const paused = useMirror((s) => s.live.paused);
  const resyncing = useMirror((s) => s.live.resyncing);
  const lastEventAt = useMirror((s) => s.live.lastEventAt);
  const state = status !== 'open' ? 'offline' : paused ? 'paused' : resyncing ? 'syncing' : 'live';
  const { text, tone } = STATES[state];
  return (
    <span className={`live live-${state} ${tone}`} role="status" aria-label={`Connection: ${text}`}>
      {/* Re-keyed on each event so the dot pulses when something arrives. */}
      <span key={lastEventAt ?? 0} className="live-dot" aria-hidden="true" />
      {text}
    </span>
  );
}

export function PauseToggle() {
  const { mirror } = useServices();
  const paused = useMirror((s) => s.live.paused);
  const pending = useMirror((s) => s.live.pendingChanges);
  if (!paused) {
    return (
      <button
        type="button"
        className="btn btn-small"
        onClick={() => mirror.getState().pause()}
        title="Hold the screen still; changes are buffered"
      >
        <Icon name="pause" />
        Pause live updates
      </button>
    );
  }
  return (
    <span className="paused-group">
      <span className="badge badge-accent" role="status" aria-live="polite">
        {pending > 0 ? `${plural(pending, 'new change')}` : 'No new changes'}
      </span>
      <button type="button" className="btn btn-small btn-primary" onClick={() => mirror.getState().resume()}>
        <Icon name="play" />
        Resume live updates
      </button>
    </span>
  );
}
