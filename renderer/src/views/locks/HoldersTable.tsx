// Every current lock holder, one row per reader/writer, with live
// "held for" and "expires in", liveness and waiters.
import { useState } from 'react';
import type { LockWaiter } from '../../../../shared/model.ts';
import { useMirror } from '../../app/services.ts';
import { EmptyState } from '../../components/EmptyState.tsx';
import { Panel } from '../../components/Panel.tsx';
import { Chip } from '../../components/StatusChip.tsx';
import { TaskLink } from '../../components/TaskLink.tsx';
import { useNow } from '../../lib/clock.ts';
import { compactDuration, duration, fullTime } from '../../lib/format.ts';
import { isExpired, isStale } from '../../lib/locks.ts';
import { selectHolders, type HolderRowData } from '../../store/selectors.ts';
import { BreakLockDialog, staleReason } from './BreakLockDialog.tsx';
import { DataTable, type Column } from '../../components/DataTable.tsx';

const COLUMNS: readonly Column[] = [
  { header: 'Task' },
  { header: 'Mode' },
  { header: 'Owner' },
  { header: 'PID' },
  { header: 'Host' },
  { header: 'Alive' },
  { header: 'Held for' },
  { header: 'Expires' },
  { header: 'Waiters' },
  { header: 'Actions', srOnly: true },
];

const ALIVE_TONE = { alive: 'ok', dead: 'danger', unknown: 'neutral' } as const;

function Waiters({ waiters, now }: { waiters: readonly LockWaiter[]; now: number }) {
  if (waiters.length === 0) return <span className="muted">—</span>;
  return (
    <ul className="waiters">
      {waiters.map((w) => (
        <li key={`${w.host}:${w.pid}:${w.mode}:${w.since}`} title={`pid ${w.pid}@${w.host} since ${fullTime(w.since)}`}>
          <span className="strong">{w.owner}</span> <span className="muted">{w.mode}</span>{' '}
          <span className="num text-warn">{compactDuration(now - Date.parse(w.since))}</span>
        </li>
      ))}
    </ul>
  );
}

function HolderRow({ row: { holder, waiters }, onBreak }: { row: HolderRowData; onBreak: (row: HolderRowData) => void }) {
  const now = useNow();
  const acquired = Date.parse(holder.acquired_at);
  const expires = Date.parse(holder.expires_at);
  const expired = isExpired(holder, now);
  const stale = isStale(holder, now);
  return (
    <tr className={stale ? 'row-stale' : undefined} data-task-id={holder.task_id}>
      <td>
        <TaskLink taskId={holder.task_id} />
      </td>
      <td>
        <span className={`lock-tag lock-${holder.mode}${holder.pending ? ' lock-pending' : ''}`}>{holder.mode}</span>
        {holder.pending ? (
          <span className="small text-warn" title="This writer owns the lock but waits for current readers to finish">
            {' '}
            waiting for readers to drain
          </span>
        ) : null}
      </td>
      <td className="strong">{holder.owner}</td>
      <td className="mono num">{holder.pid || '—'}</td>
      <td className="mono small">{holder.host || '—'}</td>
      <td>
        <Chip tone={ALIVE_TONE[holder.alive]}>{holder.alive}</Chip>
      </td>
      <td className="num" title={fullTime(holder.acquired_at)}>
        {Number.isFinite(acquired) ? duration(now - acquired) : '—'}
      </td>
      <td className={`num${expired ? ' text-danger' : ''}`} title={fullTime(holder.expires_at)}>
        {!Number.isFinite(expires) ? '—' : expired ? `expired ${compactDuration(now - expires)} ago` : `in ${duration(expires - now)}`}
      </td>
      <td>
        <Waiters waiters={waiters} now={now} />
      </td>
      <td className="cell-actions">
        {stale ? (
          <>
            <Chip tone="danger">{holder.alive === 'dead' ? 'dead holder' : 'expired'}</Chip>
            <button type="button" className="btn btn-small btn-danger" onClick={() => onBreak({ holder, waiters })}>
              Break lock
            </button>
          </>
        ) : null}
      </td>
    </tr>
  );
}

export function HoldersTable() {
  const holders = useMirror((s) => selectHolders(s.locks));
  const [breaking, setBreaking] = useState<HolderRowData | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <Panel
      title="Current holders"
      flush
      head={
        <>
          <span className="muted small num">{holders.length}</span>
          {notice ? (
            <span className="small text-ok" role="status">
              {notice}
            </span>
          ) : null}
        </>
      }
    >
      {holders.length === 0 ? (
        <EmptyState title="No locks held right now">Locks appear here while agents hold them; nobody is blocked.</EmptyState>
      ) : (
        <DataTable label="Lock holders" columns={COLUMNS} wrapClassName="table-capped">
          {holders.map((r) => (
            <HolderRow key={`${r.holder.task_id}:${r.holder.mode}:${r.holder.token}:${r.holder.pid}`} row={r} onBreak={setBreaking} />
          ))}
        </DataTable>
      )}
      {breaking ? (
        <BreakLockDialog
          taskId={breaking.holder.task_id}
          why={staleReason(breaking.holder)}
          waiters={breaking.waiters.length}
          onClose={() => setBreaking(null)}
          onDone={(removed) => {
            setNotice(`Broke the lock on ${breaking.holder.task_id} (${removed} ${removed === 1 ? 'file' : 'files'} removed).`);
            setBreaking(null);
          }}
        />
      ) : null}
    </Panel>
  );
}
