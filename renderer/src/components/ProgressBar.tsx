import type { SessionMetrics } from '../../../shared/model.ts';
import { percent } from '../lib/format.ts';

/** Completed / in progress / failed out of the total, as one stacked bar. */
export function MetricsBar({ metrics, label, compact = false }: { metrics: SessionMetrics; label: string; compact?: boolean }) {
  const { total_tasks: total, completed, in_progress: running, failed } = metrics;
  const text = `${completed} completed, ${running} in progress, ${failed} failed of ${total}`;
  return (
    <div className="metrics">
      <div className="stackbar" role="img" aria-label={`${label}: ${text}`} title={text}>
        <span className="seg seg-completed" style={{ width: `${percent(completed, total)}%` }} />
        <span className="seg seg-in_progress" style={{ width: `${percent(running, total)}%` }} />
        <span className="seg seg-failed" style={{ width: `${percent(failed, total)}%` }} />
      </div>
      <span className="metrics-text num">
        {completed}/{total}
        {failed > 0 && !compact ? <span className="text-danger"> · {failed} failed</span> : null}
      </span>
    </div>
  );
}

export function ProgressBar({ done, total, label }: { done: number; total: number; label: string }) {
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={total} aria-valuenow={done}>
      <span className="progress-fill" style={{ width: `${percent(done, total)}%` }} />
    </div>
  );
}
