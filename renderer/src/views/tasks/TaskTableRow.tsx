// One virtualized row. It subscribes to its own task and its own locks by
// id, so a patch touching another task never re-renders it.
import { memo } from 'react';
import { useMirror } from '../../app/services.ts';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { StatusChip } from '../../components/StatusChip.tsx';
import { TaskLink } from '../../components/TaskLink.tsx';
import { useNow } from '../../lib/clock.ts';
import { CHANGE_MARK_MS } from '../../store/mirror-data.ts';
import { LockCell } from './LockCell.tsx';
import { WriterName } from '../../components/WriterName.tsx';
import { ownerLabel } from '../../lib/writer.ts';
import { ROW_HEIGHT } from './columns.ts';

export interface TaskTableRowProps {
  taskId: string;
  /** 1-based, header included (aria-rowindex). */
  rowIndex: number;
  start: number;
  selected: boolean;
  onSelect: (taskId: string) => void;
  onOpen: (taskId: string) => void;
}

/** A brief highlight on a row that just changed; re-keyed so each change replays it. */
function RowFlash({ at }: { at: number }) {
  const now = useNow();
  if (now - at > CHANGE_MARK_MS) return null;
  return <span key={at} className="row-flash" aria-hidden="true" />;
}

export const TaskTableRow = memo(function TaskTableRow({ taskId, rowIndex, start, selected, onSelect, onOpen }: TaskTableRowProps) {
  const row = useMirror((s) => s.tasks.get(taskId));
  const changedAt = useMirror((s) => s.changedAt.get(taskId));
  if (!row) return null;
  return (
    <div
      role="row"
      aria-rowindex={rowIndex}
      aria-current={selected ? 'true' : undefined}
      data-task-id={taskId}
      className={`trow${selected ? ' trow-selected' : ''}`}
      style={{ transform: `translateY(${start}px)`, height: ROW_HEIGHT }}
      onClick={() => onSelect(taskId)}
      onDoubleClick={() => onOpen(taskId)}
    >
      {changedAt !== undefined ? <RowFlash at={changedAt} /> : null}
      <div role="cell" className="tcell tcell-id">
        <TaskLink taskId={taskId} />
      </div>
      <div role="cell" className="tcell">
        <StatusChip status={row.status} />
        {row.progress !== null ? <span className="muted small num progress-pct">{Math.round(row.progress)}%</span> : null}
      </div>
      <div role="cell" className="tcell tcell-end num mono" data-version={row.version}>
        v{row.version}
      </div>
      <div role="cell" className="tcell tcell-end num muted">
        <RelativeTime iso={row.updated_at} />
      </div>
      <div role="cell" className="tcell ellipsis">
        <WriterName label={ownerLabel(row.owner)} />
      </div>
      <div role="cell" className="tcell mono small ellipsis">
        {row.session_id ?? <span className="muted">—</span>}
      </div>
      <div role="cell" className="tcell">
        <LockCell taskId={taskId} />
      </div>
    </div>
  );
});
