// Primary navigation. Links are real hash hrefs, so middle-click, reload and
// back/forward behave like any web page. Counts are decoration (aria-hidden):
// each link's accessible name is exactly the view's name.
import { useConnection, useMirror, useRouteField } from '../app/services.ts';
import { selectCounts } from '../store/selectors.ts';
import { VIEW_TITLES, VIEWS, viewHref, type View } from '../lib/route.ts';
import { useShallow } from 'zustand/react/shallow';
import { Icon } from './Icon.tsx';

const WATCH_TEXT = {
  native: 'Watching files',
  polling: 'Watching by polling',
  stopped: 'Watching stopped',
  missing: 'State folder missing',
} as const;

export function Sidebar() {
  const current = useRouteField('view');
  const counts = useMirror(useShallow(selectCounts));
  const checkpoints = useMirror((s) => s.checkpoints.size);
  const watchMode = useMirror((s) => (s.watch.rootPresent ? s.watch.mode : 'missing'));
  const transport = useConnection((c) => c.transport);
  const badge: Record<View, { n: number; tone?: 'warn' | 'danger' } | null> = {
    overview: null,
    sessions: { n: counts.activeSessions },
    tasks: { n: counts.tasks },
    locks: { n: counts.holders, tone: counts.staleLocks > 0 ? 'danger' : counts.waiters > 0 ? 'warn' : undefined },
    checkpoints: { n: checkpoints },
    integrity: { n: counts.issues, tone: counts.issues > 0 ? 'danger' : undefined },
  };
  return (
    <nav className="sidebar" aria-label="Main">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true" />
        Lockstep
      </div>
      <ul className="nav">
        {VIEWS.map((view) => {
          const label = VIEW_TITLES[view];
          const b = badge[view];
          return (
            <li key={view}>
              <a
                href={viewHref(view)}
                aria-label={label}
                aria-current={current === view ? 'page' : undefined}
                className={`nav-link nav-${view}`}
              >
                <Icon name={view} className="nav-icon" />
                <span className="nav-label">{label}</span>
                {b && b.n > 0 ? (
                  <span className={`nav-count num${b.tone ? ` nav-count-${b.tone}` : ''}`} aria-hidden="true">
                    {b.n.toLocaleString('en')}
                  </span>
                ) : null}
              </a>
            </li>
          );
        })}
      </ul>
      <div className="sidebar-foot small">
        <div className="muted">{transport === 'ipc' ? 'Desktop app' : 'Browser · lockstep serve'}</div>
        <div className={`watch-mode watch-${watchMode}`}>
          <span className="watch-dot" aria-hidden="true" />
          {WATCH_TEXT[watchMode]}
        </div>
      </div>
    </nav>
  );
}
