// The headline numbers; each card opens the view that explains it. Cards
// are buttons, not links, so the sidebar's "Tasks"/"Locks"… stay the only
// links with those names.
import { useShallow } from 'zustand/react/shallow';
import { useMirror, useNavigate } from '../../app/services.ts';
import { DEFAULT_ROUTE, type View } from '../../lib/route.ts';
import { selectBuckets, selectCounts } from '../../store/selectors.ts';

function Card({
  view,
  label,
  value,
  sub,
  tone,
}: {
  view: View;
  label: string;
  value: number;
  sub?: string;
  tone?: 'warn' | 'danger' | 'ok';
}) {
  const navigate = useNavigate();
  return (
    <button type="button" className="stat" onClick={() => navigate({ ...DEFAULT_ROUTE, view })}>
      <span className="stat-label">{label}</span>
      <span className={`stat-value num${tone ? ` text-${tone}` : ''}`}>{value.toLocaleString('en')}</span>
      {sub ? <span className="stat-sub">{sub}</span> : null}
    </button>
  );
}

export function StatCards() {
  const c = useMirror(useShallow(selectCounts));
  const b = useMirror((s) => selectBuckets(s.statusCounts));
  return (
    <div className="stats">
      <Card view="sessions" label="Active sessions" value={c.activeSessions} sub={`${c.sessions} total`} />
      <Card view="tasks" label="Tasks" value={c.tasks} sub={`${b.in_progress} in progress · ${b.failed} failed`} />
      <Card
        view="locks"
        label="Locks held"
        value={c.holders}
        sub={`on ${c.lockedTasks} ${c.lockedTasks === 1 ? 'task' : 'tasks'}${c.staleLocks ? ` · ${c.staleLocks} stale` : ''}`}
        tone={c.staleLocks > 0 ? 'danger' : undefined}
      />
      <Card
        view="locks"
        label="Waiters"
        value={c.waiters}
        sub={c.waiters > 0 ? 'blocked behind a lock' : 'nobody blocked'}
        tone={c.waiters > 0 ? 'warn' : undefined}
      />
      <Card
        view="integrity"
        label="Integrity problems"
        value={c.issues}
        sub={c.issues === 0 ? 'all consistent' : 'needs attention'}
        tone={c.issues > 0 ? 'danger' : 'ok'}
      />
    </div>
  );
}
