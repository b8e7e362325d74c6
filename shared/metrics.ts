import type { SessionMetrics } from './model.ts';

const COMPLETED = new Set(['completed', 'complete', 'done', 'succeeded', 'success', 'merged']);
const IN_PROGRESS = new Set(['in_progress', 'running', 'active', 'working', 'started', 'review']);
const FAILED = new Set(['failed', 'error', 'errored', 'aborted', 'cancelled', 'canceled']);

export type StatusBucket = 'completed' | 'in_progress' | 'failed' | 'other';

export function statusBucket(status: unknown): StatusBucket {
  if (typeof status !== 'string') return 'other';
  const s = status.toLowerCase();
  if (COMPLETED.has(s)) return 'completed';
  if (IN_PROGRESS.has(s)) return 'in_progress';
  if (FAILED.has(s)) return 'failed';
  return 'other';
}

/** Session metrics from its tasks' `status` fields; a missing task counts in the total only. */
export function computeSessionMetrics(taskIds: readonly string[], statusOf: (taskId: string) => unknown): SessionMetrics {
  const metrics: SessionMetrics = { total_tasks: taskIds.length, completed: 0, in_progress: 0, failed: 0 };
  for (const id of taskIds) {
    const bucket = statusBucket(statusOf(id));
    if (bucket !== 'other') metrics[bucket] += 1;
  }
  return metrics;
}
