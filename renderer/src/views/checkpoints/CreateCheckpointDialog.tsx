// Create a checkpoint of one session's tasks, with an optional reason.
import { useState } from 'react';
import { useApi, useMirror } from '../../app/services.ts';
import { useAction } from '../../lib/use-action.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import type { CheckpointSummary } from '../../../../shared/model.ts';
import { plural } from '../../lib/format.ts';

export function CreateCheckpointDialog({
  initialSession,
  onClose,
  onCreated,
}: {
  initialSession: string | null;
  onClose: () => void;
  onCreated: (c: CheckpointSummary) => void;
}) {
  const api = useApi();
  const sessionIds = useMirror((s) => s.sessionIds);
  const sessions = useMirror((s) => s.sessions);
  const [sessionId, setSessionId] = useState(initialSession ?? sessionIds[0] ?? '');
  const [reason, setReason] = useState('');

  const {
    run: create,
    busy,
    error,
  } = useAction(async () => {
    const created = await api.createCheckpoint({ sessionId, ...(reason.trim() ? { reason: reason.trim() } : {}) });
    onCreated(created);
  });
  const submit = async () => {
    if (sessionId) await create();
  };

  return (
    <Dialog
      title="Create checkpoint"
      onClose={onClose}
      actions={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="create-checkpoint" className="btn btn-primary" disabled={busy || !sessionId}>
            {busy ? 'Creating…' : 'Create checkpoint'}
          </button>
        </>
      }
    >
      <form
        id="create-checkpoint"
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <label className="form-row">
          <span>Session</span>
          <select value={sessionId} onChange={(e) => setSessionId(e.target.value)} data-autofocus required>
            {sessionIds.length === 0 ? <option value="">No sessions</option> : null}
            {sessionIds.map((id) => {
              const s = sessions.get(id);
              return (
                <option key={id} value={id}>
                  {id} — {s?.status ?? ''} · {plural(s?.task_ids.length ?? 0, 'task')}
                </option>
              );
            })}
          </select>
        </label>
        <label className="form-row">
          <span>Reason (optional)</span>
          <input
            type="text"
            maxLength={500}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            placeholder="e.g. before refactor"
          />
        </label>
        <p className="muted small">
          A checkpoint records the current state of every task in the session, so you can restore them all at once later.
        </p>
      </form>
      {error ? <ErrorMessage error={error} title="Could not create the checkpoint" /> : null}
    </Dialog>
  );
}
