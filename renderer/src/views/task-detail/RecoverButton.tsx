// "Recover from history": rewrites state.json from the newest valid version.
import { useApi } from '../../app/services.ts';
import { useAction } from '../../lib/use-action.ts';
import { BusyButton } from '../../components/BusyButton.tsx';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';

export function RecoverButton({ taskId, onDone }: { taskId: string; onDone?: (message: string) => void }) {
  const api = useApi();
  const recovering = useAction(async () => {
    const { state, recovered } = await api.recoverTask({ taskId });
    onDone?.(recovered ? `Recovered ${taskId} from history as v${state.version}.` : `${taskId} did not need recovery (v${state.version}).`);
  }, 'idle');
  return (
    <span className="recover">
      <BusyButton className="btn btn-small btn-primary" busy={recovering.busy} busyLabel="Recovering…" onClick={recovering.run}>
        Recover from history
      </BusyButton>
      {recovering.error ? <ErrorMessage error={recovering.error} title={`Could not recover ${taskId}`} /> : null}
    </span>
  );
}
