// Active sessions at a glance, with their progress; links into Sessions.
import { useMirror } from '../../app/services.ts';
import { Panel } from '../../components/Panel.tsx';
import { MetricsBar } from '../../components/ProgressBar.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { SessionRunningDot } from '../../components/SessionRunning.tsx';
import { StatusChip } from '../../components/StatusChip.tsx';
import { viewHref } from '../../lib/route.ts';

const SHOWN = 8;

function SessionLine({ id }: { id: string }) {
  const session = useMirror((s) => s.sessions.get(id));
  if (!session) return null;
  const agent = typeof session.options.agent === 'string' ? session.options.agent : null;
  return (
    <li className="session-line">
      <span className="session-line-id">
        <SessionRunningDot alive={session.alive} />
        <a className="mono" href={viewHref('sessions', { session: id })}>
          {id}
        </a>
      </span>
      <StatusChip status={session.status} />
      <span className="muted small ellipsis" title={agent ?? undefined}>
        {agent}
      </span>
      <MetricsBar metrics={session.metrics} label={`Session ${id} progress`} compact />
      <span className="muted small num session-line-time">
        <RelativeTime iso={session.updated_at} />
      </span>
    </li>
  );
}

export function RecentSessions() {
  const ids = useMirror((s) => s.sessionIds);
  if (ids.length === 0) return null;
  return (
    <Panel
      title="Sessions"
      head={
        <>
          <span className="toolbar-spacer" />
          <a className="small" href={viewHref('sessions')}>
            View all
          </a>
        </>
      }
    >
      <ul className="session-lines">
        {ids.slice(0, SHOWN).map((id) => (
          <SessionLine key={id} id={id} />
        ))}
      </ul>
    </Panel>
  );
}
