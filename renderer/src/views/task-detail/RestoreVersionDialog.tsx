// "Restore this version": shows exactly what changes (current → chosen),
// then writes it back as a new version, guarded by expectedVersion so a
// concurrent write is reported instead of silently overwritten.
import { useState } from 'react';
import type { TaskState } from '../../../../shared/model.ts';
import { useApi } from '../../app/services.ts';
import { toApiError, type ApiError } from '../../bridge/api.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { DiffTable } from '../../components/DiffTable.tsx';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { diffRows } from '../../lib/diff-view.ts';

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

export function RestoreVersionDialog({ current, target, newer, onRebase, onClose, onRestored }: RestoreVersionDialogProps) {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const rows = diffRows(current, target, 200);

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      const state = await api.restoreTaskVersion({ taskId: current.task_id, version: target.version, expectedVersion: current.version });
      onRestored(state);
    } catch (err) {
      setError(toApiError(err));
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={`Restore ${current.task_id} to v${target.version}?`}
      onClose={onClose}
      actions={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="btn btn-primary" disabled={busy} onClick={confirm} data-autofocus>
            {busy ? 'Restoring…' : 'Confirm restore'}
          </button>
        </>
      }
    >
      <p>
        This writes <strong>v{current.version + 1}</strong> with the content of <strong>v{target.version}</strong>. The current v{current.version} stays in the
        history, so <strong>this can be undone</strong> by restoring it again.
      </p>
      <h3 className="subhead">What changes (v{current.version} → v{target.version})</h3>
      <DiffTable rows={rows} label={`Changes from v${current.version} to v${target.version}`} empty="The content is identical; only a new version number is written." />
      {error ? (
        <ErrorMessage
          error={error}
          title={error.code === 'VERSION_CONFLICT' ? 'The task changed while you were looking' : 'Restore failed'}
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
              setError(null);
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
