// The live audit feed. It can be paused on its own (independently of the
// global pause) so one can read an entry while agents keep writing.
import { memo, useEffect, useRef, useState } from 'react';
import type { AuditEntry, ChangeType } from '../../../../shared/model.ts';
import { useMirror } from '../../app/services.ts';
import { EmptyState } from '../../components/EmptyState.tsx';
import { Panel } from '../../components/Panel.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { TaskLink } from '../../components/TaskLink.tsx';
import { plural } from '../../lib/format.ts';
import { ownerLabel } from '../../lib/writer.ts';
import { WriterName } from '../../components/WriterName.tsx';

const SHOWN = 80;

const TONE: Record<ChangeType, string> = {
  task_updated: 'info',
  task_recovered: 'warn',
  task_restored: 'accent',
  session_created: 'ok',
  session_updated: 'neutral',
  checkpoint_created: 'ok',
  checkpoint_restored: 'accent',
  lock_waited: 'warn',
  lock_timeout: 'danger',
  lock_broken: 'danger',
  migrated: 'accent',
};

const FeedItem = memo(function FeedItem({ entry }: { entry: AuditEntry }) {
  return (
    <li className="feed-item">
      <span className="feed-time num">
        <RelativeTime iso={entry.timestamp} />
      </span>
      <span className={`chip chip-tone-${TONE[entry.change_type] ?? 'neutral'} feed-type`}>{entry.change_type.replace(/_/g, ' ')}</span>
      <span className="feed-owner ellipsis" title={`pid ${entry.process_id}@${entry.host}`}>
        <WriterName label={ownerLabel(entry.owner)} />
      </span>
      <span className="feed-desc ellipsis" title={entry.description}>
        {entry.task_id ? <TaskLink taskId={entry.task_id} /> : null}
        {entry.task_id ? ' ' : ''}
        {entry.old_version != null && entry.new_version != null ? (
          <span className="mono muted small">
            v{entry.old_version}→v{entry.new_version}{' '}
          </span>
        ) : null}
        <span className="muted">{entry.description}</span>
      </span>
    </li>
  );
});

// Entries keep their identity in the mirror, so an object → number map gives
// stable keys: new entries mount, old ones are left alone.
const ids = new WeakMap<AuditEntry, number>();
let nextId = 1;
function keyOf(entry: AuditEntry): number {
  let id = ids.get(entry);
  if (id === undefined) ids.set(entry, (id = nextId++));
  return id;
}

/** How many entries arrived since the feed was frozen at `frozen`. */
export function countNewer(activity: readonly AuditEntry[], frozen: readonly AuditEntry[]): number {
  const head = frozen[0];
  if (!head) return activity.length;
  const at = activity.indexOf(head);
  return at >= 0 ? at : activity.length;
}

export function ActivityFeed() {
  const activity = useMirror((s) => s.activity);
  const [frozen, setFrozen] = useState<readonly AuditEntry[] | null>(null);
  const shown = (frozen ?? activity).slice(0, SHOWN);
  const freshCount = frozen ? countNewer(activity, frozen) : 0;
  const sectionRef = useRef<HTMLElement>(null);
  useEffect(() => {
    // Highlight entries that arrive from now on, not the whole backlog on first paint.
    const frame = requestAnimationFrame(() => sectionRef.current?.classList.add('feed-animate'));
    return () => cancelAnimationFrame(frame);
  }, []);
  return (
    <Panel
      ref={sectionRef}
      title="Activity"
      className="feed"
      head={
        <>
          {!frozen ? <span className="live-dot live-dot-inline" aria-hidden="true" /> : null}
          <span className="toolbar-spacer" />
          {frozen ? (
            <>
              <span className="badge badge-accent" role="status">
                {freshCount > 0 ? plural(freshCount, 'new event') : 'No new events'}
              </span>
              <button type="button" className="btn btn-small btn-primary" onClick={() => setFrozen(null)}>
                Resume feed
              </button>
            </>
          ) : (
            <button type="button" className="btn btn-small" onClick={() => setFrozen(activity)}>
              Pause feed
            </button>
          )}
        </>
      }
    >
      {shown.length === 0 ? (
        <EmptyState title="No activity yet">Every change agents make is logged here as it happens.</EmptyState>
      ) : (
        <ol className="feed-list" aria-label="Recent activity" aria-live="off">
          {shown.map((entry) => (
            <FeedItem key={keyOf(entry)} entry={entry} />
          ))}
        </ol>
      )}
    </Panel>
  );
}
