import type { ContentionStats } from '../../../../shared/model.ts';

/** Most contended first: time-outs hurt most, then how often and how long agents waited. */
export function sortContention(stats: readonly ContentionStats[]): ContentionStats[] {
  return [...stats].sort(
    (a, b) =>
      b.timeouts - a.timeouts ||
      b.waited - a.waited ||
      b.wait_p95_ms - a.wait_p95_ms ||
      b.acquisitions - a.acquisitions ||
      a.task_id.localeCompare(b.task_id),
  );
}
