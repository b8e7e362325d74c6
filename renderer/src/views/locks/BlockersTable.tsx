// Who blocked whom over the chosen window: "agent-3 blocked agent-5 for
// 41 s on task-12" in one row, the longest first. Built from the lock log's
// holds and waits (see timeline/spans.ts), not sampled.
import { useMemo } from 'react';
import { useRouteField } from '../../app/services.ts';
import { DataTable, type Column } from '../../components/DataTable.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { Panel } from '../../components/Panel.tsx';
import { TaskLink } from '../../components/TaskLink.tsx';
import { useNow } from '../../lib/clock.ts';
import { duration } from '../../lib/format.ts';
import { CONTENTION_WINDOWS } from '../../lib/route.ts';
import { rangeLabel } from './range.ts';
import { RelativeBarCell } from './RelativeBar.tsx';
import { useLockWindow } from './timeline/lock-events.ts';
import { spansOf, whoBlocksWhom } from './timeline/spans.ts';

const COLUMNS: readonly Column[] = [
  { header: 'Holder' },
  { header: 'Blocked' },
  { header: 'Task' },
  { header: 'Time waited', className: 'cell-end' },
  { header: 'Waits', className: 'cell-end' },
  { header: 'Time waited, relative', className: 'cell-bar', srOnly: true },
];
const SHOWN = 20;

export function BlockersTable() {
  const win = useRouteField('window');
  const windowMs = CONTENTION_WINDOWS[win];
  const { events, range } = useLockWindow(windowMs);
  const now = useNow();
  // Pairing holds with waits walks every event (up to 50,000): done when they change, not on every tick.
  const spans = useMemo(() => spansOf(events), [events]);
  const rows = useMemo(() => {
    const [from, to] = range ? [range.from, range.to] : [now - windowMs, now];
    return whoBlocksWhom(spans, from, to, to).slice(0, SHOWN);
  }, [spans, now, windowMs, range]);
  const longest = Math.max(1, ...rows.map((r) => r.ms));
  return (
    <Panel
      title="Who blocked whom"
      flush
      head={
        <span className="muted small">
          time each holder kept each waiter waiting, {range ? rangeLabel(range) : 'same window as contention'}
        </span>
      }
    >
      {rows.length === 0 ? (
        <EmptyState title={`Nobody waited for anybody in this ${range ? 'range' : 'window'}`} />
      ) : (
        <DataTable label="Who blocked whom" columns={COLUMNS}>
          {rows.map((r) => (
            <tr key={`${r.holder}\u0000${r.waiter}\u0000${r.task}`}>
              <td className="strong">{r.holder}</td>
              <td>{r.waiter}</td>
              <td>
                <TaskLink taskId={r.task} />
              </td>
              <td className="num cell-end">{duration(r.ms)}</td>
              <td className="num cell-end muted">{r.waits}</td>
              <RelativeBarCell value={r.ms} max={longest} />
            </tr>
          ))}
        </DataTable>
      )}
    </Panel>
  );
}
