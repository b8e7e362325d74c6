// Create a checkpoint of one session's tasks, with an optional reason. The
// dialog closes itself once the checkpoint exists.
import { useState } from 'react';
import { useApi, useMirror } from '../../app/services.ts';
import { useAction } from '../../lib/use-action.ts';
import { FormDialog } from '../../components/FormDialog.tsx';
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

  const creating = useAction(async () => {
    const created = await api.createCheckpoint({ sessionId, ...(reason.trim() ? { reason: reason.trim() } : {}) });
    onCreated(created);
    onClose();
  });

  return (
    <FormDialog
      title="Create checkpoint"
      onClose={onClose}
      onSubmit={() => void creating.run()}
      submitLabel="Create checkpoint"
      busy={creating.busy}
      busyLabel="Creating…"
      canSubmit={sessionId !== ''}
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
        <input type="text" maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} placeholder="e.g. before refactor" />
      </label>
      <p className="muted small">
        A checkpoint records the current state of every task in the session, so you can restore them all at once later.
      </p>
      {creating.error ? <ErrorMessage error={creating.error} title="Could not create the checkpoint" /> : null}
    </FormDialog>
  );
}
