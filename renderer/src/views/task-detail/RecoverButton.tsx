// "Recover from history": rewrites state.json from the newest valid version.
import { useState } from 'react';
import { useApi } from '../../app/services.ts';
import { toApiError, type ApiError } from '../../bridge/api.ts';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';

export function RecoverButton({ taskId, onDone }: { taskId: string; onDone?: (message: string) => void }) {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const recover = async () => {
    setBusy(true);
    setError(null);
    try {
      const { state, recovered } = await api.recoverTask({ taskId });
      onDone?.(recovered ? `Recovered ${taskId} from history as v${state.version}.` : `${taskId} did not need recovery (v${state.version}).`);
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="recover">
      <button type="button" className="btn btn-small btn-primary" disabled={busy} onClick={recover}>
        {busy ? 'Recovering…' : 'Recover from history'}
      </button>
      {error ? <ErrorMessage error={error} title={`Could not recover ${taskId}`} /> : null}
    </span>
  );
}
