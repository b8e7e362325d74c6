// "Recover from history": rewrites state.json from the newest valid version.
import { useApi } from '../../app/services.ts';
import { useAction } from '../../lib/use-action.ts';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';

export function RecoverButton({ taskId, onDone }: { taskId: string; onDone?: (message: string) => void }) {
  const api = useApi();
  const {
    run: recover,
    busy,
    error,
  } = useAction(async () => {
    const { state, recovered } = await api.recoverTask({ taskId });
    onDone?.(recovered ? `Recovered ${taskId} from history as v${state.version}.` : `${taskId} did not need recovery (v${state.version}).`);
  }, 'idle');
  return (
    <span className="recover">
      <button type="button" className="btn btn-small btn-primary" disabled={busy} onClick={recover}>
        {busy ? 'Recovering…' : 'Recover from history'}
      </button>
      {error ? <ErrorMessage error={error} title={`Could not recover ${taskId}`} /> : null}
    </span>
  );
}
