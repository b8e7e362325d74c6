// The shell: sidebar, top bar with liveness and the pause toggle, state
// banners, the current view, and the task drawer when the URL asks for it.
import { lazy, Suspense, useEffect, type ComponentType } from 'react';
import { useMirror, useRouteField } from './services.ts';
import { ConnectionBanner } from '../components/ConnectionBanner.tsx';
import { InvalidTaskBanner } from '../components/InvalidTaskBanner.tsx';
import { LiveIndicator, PauseToggle } from '../components/LiveControls.tsx';
import { Sidebar } from '../components/Sidebar.tsx';
import { DemoBanner, LegacyBanner, WatchNotice } from '../components/StateBanners.tsx';
import { VIEW_TITLES, type View } from '../lib/route.ts';
import { CheckpointsView } from '../views/checkpoints/CheckpointsView.tsx';
import { IntegrityView } from '../views/integrity/IntegrityView.tsx';
import { OverviewView } from '../views/overview/OverviewView.tsx';
import { SessionsView } from '../views/sessions/SessionsView.tsx';
import { TasksView } from '../views/tasks/TasksView.tsx';

// The Locks view and the task panel carry the lock timeline and uPlot, a quarter of the page's
// script: they load when first shown, and are fetched once the first screen is up, so the
// script the first screen waits for stays small.
const loadLocksView = () => import('../views/locks/LocksView.tsx');
const loadTaskDetail = () => import('../views/task-detail/TaskDetailDrawer.tsx');
const LocksView = lazy(() => loadLocksView().then((m) => ({ default: m.LocksView })));
const TaskDetailDrawer = lazy(() => loadTaskDetail().then((m) => ({ default: m.TaskDetailDrawer })));

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
  useEffect(() => {
    if (!ready) return;
    const prefetch = setTimeout(() => void Promise.all([loadLocksView(), loadTaskDetail()]), 0);
    return () => clearTimeout(prefetch);
  }, [ready]);
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
          {ready ? (
            <Suspense fallback={null}>
              <Content />
            </Suspense>
          ) : (
            <Loading />
          )}
        </main>
      </div>
      {ready && task ? (
        <Suspense fallback={null}>
          <TaskDetailDrawer key={task} taskId={task} />
        </Suspense>
      ) : null}
    </div>
  );
}
