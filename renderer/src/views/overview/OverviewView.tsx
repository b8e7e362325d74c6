import { useMirror } from '../../app/services.ts';
import { isEmptyRoot } from '../../store/selectors.ts';
import { ActivityFeed } from './ActivityFeed.tsx';
import { EmptyRoot } from './EmptyRoot.tsx';
import { MostContended } from './MostContended.tsx';
import { RecentSessions } from './RecentSessions.tsx';
import { StatCards } from './StatCards.tsx';
import { StatusBreakdown } from './StatusBreakdown.tsx';

export function OverviewView() {
  const empty = useMirror(isEmptyRoot);
  return (
    <section className="view" aria-label="Overview">
      <StatCards />
      {empty ? <EmptyRoot /> : null}
      <div className="overview-grid">
        <div className="overview-main">
          <ActivityFeed />
        </div>
        <div className="overview-side">
          <MostContended />
          <StatusBreakdown />
          <RecentSessions />
        </div>
      </div>
    </section>
  );
}
