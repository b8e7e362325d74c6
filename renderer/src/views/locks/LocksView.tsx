import { useShallow } from 'zustand/react/shallow';
import { useMirror } from '../../app/services.ts';
import { plural } from '../../lib/format.ts';
import { selectCounts } from '../../store/selectors.ts';
import { BlockersTable } from './BlockersTable.tsx';
import { ContentionPanel } from './ContentionPanel.tsx';
import { DeadlockBanner } from './DeadlockBanner.tsx';
import { HoldersTable } from './HoldersTable.tsx';
import { LockTimeline } from './timeline/LockTimeline.tsx';

export function LocksView() {
  const c = useMirror(useShallow(selectCounts));
  return (
    <section className="view" aria-label="Locks">
      <div className="toolbar">
        <span className="small num">
          {plural(c.holders, 'holder')} on {plural(c.lockedTasks, 'task')} · {plural(c.waiters, 'waiter')}
          {c.staleLocks > 0 ? <span className="text-danger strong"> · {c.staleLocks} stale</span> : null}
        </span>
      </div>
      <DeadlockBanner />
      <LockTimeline />
      <HoldersTable />
      <ContentionPanel />
      <BlockersTable />
    </section>
  );
}
