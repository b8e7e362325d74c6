// Integrity problems found by the engine's verifier, with the repair that
// applies: task state can be recovered from its own history.
import { useState } from 'react';
import type { IntegrityIssue, IntegrityIssueKind } from '../../../../shared/model.ts';
import { useApi, useMirror } from '../../app/services.ts';
import { useAction } from '../../lib/use-action.ts';
import { EmptyState } from '../../components/EmptyState.tsx';
import { BusyButton } from '../../components/BusyButton.tsx';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { MiddleEllipsis } from '../../components/MiddleEllipsis.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { Chip } from '../../components/StatusChip.tsx';
import { TaskLink } from '../../components/TaskLink.tsx';
import { BreakLockDialog } from '../locks/BreakLockDialog.tsx';
import { RecoverButton } from '../task-detail/RecoverButton.tsx';
import { DataTable, type Column } from '../../components/DataTable.tsx';

const COLUMNS: readonly Column[] = [
  { header: 'Problem' },
  { header: 'Task' },
  { header: 'Details' },
  { header: 'Path' },
  { header: 'Fix' },
];

const KIND_LABEL: Record<IntegrityIssueKind, string> = {
  corrupt_state: 'corrupt state',
  missing_state: 'missing state',
  state_behind_history: 'state behind history',
  corrupt_history: 'corrupt history',
  stale_lock: 'stale lock',
  garbage_lock: 'unreadable lock',
  leftover_temp: 'leftover temp file',
  corrupt_session: 'corrupt session',
  corrupt_checkpoint: 'corrupt checkpoint',
};

const LOCK_KINDS: ReadonlySet<IntegrityIssueKind> = new Set(['stale_lock', 'garbage_lock']);

function BreakStaleLock({ issue, onDone }: { issue: IntegrityIssue & { task_id: string }; onDone: (m: string) => void }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="btn btn-small btn-danger" onClick={() => setOpen(true)}>
        Break lock
      </button>
      {open ? (
        <BreakLockDialog
          taskId={issue.task_id}
          why={issue.message}
          waiters={0}
          onClose={() => setOpen(false)}
          onDone={(removed) => {
            setOpen(false);
            onDone(`Broke the lock on ${issue.task_id} (${removed} ${removed === 1 ? 'file' : 'files'} removed).`);
          }}
        />
      ) : null}
    </>
  );
}

function Fix({ issue, onDone }: { issue: IntegrityIssue; onDone: (m: string) => void }) {
  const taskId = issue.task_id;
  if (issue.recoverable && taskId && LOCK_KINDS.has(issue.kind))
    return <BreakStaleLock issue={{ ...issue, task_id: taskId }} onDone={onDone} />;
  // Any other recoverable task problem is repaired from the task's own history.
  if (issue.recoverable && taskId && issue.kind !== 'leftover_temp') return <RecoverButton taskId={taskId} onDone={onDone} />;
  if (issue.recoverable) {
    return (
      <span className="muted small">
        Cleaned up by <code>lockstep gc</code>
      </span>
    );
  }
  return <span className="muted small">Needs manual attention</span>;
}

export function IntegrityView() {
  const api = useApi();
  const issues = useMirror((s) => s.issues);
  const [verifiedAt, setVerifiedAt] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  // The host pushes the new issue list to every window; the answer only dates it.
  const verifying = useAction(async () => {
    await api.runVerify({});
    setVerifiedAt(new Date().toISOString());
  }, 'idle');

  return (
    <section className="view" aria-label="Integrity">
      <div className="toolbar">
        <span className="small num">
          {issues.length === 0 ? 'no problems' : `${issues.length} ${issues.length === 1 ? 'problem' : 'problems'}`}
        </span>
        <span className="toolbar-spacer" />
        {notice ? (
          <span className="small text-ok" role="status">
            {notice}
          </span>
        ) : null}
        {verifiedAt ? (
          <span className="muted small">
            verified <RelativeTime iso={verifiedAt} />
          </span>
        ) : null}
        <BusyButton className="btn btn-small" busy={verifying.busy} busyLabel="Verifying…" onClick={verifying.run}>
          Verify now
        </BusyButton>
      </div>
      {verifying.error ? <ErrorMessage error={verifying.error} title="Verification failed" /> : null}
      {issues.length === 0 ? (
        <EmptyState title="Everything is consistent">
          Every task&apos;s state matches its history; no stale locks or corrupt files were found.
        </EmptyState>
      ) : (
        <div className="panel panel-flush">
          <DataTable label="Integrity problems" columns={COLUMNS}>
            {issues.map((issue) => (
              <tr key={`${issue.kind}:${issue.path}`} data-task-id={issue.task_id}>
                <td>
                  <Chip tone={issue.recoverable ? 'warn' : 'danger'}>{KIND_LABEL[issue.kind] ?? issue.kind}</Chip>
                </td>
                <td>{issue.task_id ? <TaskLink taskId={issue.task_id} /> : <span className="muted">—</span>}</td>
                <td>{issue.message}</td>
                <td className="mono small muted cell-path">
                  <MiddleEllipsis text={issue.path} tailChars={36} />
                </td>
                <td className="cell-actions">
                  <Fix issue={issue} onDone={setNotice} />
                </td>
              </tr>
            ))}
          </DataTable>
        </div>
      )}
    </section>
  );
}
