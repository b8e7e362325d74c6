// Visible whenever the WebSocket is down: what happened and when we retry.
import { useConnection } from '../app/services.ts';
import { useNow } from '../lib/clock.ts';

function Countdown({ at }: { at: number }) {
  const now = useNow();
  const s = Math.max(0, Math.ceil((at - now) / 1000));
  return <>{s > 0 ? ` Next attempt in ${s}s.` : ' Trying now…'}</>;
}

export function ConnectionBanner() {
  const status = useConnection((c) => c.status);
  const reason = useConnection((c) => c.reason);
  const retryAt = useConnection((c) => c.retryAt);
  const attempt = useConnection((c) => c.attempt);
  const tokenMissing = useConnection((c) => c.tokenMissing);
  if (status === 'open') return null;
  if (status === 'connecting' && attempt === 0 && !tokenMissing) return null; // first connect: the loading screen covers it
  return (
    <div className="banner banner-danger" role="status" aria-live="polite">
      <span className="banner-dot" aria-hidden="true" />
      <strong>Disconnected — reconnecting</strong>
      <span>
        {tokenMissing ? 'No access token: open the URL printed by `lockstep serve`. ' : ''}
        {reason ? `${reason}` : ''}
        {retryAt !== null ? <Countdown at={retryAt} /> : null}
        {attempt > 1 ? ` (attempt ${attempt})` : ''}
      </span>
    </div>
  );
}
