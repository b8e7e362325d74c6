// Notices about the state root itself: watcher degraded, folder missing,
// a legacy file to migrate, a demo running; and the banner that says an
// action the user took is done.
import { useState } from 'react';
import { useApi, useMirror } from '../app/services.ts';
import { useAction } from '../lib/use-action.ts';
import { plural } from '../lib/format.ts';
import { BusyButton } from './BusyButton.tsx';
import { ErrorMessage } from './ErrorMessage.tsx';

/** What an action the user took did, until they dismiss it. */
export function DoneBanner({ message, onDismiss }: { message: string; onDismiss: () => void }) {
  return (
    <div className="banner banner-ok" role="status">
      <strong>{message}</strong>
      <button type="button" className="btn btn-small btn-ghost" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}

export function WatchNotice() {
  const watch = useMirror((s) => s.watch);
  const ready = useMirror((s) => s.ready);
  if (!ready) return null;
  if (watch.error) {
    return (
      <div className="banner banner-warn" role="alert">
        <strong>The dashboard may be behind the state folder</strong>
        <span>{watch.error}</span>
      </div>
    );
  }
  if (!watch.rootPresent) {
    return (
      <div className="banner banner-warn" role="status">
        <strong>State folder is missing — waiting for it to appear</strong>
        {watch.reason ? <span>{watch.reason}</span> : null}
      </div>
    );
  }
  if (watch.mode === 'polling') {
    return (
      <div className="banner banner-info" role="status">
        <strong>Watching by polling: {watch.reason ?? 'native file watching is unavailable'}</strong>
        <span>Changes may appear with a short delay.</span>
      </div>
    );
  }
  if (watch.mode === 'stopped') {
    return (
      <div className="banner banner-warn" role="status">
        <strong>Live watching stopped{watch.reason ? `: ${watch.reason}` : ''}</strong>
        <span>The dashboard shows the last known state.</span>
      </div>
    );
  }
  return null;
}

export function LegacyBanner() {
  const api = useApi();
  const legacyFile = useMirror((s) => s.legacyFile);
  const [done, setDone] = useState<string | null>(null);
  const migrating = useAction(async () => {
    const result = await api.migrateLegacy({});
    setDone(
      result
        ? `Migrated ${plural(result.sessions, 'session')} and ${plural(result.tasks, 'task')} from ${result.from}.`
        : 'Nothing to migrate.',
    );
  }, 'idle');
  if (done) return <DoneBanner message={done} onDismiss={() => setDone(null)} />;
  if (!legacyFile) return null;
  return (
    <div className="banner banner-info" role="region" aria-label="Legacy state file">
      <strong>A legacy state file was found</strong>
      <span className="mono ellipsis" title={legacyFile}>
        {legacyFile}
      </span>
      <span>Migrate it into per-task state with history; the original file is kept.</span>
      <BusyButton className="btn btn-small btn-primary" busy={migrating.busy} busyLabel="Migrating…" onClick={migrating.run}>
        Migrate
      </BusyButton>
      {migrating.error ? <ErrorMessage error={migrating.error} title="Migration failed" /> : null}
    </div>
  );
}

export function DemoBanner() {
  const demo = useMirror((s) => s.demo);
  if (!demo) return null;
  return (
    <div className="banner banner-accent" role="status">
      <strong>{demo.running ? 'Demo simulation running' : 'Demo simulation finished'}</strong>
      <span>
        Temporary root <span className="mono">{demo.root}</span>
      </span>
    </div>
  );
}
