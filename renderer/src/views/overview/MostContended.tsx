// "Most contended now": the task agents are fighting over, at a glance on
// the Overview. Live waiters come first (someone is blocked this second),
// then the last 15 minutes' contention the host keeps current; a deadlock
// outranks both.
import { useMirror, useNavigate } from '../../app/services.ts';
import { EmptyState } from '../../components/EmptyState.tsx';
import { Panel } from '../../components/Panel.tsx';
import { TaskLink } from '../../components/TaskLink.tsx';
import { duration, plural } from '../../lib/format.ts';
import { DEFAULT_ROUTE } from '../../lib/route.ts';
import { useDeadlocks } from '../locks/DeadlockBanner.tsx';
import { sortContention } from '../locks/contention.ts';
import '../locks/timeline/timeline.css';

export function MostContended() {
  const navigate = useNavigate();
  const locks = useMirror((s) => s.locks);
  const contention = useMirror((s) => s.contention);
  const deadlocks = useDeadlocks();
  const waitingNow = [...locks.values()]
    .filter((l) => l.waiters.length > 0)
    .sort((a, b) => b.waiters.length - a.waiters.length || a.task_id.localeCompare(b.task_id));
  const top = sortContention(contention)[0];
  const taskId = waitingNow[0]?.task_id ?? (top && (top.waited > 0 || top.timeouts > 0) ? top.task_id : null);
  const stats = contention.find((c) => c.task_id === taskId);
  const holder = taskId ? (locks.get(taskId)?.writer ?? locks.get(taskId)?.readers[0]) : undefined;
  return (
    <Panel
      title="Most contended now"
      head={
        <>
          <span className="toolbar-spacer" />
          <button type="button" className="btn btn-small" onClick={() => navigate({ ...DEFAULT_ROUTE, view: 'locks' })}>
            Lock timeline
          </button>
        </>
      }
    >
      {deadlocks.length > 0 ? (
        <p className="text-danger strong" role="alert">
          {plural(deadlocks.length, 'deadlock')}: {deadlocks[0]!.map((m) => m.owner).join(' ⇄ ')}
        </p>
      ) : null}
      {taskId === null ? (
        <EmptyState title="No contention">Nobody waited for a lock in the last 15 minutes.</EmptyState>
      ) : (
        <div className="contended">
          <p className="contended-task">
            <TaskLink taskId={taskId} />
            {waitingNow[0] ? (
              <span className="text-warn strong"> · {plural(waitingNow[0].waiters.length, 'agent')} waiting now</span>
            ) : null}
          </p>
          {holder ? (
            <p className="small">
              held by <span className="strong">{holder.owner || 'unnamed'}</span> (pid {holder.pid}, {holder.mode})
            </p>
          ) : null}
          {stats ? (
            <p className="small muted num">
              last 15 min: {plural(stats.acquisitions, 'acquisition')}, {stats.waited} waited, p95 {duration(stats.wait_p95_ms)}
              {stats.timeouts > 0 ? <span className="text-danger strong">, {plural(stats.timeouts, 'time-out')}</span> : null}
            </p>
          ) : null}
        </div>
      )}
    </Panel>
  );
}
