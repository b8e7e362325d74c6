// Lock state of one task in a table cell: who holds it, how many read, who waits.
import { useMirror } from '../../app/services.ts';
import { useNow } from '../../lib/clock.ts';
import { summarizeLock } from '../../lib/locks.ts';
import type { TaskLocks } from '../../../../shared/model.ts';

function Summary({ locks }: { locks: TaskLocks }) {
  const now = useNow();
  const { writer, readers, waiters, stale } = summarizeLock(locks, now);
  return (
    <span className="lockcell">
      {writer ? (
        <span
          className={`lock-tag lock-write${writer.pending ? ' lock-pending' : ''}`}
          title={writer.pending ? 'Writer waiting for readers to drain' : 'Write lock held'}
        >
          {writer.pending ? 'write pending' : 'write'} · {writer.owner}
        </span>
      ) : null}
      {readers > 0 ? <span className="lock-tag lock-read">{readers === 1 ? '1 reader' : `${readers} readers`}</span> : null}
      {waiters.length > 0 ? <span className="lock-tag lock-waiting">+{waiters.length} waiting</span> : null}
      {stale ? <span className="lock-tag lock-stale">stale</span> : null}
    </span>
  );
}

export function LockCell({ taskId }: { taskId: string }) {
  const locks = useMirror((s) => s.locks.get(taskId));
  if (!locks) return <span className="muted">—</span>;
  return <Summary locks={locks} />;
}
