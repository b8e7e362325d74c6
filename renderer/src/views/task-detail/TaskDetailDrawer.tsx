// Task detail as a drawer over the current view (its id is in the URL):
// header facts, the version timeline, comparison and restore. When the
// mirror reports a new version of the task (or a restore writes one) it reads
// only the versions it does not have yet, so it stays live cheaply.
import { useState } from 'react';
import type { TaskState } from '../../../../shared/model.ts';
import { useMirror, useNavigate, useRouteField } from '../../app/services.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { DoneBanner } from '../../components/StateBanners.tsx';
import { StatusChip } from '../../components/StatusChip.tsx';
import { bytes } from '../../lib/format.ts';
import { writerOf } from '../../lib/diff-view.ts';
import { ownerLabel, writerLabel } from '../../lib/writer.ts';
import { WriterName } from '../../components/WriterName.tsx';
import { LockCell } from '../tasks/LockCell.tsx';
import { CompareVersions } from './CompareVersions.tsx';
import { isPicked, togglePick } from './compare-picks.ts';
import { RecoverButton } from './RecoverButton.tsx';
import { RestoreVersionDialog } from './RestoreVersionDialog.tsx';
import { TaskIssues } from './TaskIssues.tsx';
import { useTaskHistory } from './task-history.ts';
import { VersionTimeline } from './VersionTimeline.tsx';
import { LockTimeline } from '../locks/timeline/LockTimeline.tsx';

export function TaskDetailDrawer({ taskId }: { taskId: string }) {
  const navigate = useNavigate();
  const row = useMirror((s) => s.tasks.get(taskId));
  const pair = useRouteField('compare');
  const [pending, setPending] = useState<number | null>(null);
  // The version to restore and the version it was reviewed against (frozen while the dialog is open).
  const [restoring, setRestoring] = useState<{ target: TaskState; base: TaskState } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const { history: detail, loadError, loading, reload, wrote } = useTaskHistory(taskId, row);
  const latest = detail?.versions[0] ?? detail?.state ?? null;
  const close = () => navigate({ task: null, compare: null });
  const picks = { pair, pending };

  return (
    <Dialog
      variant="drawer"
      ariaLabel={`Task ${taskId}`}
      onClose={close}
      title={
        <span className="drawer-title">
          <span className="mono">{taskId}</span>
          {row ? <StatusChip status={row.status} /> : null}
          {loading && detail ? <span className="muted small">updating…</span> : null}
        </span>
      }
    >
      {row ? (
        <dl className="facts">
          <div>
            <dt>Version</dt>
            <dd className="mono num">v{row.version}</dd>
          </div>
          <div>
            <dt>Updated</dt>
            <dd>
              <RelativeTime iso={row.updated_at} />
            </dd>
          </div>
          <div>
            <dt>Last writer</dt>
            <dd>
              {/* The loaded version's own writer when it is the current one; the row's owner until then. */}
              <WriterName label={latest?.version === row.version ? writerLabel(writerOf(latest)) : ownerLabel(row.owner)} />
            </dd>
          </div>
          <div>
            <dt>Session</dt>
            <dd className="mono">{row.session_id ?? '—'}</dd>
          </div>
          <div>
            <dt>Size</dt>
            <dd className="num">{bytes(row.size)}</dd>
          </div>
          <div>
            <dt>Lock</dt>
            <dd>
              <LockCell taskId={taskId} />
            </dd>
          </div>
        </dl>
      ) : (
        <p className="muted">This task is not in the current state (it may have been removed).</p>
      )}

      {notice ? <DoneBanner message={notice} onDismiss={() => setNotice(null)} /> : null}

      <TaskIssues taskId={taskId} onDone={setNotice} />
      <LockTimeline taskId={taskId} title="Locks on this task" />

      {!detail && !loadError ? <p className="muted">Loading history…</p> : null}
      {loadError ? <ErrorMessage error={loadError} title="Could not load this task" onRetry={reload} /> : null}
      {detail?.error ? (
        <div className="error-box" role="alert">
          <div className="error-title">
            This task could not be read <span className="error-code">{detail.error.code}</span>
          </div>
          <div className="error-message">{detail.error.message}</div>
          {detail.error.code !== 'NOT_FOUND' ? <RecoverButton taskId={taskId} onDone={(msg) => setNotice(msg)} /> : null}
        </div>
      ) : null}

      {detail && pair ? (
        <CompareVersions history={detail.versions} pair={pair} onClear={() => navigate({ compare: null }, { replace: true })} />
      ) : null}

      {detail && detail.versions.length > 0 ? (
        <>
          <h3 className="subhead">
            Version timeline{' '}
            <span className="muted small">
              ({detail.versions.length} retained{detail.omitted > 0 ? `, ${detail.omitted} older not shown` : ''} · tick two to compare)
            </span>
          </h3>
          <VersionTimeline
            history={detail.versions}
            isPicked={(v) => isPicked(picks, v)}
            onTogglePick={(v) => {
              const next = togglePick(picks, v);
              setPending(next.pending);
              if (next.pair !== pair) navigate({ compare: next.pair }, { replace: true });
            }}
            onRestore={(target) => latest && setRestoring({ target, base: latest })}
          />
        </>
      ) : detail && !detail.error ? (
        <p className="muted">No versions recorded.</p>
      ) : null}

      {restoring ? (
        <RestoreVersionDialog
          current={restoring.base}
          target={restoring.target}
          newer={latest && latest.version !== restoring.base.version ? latest : null}
          onRebase={(base) => setRestoring({ ...restoring, base })}
          onClose={() => setRestoring(null)}
          onRestored={(state) => {
            setRestoring(null);
            setNotice(`Restored v${restoring.target.version} as v${state.version}. The previous content is still in the timeline.`);
            wrote(state);
          }}
        />
      ) : null}
    </Dialog>
  );
}
