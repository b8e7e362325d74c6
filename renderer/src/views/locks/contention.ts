import { ContentionTracker } from '../../../../shared/contention.ts';
import type { ContentionStats, LockEvent } from '../../../../shared/model.ts';

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

/** Contention over a picked range, from its lock lines (exact percentiles: the lines are all here). */
export function contentionIn(events: readonly LockEvent[], from: number, to: number): ContentionStats[] {
  const span = to - from + 60_000; // the tracker counts whole minutes: one more holds the first
  const tracker = new ContentionTracker(span, { exact: true });
  for (const e of events) {
    const t = Date.parse(e.ts);
    if (t >= from && t <= to) tracker.add(e);
  }
  return tracker.stats(span, Number.POSITIVE_INFINITY, to);
}
