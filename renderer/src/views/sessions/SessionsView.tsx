// Sessions: active first, with progress. Selecting one shows its tasks in
// the same virtualized table as the Tasks view, filtered by the session.
import { memo } from 'react';
import type { JsonObject } from '../../../../shared/model.ts';
import { useMirror, useNavigate, useRoute } from '../../app/services.ts';
import { EmptyState } from '../../components/EmptyState.tsx';
import { MetricsBar } from '../../components/ProgressBar.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { StatusChip } from '../../components/StatusChip.tsx';
import { formatHash } from '../../lib/route.ts';
import { plural, previewValue } from '../../lib/format.ts';
import { TaskTable, useTaskIds } from '../tasks/TaskTable.tsx';

function optionsText(options: JsonObject): string {
  return Object.entries(options)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : previewValue(v, 40)}`)
    .join('  ');
}

const SessionRow = memo(function SessionRow({ id, selected, href }: { id: string; selected: boolean; href: string }) {
  const session = useMirror((s) => s.sessions.get(id));
  const navigate = useNavigate();
  if (!session) return null;
  return (
    <tr className={selected ? 'row-selected' : undefined} onClick={() => navigate({ session: id, sel: null })}>
      <td>
        <a className="mono" href={href} aria-current={selected ? 'true' : undefined}>
          {id}
        </a>
      </td>
      <td>
        <StatusChip status={session.status} />
      </td>
      <td className="num">
        <RelativeTime iso={session.started_at} clock />
      </td>
      <td className="num muted">
        <RelativeTime iso={session.updated_at} />
      </td>
      <td className="cell-progress">
        <MetricsBar metrics={session.metrics} label={`Session ${id} progress`} />
      </td>
      <td className="mono small muted ellipsis cell-options" title={optionsText(session.options)}>
        {optionsText(session.options)}
      </td>
    </tr>
  );
});

function SessionTasks({ sessionId }: { sessionId: string }) {
  const { sort, dir } = useRoute();
  const ids = useTaskIds({ q: '', status: '', session: sessionId, sort, dir });
  return (
    <section className="session-tasks view-fill" aria-labelledby="session-tasks-title">
      <div className="toolbar">
        <h2 id="session-tasks-title" className="section-title">
          Tasks of <span className="mono">{sessionId}</span>
        </h2>
        <span className="muted small num">{plural(ids.length, 'task')}</span>
      </div>
      <TaskTable ids={ids} sort={sort} dir={dir} label={`Tasks of session ${sessionId}`} empty={<EmptyState title="This session has not touched any task yet" />} />
    </section>
  );
}

export function SessionsView() {
  const ids = useMirror((s) => s.sessionIds);
  const route = useRoute();
  const selected = route.session;
  return (
    <section className="view view-fill view-split" aria-label="Sessions">
      <div className="toolbar">
        <span className="muted small num">{plural(ids.length, 'session')} · active first</span>
        <span className="toolbar-spacer" />
        {!selected && ids.length > 0 ? <span className="muted small">Select a session to see its tasks.</span> : null}
      </div>
      {ids.length === 0 ? (
        <EmptyState title="No sessions yet">
          Agents open a session when they start (<code>lockstep session create</code>); it tracks the tasks they touch.
        </EmptyState>
      ) : (
        <div className={`table-wrap${selected ? ' table-wrap-capped' : ''}`}>
          <table className="table" aria-label="Sessions">
            <thead>
              <tr>
                <th scope="col">Session</th>
                <th scope="col">Status</th>
                <th scope="col">Started</th>
                <th scope="col">Last update</th>
                <th scope="col">Progress</th>
                <th scope="col">Options</th>
              </tr>
            </thead>
            <tbody>
              {ids.map((id) => (
                <SessionRow key={id} id={id} selected={id === selected} href={formatHash({ ...route, session: id, sel: null, task: null })} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {selected ? <SessionTasks sessionId={selected} /> : null}
    </section>
  );
}
