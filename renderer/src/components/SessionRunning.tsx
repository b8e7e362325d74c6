// Whether a process with the session open is running now (the engine's
// derived `alive`: a mark per process on a folder, a lease key on etcd; the
// host reads it again every 2 s, so a killed agent shows as stopped).
import { Chip } from './StatusChip.tsx';

const RUNNING_TITLE = 'A process that created or updated this session is running with its store open';

/** A chip for tables: running, no process, or unknown (data from before sessions were marked). */
export function SessionRunningChip({ alive }: { alive: unknown }) {
  if (alive === true)
    return (
      <Chip tone="ok" title={RUNNING_TITLE}>
        running
      </Chip>
    );
  if (alive === false) return <span className="muted small">no process</span>;
  return <span className="muted">—</span>;
}

/** A pulsing dot beside a session's id where space is short; nothing when no process runs it. */
export function SessionRunningDot({ alive }: { alive: unknown }) {
  if (alive !== true) return null;
  return <span className="live-dot live-dot-inline session-running-dot" role="img" aria-label="running" title={RUNNING_TITLE} />;
}
