// Sessions: active first, with progress. Selecting one shows its tasks in
// the same virtualized table as the Tasks view, filtered by the session.
import { memo } from 'react';
import type { JsonObject } from '../../../../shared/model.ts';
import { useMirror, useNavigate, useRoute } from '../../app/services.ts';
import { EmptyState } from '../../components/EmptyState.tsx';
import { MetricsBar } from '../../components/ProgressBar.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { SessionRunningChip } from '../../components/SessionRunning.tsx';
import { StatusChip } from '../../components/StatusChip.tsx';
import { formatHash } from '../../lib/route.ts';
import { plural, previewValue } from '../../lib/format.ts';
import { TaskTable, useTaskIds } from '../tasks/TaskTable.tsx';
import { DataTable, type Column } from '../../components/DataTable.tsx';

const COLUMNS: readonly Column[] = [
  { header: 'Session' },
  { header: 'Status' },
  { header: 'Process' },
  { header: 'Started' },
  { header: 'Last update' },
  { header: 'Progress' },
  { header: 'Options' },
];

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
      <td>
        <SessionRunningChip alive={session.alive} />
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
      <TaskTable
        ids={ids}
        sort={sort}
        dir={dir}
        label={`Tasks of session ${sessionId}`}
        empty={<EmptyState title="This session has not touched any task yet" />}
      />
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
        <DataTable label="Sessions" columns={COLUMNS} wrapClassName={selected ? 'table-wrap-capped' : undefined}>
          {ids.map((id) => (
            <SessionRow key={id} id={id} selected={id === selected} href={formatHash({ ...route, session: id, sel: null, task: null })} />
          ))}
        </DataTable>
      )}
      {selected ? <SessionTasks sessionId={selected} /> : null}
    </section>
  );
}
