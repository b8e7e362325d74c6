// The one rule both backends apply when a time range of the lock log is read
// back newest first: keep the lines in [fromMs, toMs] (of one task, if asked),
// the newest `limit` of them, count them all, and answer oldest first.
import type { LockEvent } from '../../shared/model.ts';
import type { LockEventQuery, LockEventRange } from './backend.ts';

export class LockRangeCollector {
  private readonly query: LockEventQuery;
  private readonly newestFirst: LockEvent[] = [];
  private total = 0;

  constructor(query: LockEventQuery) {
    this.query = query;
  }

  /** Offer a line (newest first, roughly); returns its time in ms (NaN for a line without one). */
  offer(line: LockEvent): number {
    const t = Date.parse(line.ts);
    const { fromMs, toMs, taskId, limit } = this.query;
    if (!(t >= fromMs && t <= toMs) || (taskId !== undefined && line.task_id !== taskId)) return t;
    this.total++;
    if (this.newestFirst.length < limit) this.newestFirst.push(line);
    return t;
  }

  result(): LockEventRange {
    // Lines of several writers are nearly, not exactly, in time order.
    const events = this.newestFirst.reverse().sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
    return { events, total: this.total };
  }
}
