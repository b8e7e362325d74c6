// Breaking a lock removes its files so waiters can proceed. Safe for a dead
// or expired holder; the dialog says who is affected before doing it.
import type { HolderInfo } from '../../../../shared/model.ts';
import { useApi } from '../../app/services.ts';
import { useAction } from '../../lib/use-action.ts';
import { BusyButton } from '../../components/BusyButton.tsx';
import { Dialog } from '../../components/Dialog.tsx';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';

/** Why a holder is considered stale, in words. */
export function staleReason(holder: HolderInfo): string {
  return holder.alive === 'dead'
    ? `its holder (pid ${holder.pid} on ${holder.host || 'an unknown host'}) is dead`
    : 'it is past its expiry';
}

export function BreakLockDialog({
  taskId,
  why,
  waiters,
  onClose,
  onDone,
}: {
  taskId: string;
  why: string;
  waiters: number;
  onClose: () => void;
  onDone: (removed: number) => void;
}) {
  const api = useApi();
  const breaking = useAction(async () => {
    const { removed } = await api.breakLock({ taskId });
    onDone(removed);
  });
  return (
    <Dialog
      title={`Break the lock on ${taskId}?`}
      onClose={onClose}
      actions={
        <>
          <button type="button" className="btn" onClick={onClose} data-autofocus>
            Cancel
          </button>
          <BusyButton className="btn btn-danger" busy={breaking.busy} busyLabel="Breaking…" onClick={breaking.run}>
            Break lock
          </BusyButton>
        </>
      }
    >
      <p>
        This lock is flagged because {why}. Breaking it removes the stale lock files of <span className="mono">{taskId}</span>
        {waiters > 0 ? `, and the ${waiters} waiting ${waiters === 1 ? 'process' : 'processes'} can proceed` : ''}.
      </p>
      <p className="muted small">Task state is not changed. Only stale holders are removed; a live holder would keep its lock.</p>
      {breaking.error ? <ErrorMessage error={breaking.error} title="Could not break the lock" /> : null}
    </Dialog>
  );
}
