// Two chosen versions side by side as a field diff (older → newer).
import type { TaskState } from '../../../../shared/model.ts';
import { DiffTable } from '../../components/DiffTable.tsx';
import { diffRows } from '../../lib/diff-view.ts';

export function CompareVersions({
  history,
  pair,
  onClear,
}: {
  history: readonly TaskState[];
  pair: readonly [number, number];
  onClear: () => void;
}) {
  const older = history.find((s) => s.version === pair[0]);
  const newer = history.find((s) => s.version === pair[1]);
  return (
    <section className="compare" aria-label={`Compare v${pair[0]} and v${pair[1]}`}>
      <header className="compare-head">
        <h3 className="subhead">
          Compare v{pair[0]} → v{pair[1]}
        </h3>
        <button type="button" className="btn btn-small btn-ghost" onClick={onClear}>
          Clear comparison
        </button>
      </header>
      {older && newer ? (
        <DiffTable
          rows={diffRows(older, newer, 200)}
          label={`Changes from v${pair[0]} to v${pair[1]}`}
          empty="These versions have the same content."
        />
      ) : (
        <p className="muted small">One of these versions is no longer in the retained history.</p>
      )}
    </section>
  );
}
