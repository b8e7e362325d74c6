// Checkpoints: newest first; create one for a session; restore one with a
// preview of exactly what changes.
import { memo, useState } from 'react';
import { useMirror, useRouteField } from '../../app/services.ts';
import { EmptyState } from '../../components/EmptyState.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { viewHref } from '../../lib/route.ts';
import { CreateCheckpointDialog } from './CreateCheckpointDialog.tsx';
import { RestoreCheckpointDialog } from './RestoreCheckpointDialog.tsx';
import { restoreMeaning, undoPointReason } from './restore-flow.ts';
import { Chip } from '../../components/StatusChip.tsx';
import { DataTable, type Column } from '../../components/DataTable.tsx';

const COLUMNS: readonly Column[] = [
  { header: 'Checkpoint' },
  { header: 'Session' },
  { header: 'Created' },
  { header: 'Reason' },
  { header: 'Tasks', className: 'cell-end' },
  { header: 'Actions', srOnly: true },
];

const CheckpointRow = memo(function CheckpointRow({
  id,
  onRestore,
  fresh,
}: {
  id: string;
  onRestore: (id: string) => void;
  fresh: boolean;
}) {
  const c = useMirror((s) => s.checkpoints.get(id));
  // An undo checkpoint (taken automatically before a restore) undoes that restore, or redoes it.
  const kind = useMirror((s) => restoreMeaning(s.checkpoints, id).kind);
  const reason = useMirror((s) => (c ? undoPointReason(s.checkpoints, c) : ''));
  if (!c) return null;
  return (
    <tr className={fresh ? 'row-fresh' : undefined} data-checkpoint-id={id}>
      <td className="mono">{c.id}</td>
      <td>
        <a className="mono" href={viewHref('sessions', { session: c.session_id })}>
          {c.session_id}
        </a>
      </td>
      <td className="num">
        <RelativeTime iso={c.created_at} clock />
        <span className="muted small">
          {' '}
          · <RelativeTime iso={c.created_at} />
        </span>
      </td>
      <td
        className="ellipsis cell-reason"
        title={c.undo_of ? `Saved automatically ${reason}; restoring it takes the tasks back to that moment` : c.reason}
      >
        {c.undo_of ? (
          <>
            <Chip tone="accent" title="Taken automatically before a restore">
              undo point
            </Chip>{' '}
          </>
        ) : null}
        {reason || <span className="muted">—</span>}
      </td>
      <td className="num cell-end">{c.task_count}</td>
      <td className="cell-actions">
        <button type="button" className="btn btn-small" onClick={() => onRestore(c.id)}>
          {kind === 'undo' ? 'Undo restore…' : kind === 'redo' ? 'Redo restore…' : 'Restore…'}
        </button>
      </td>
    </tr>
  );
});

export function CheckpointsView() {
  const ids = useMirror((s) => s.checkpointIds);
  const hasSessions = useMirror((s) => s.sessions.size > 0);
  const session = useRouteField('session');
  const [creating, setCreating] = useState(false);
  const [restoring, setRestoring] = useState<string | null>(null);
  const [created, setCreated] = useState<string | null>(null);
  return (
    <section className="view" aria-label="Checkpoints">
      <div className="toolbar">
        <span className="muted small num">{ids.length === 1 ? '1 checkpoint' : `${ids.length} checkpoints`} · newest first</span>
        <span className="toolbar-spacer" />
        {created ? (
          <span className="small text-ok" role="status">
            Created checkpoint <span className="mono">{created}</span>
          </span>
        ) : null}
        <button
          type="button"
          className="btn btn-primary btn-small"
          disabled={!hasSessions}
          title={hasSessions ? undefined : 'Checkpoints are taken of a session; none exists yet'}
          onClick={() => setCreating(true)}
        >
          Create checkpoint
        </button>
      </div>
      {ids.length === 0 ? (
        <EmptyState title="No checkpoints yet">
          A checkpoint saves every task of a session at once, so the whole session can be rolled back in one step.
        </EmptyState>
      ) : (
        <div className="panel panel-flush">
          <DataTable label="Checkpoints" columns={COLUMNS}>
            {ids.map((id) => (
              <CheckpointRow key={id} id={id} onRestore={setRestoring} fresh={id === created} />
            ))}
          </DataTable>
        </div>
      )}
      {creating ? (
        <CreateCheckpointDialog initialSession={session} onClose={() => setCreating(false)} onCreated={(c) => setCreated(c.id)} />
      ) : null}
      {restoring ? <RestoreCheckpointDialog checkpointId={restoring} onClose={() => setRestoring(null)} /> : null}
    </section>
  );
}
