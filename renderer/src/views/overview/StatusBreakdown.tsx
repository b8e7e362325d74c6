// Where the tasks are, by status bucket; each segment filters the Tasks view.
import { useMirror } from '../../app/services.ts';
import { Panel } from '../../components/Panel.tsx';
import { percent } from '../../lib/format.ts';
import { selectBuckets } from '../../store/selectors.ts';

const LABELS = { completed: 'Completed', in_progress: 'In progress', failed: 'Failed', other: 'Other' } as const;

export function StatusBreakdown() {
  const buckets = useMirror((s) => selectBuckets(s.statusCounts));
  const total = buckets.completed + buckets.in_progress + buckets.failed + buckets.other;
  if (total === 0) return null;
  const keys = ['completed', 'in_progress', 'failed', 'other'] as const;
  return (
    <Panel title="Task status">
      <div className="stackbar stackbar-lg" role="img" aria-label={keys.map((k) => `${LABELS[k]} ${buckets[k]}`).join(', ')}>
        {keys.map((k) => (
          <span key={k} className={`seg seg-${k}`} style={{ width: `${percent(buckets[k], total)}%` }} />
        ))}
      </div>
      <ul className="legend">
        {keys.map((k) => (
          <li key={k}>
            <span className={`legend-swatch seg-${k}`} aria-hidden="true" />
            {LABELS[k]} <span className="num strong">{buckets[k].toLocaleString('en')}</span>
            <span className="muted num small"> {Math.round(percent(buckets[k], total))}%</span>
          </li>
        ))}
      </ul>
    </Panel>
  );
}
