// Integrity problems the verifier reported for this task, shown where one
// looks at the task, with the repair when the history can provide it.
import { useShallow } from 'zustand/react/shallow';
import { useMirror } from '../../app/services.ts';
import { RecoverButton } from './RecoverButton.tsx';

const NOT_FROM_HISTORY = new Set(['stale_lock', 'garbage_lock', 'leftover_temp']);

export function TaskIssues({ taskId, onDone }: { taskId: string; onDone: (message: string) => void }) {
  const issues = useMirror(useShallow((s) => s.issues.filter((i) => i.task_id === taskId)));
  if (issues.length === 0) return null;
  return (
    <div className="error-box" role="alert">
      <div className="error-title">Integrity problems with this task</div>
      <ul className="issue-list">
        {issues.map((issue) => (
          <li key={`${issue.kind}:${issue.path}`}>
            <span className="strong">{issue.kind.replace(/_/g, ' ')}</span>: {issue.message}
          </li>
        ))}
      </ul>
      {issues.some((i) => i.recoverable && !NOT_FROM_HISTORY.has(i.kind)) ? <RecoverButton taskId={taskId} onDone={onDone} /> : null}
    </div>
  );
}
