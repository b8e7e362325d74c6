// The shell: sidebar, top bar with liveness and the pause toggle, state
// banners, the current view, and the task drawer when the URL asks for it.
import { useEffect, type ComponentType } from 'react';
import { useMirror, useRouteField } from './services.ts';
import { ConnectionBanner } from '../components/ConnectionBanner.tsx';
import { InvalidTaskBanner } from '../components/InvalidTaskBanner.tsx';
import { LiveIndicator, PauseToggle } from '../components/LiveControls.tsx';
import { Sidebar } from '../components/Sidebar.tsx';
import { DemoBanner, LegacyBanner, WatchNotice } from '../components/StateBanners.tsx';
import { VIEW_TITLES, type View } from '../lib/route.ts';
import { CheckpointsView } from '../views/checkpoints/CheckpointsView.tsx';
import { IntegrityView } from '../views/integrity/IntegrityView.tsx';
import { LocksView } from '../views/locks/LocksView.tsx';
import { OverviewView } from '../views/overview/OverviewView.tsx';
import { SessionsView } from '../views/sessions/SessionsView.tsx';
import { TaskDetailDrawer } from '../views/task-detail/TaskDetailDrawer.tsx';
import { TasksView } from '../views/tasks/TasksView.tsx';

/** What each view shows. */
const CONTENT: Record<View, ComponentType> = {
  overview: OverviewView,
  sessions: SessionsView,
  tasks: TasksView,
  locks: LocksView,
  checkpoints: CheckpointsView,
  integrity: IntegrityView,
};

function Loading() {
  return (
    <div className="loading" role="status">
      <span className="live-dot" aria-hidden="true" />
      Connecting to Lockstep…
    </div>
  );
}

export function App() {
  const view = useRouteField('view');
  const task = useRouteField('task');
  const title = VIEW_TITLES[view];
  const Content = CONTENT[view];
  useEffect(() => {
    document.title = task ? `${task} · Lockstep` : `${title} · Lockstep`;
  }, [title, task]);
  const ready = useMirror((s) => s.ready);
  const root = useMirror((s) => s.root);
  return (
    <div className="app">
      <Sidebar />
      <div className="main">
        <header className="topbar">
          <h1 className="topbar-title">{title}</h1>
          <span className="topbar-root mono ellipsis" title={root}>
            {root}
          </span>
          <span className="toolbar-spacer" />
          <LiveIndicator />
          <PauseToggle />
        </header>
        <div className="banners">
          <ConnectionBanner />
          <WatchNotice />
          <LegacyBanner />
          <DemoBanner />
          <InvalidTaskBanner />
        </div>
        <main className="content" id="content">
          {ready ? <Content /> : <Loading />}
        </main>
      </div>
      {ready && task ? <TaskDetailDrawer key={task} taskId={task} /> : null}
    </div>
  );
}
