// "Restore this version": shows exactly what changes (current → chosen),
// then writes it back as a new version, guarded by expectedVersion so a
// concurrent write is reported instead of silently overwritten.
import type { TaskState } from '../../../../shared/model.ts';
import { useApi } from '../../app/services.ts';
import { useAction } from '../../lib/use-action.ts';
import { BusyButton } from '../../components/BusyButton.tsx';
import { Dialog } from '../../components/Dialog.tsx';
import { DiffTable } from '../../components/DiffTable.tsx';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { diffRows, sessionLinkChange } from '../../lib/diff-view.ts';

export interface RestoreVersionDialogProps {
  /** The version the diff is shown against; sent as expectedVersion. */
  current: TaskState;
  target: TaskState;
  /** A newer version that appeared while the dialog was open, if any. */
  newer: TaskState | null;
  onRebase: (base: TaskState) => void;
  onClose: () => void;
  onRestored: (state: TaskState) => void;
}

/**
 * A version restore writes the old content back whole, session_id included:
 * restoring a version from before the task joined its session drops the link
 * (the session still lists the task, but the task no longer names it). A
 * "− session_id" line in the diff is easy to miss, so it is said up front,
 * with the command that links it again.
 */
function SessionLinkNotice({ current, target }: { current: TaskState; target: TaskState }) {
  const change = sessionLinkChange(current, target);
  if (!change) return null;
  return (
    <div className="banner banner-warn" role="note" aria-label="Session link">
      <span>
        {change.to === null ? (
          <>
            v{target.version} is not linked to a session: restoring it{' '}
            <strong>
              removes this task&apos;s link to session <span className="mono">{change.from}</span>
            </strong>
            .
          </>
        ) : (
          <>
            v{target.version} names session <span className="mono">{change.to}</span>: restoring it{' '}
            <strong>
              moves this task&apos;s link from session <span className="mono">{change.from}</span>
            </strong>
            .
          </>
        )}{' '}
        To link it again afterwards: <code className="cmd">{`lockstep task update ${current.task_id} '{}' --session ${change.from}`}</code>
      </span>
    </div>
  );
}

export function RestoreVersionDialog({ current, target, newer, onRebase, onClose, onRestored }: RestoreVersionDialogProps) {
  const api = useApi();
  const rows = diffRows(current, target, 200);
  const restoring = useAction(async () => {
    const state = await api.restoreTaskVersion({ taskId: current.task_id, version: target.version, expectedVersion: current.version });
    onRestored(state);
  });

  return (
    <Dialog
      title={`Restore ${current.task_id} to v${target.version}?`}
      onClose={onClose}
      actions={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <BusyButton className="btn btn-primary" busy={restoring.busy} busyLabel="Restoring…" onClick={restoring.run} data-autofocus>
            Confirm restore
          </BusyButton>
        </>
      }
    >
      <p>
        This writes <strong>v{current.version + 1}</strong> with the content of <strong>v{target.version}</strong>. The current v
        {current.version} stays in the history, so <strong>this can be undone</strong> by restoring it again.
      </p>
      <SessionLinkNotice current={current} target={target} />
      <h3 className="subhead">
        What changes (v{current.version} → v{target.version})
      </h3>
      <DiffTable
        rows={rows}
        label={`Changes from v${current.version} to v${target.version}`}
        empty="The content is identical; only a new version number is written."
      />
      {restoring.error ? (
        <ErrorMessage
          error={restoring.error}
          title={restoring.error.code === 'VERSION_CONFLICT' ? 'The task changed while you were looking' : 'Restore failed'}
        />
      ) : null}
      {newer ? (
        <div className="banner banner-warn" role="status">
          <span>
            {current.task_id} is now at v{newer.version}; the changes above are against v{current.version}.
          </span>
          <button
            type="button"
            className="btn btn-small"
            onClick={() => {
              restoring.clearError();
              onRebase(newer);
            }}
          >
            Review against v{newer.version}
          </button>
        </div>
      ) : null}
    </Dialog>
  );
}
