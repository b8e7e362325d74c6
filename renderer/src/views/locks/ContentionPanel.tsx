// Per-task contention over a recent window: who fights over what. The
// snapshot's live numbers show at once; the chosen window is fetched, and
// refetched every few seconds while the view is open (windows slide).
import { useApi, useMirror, useNavigate, useRouteField } from '../../app/services.ts';
import { useNow } from '../../lib/clock.ts';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { TaskLink } from '../../components/TaskLink.tsx';
import { duration, percent } from '../../lib/format.ts';
import { CONTENTION_WINDOWS, type ContentionWindow } from '../../lib/route.ts';
import { useLoad } from '../../lib/use-load.ts';
import { contentionIn, sortContention } from './contention.ts';
import { RangePicker } from './RangePicker.tsx';
import { RelativeBarCell } from './RelativeBar.tsx';
import { rangeLabel } from './range.ts';
import { Segmented } from './Segmented.tsx';
import { DataTable, type Column } from '../../components/DataTable.tsx';
import { useMemo } from 'react';
import { WaitChart, WaitSparkline } from './charts/WaitChart.tsx';
import { FETCH_LIMIT, useLockWindow } from './timeline/lock-events.ts';
import { waitSeries } from './timeline/series.ts';

const COLUMNS: readonly Column[] = [
  { header: 'Task' },
  { header: 'Acquisitions', className: 'cell-end' },
  { header: 'Waited', className: 'cell-end' },
  { header: 'Wait p50', className: 'cell-end' },
  { header: 'Wait p95', className: 'cell-end' },
  { header: 'Max', className: 'cell-end' },
  { header: 'Time-outs', className: 'cell-end' },
  { header: 'Wait p95 over time', className: 'cell-spark' },
  { header: 'p95 wait, relative', className: 'cell-bar', srOnly: true },
];

const LABELS: Record<ContentionWindow, string> = { '5m': '5 min', '15m': '15 min', '1h': '1 h' };
// Accessible names that are not substrings of each other ("5 min" is inside "15 min").
const NAMES: Record<ContentionWindow, string> = { '5m': 'Last 5 minutes', '15m': 'Last 15 minutes', '1h': 'Last hour' };
const SHOWN = 50;
const REFRESH_MS = 5_000;
/** Intervals per chart: a point every 5 s over 5 min, every minute over 1 h. */
const BUCKETS = 60;

const CHOICES = (Object.keys(CONTENTION_WINDOWS) as ContentionWindow[]).map((w) => ({ value: w, label: LABELS[w], name: NAMES[w] }));

export function ContentionPanel() {
  const api = useApi();
  const navigate = useNavigate();
  const win = useRouteField('window');
  const live = useMirror((s) => s.contention);
  const now = useNow();
  const tick = Math.floor(now / REFRESH_MS);
  const windowMs = CONTENTION_WINDOWS[win];
  const { events, range, truncated } = useLockWindow(windowMs);
  // The host counts the live windows; a picked range is counted here, from its lines.
  const { outcome, reload } = useLoad(range ? null : `${win}@${tick}`, () => api.getContention({ windowMs }));
  const picked = useMemo(() => (range ? contentionIn(events, range.from, range.to) : null), [events, range]);
  const stats = sortContention(picked ?? (outcome?.ok ? outcome.value : live)).slice(0, SHOWN);
  const maxWait = Math.max(1, ...stats.map((s) => s.wait_p95_ms));
  // Recomputed on new lines, and as the window slides (every bucket's width).
  const slot = Math.floor(now / (windowMs / BUCKETS));
  const series = useMemo(() => {
    if (range) return waitSeries(events, range.from, range.to, BUCKETS);
    const end = (slot + 1) * (windowMs / BUCKETS);
    return waitSeries(events, end - windowMs, end, BUCKETS);
  }, [events, slot, windowMs, range]);
  return (
    <section className="panel panel-flush" aria-labelledby="contention-title">
      <header className="panel-head">
        <h2 id="contention-title" className="panel-title">
          Contention
        </h2>
        <span className="muted small">
          most contended first{truncated ? ` · showing the newest ${FETCH_LIMIT.toLocaleString('en')} lines` : ''}
        </span>
        <span className="toolbar-spacer" />
        <Segmented
          label="Contention window"
          choices={CHOICES}
          value={range ? null : win}
          onChange={(w) => navigate({ window: w, from: null, to: null }, { replace: true })}
        >
          <RangePicker range={range} onPick={(r) => navigate({ from: r.from, to: r.to })} />
        </Segmented>
      </header>
      {stats.length > 0 ? <WaitChart series={series.all} /> : null}
      {outcome && !outcome.ok ? <ErrorMessage error={outcome.error} title="Could not load contention" onRetry={reload} /> : null}
      {stats.length === 0 ? (
        <EmptyState title={range ? `No lock activity from ${rangeLabel(range)}` : `No lock activity in the last ${LABELS[win]}`} />
      ) : (
        <DataTable label="Lock contention" columns={COLUMNS}>
          {stats.map((s) => (
            <tr key={s.task_id}>
              <td>
                <TaskLink taskId={s.task_id} />
              </td>
              <td className="num cell-end">{s.acquisitions}</td>
              <td className="num cell-end">
                {s.waited}
                <span className="muted small"> ({Math.round(percent(s.waited, s.acquisitions))}%)</span>
              </td>
              <td className="num cell-end">{duration(s.wait_p50_ms)}</td>
              <td className="num cell-end">{duration(s.wait_p95_ms)}</td>
              <td className="num cell-end muted">{duration(s.wait_max_ms)}</td>
              <td className={`num cell-end${s.timeouts > 0 ? ' text-danger strong' : ' muted'}`}>{s.timeouts}</td>
              <td className="cell-spark">
                <WaitSparkline series={series.byTask.get(s.task_id)} task={s.task_id} />
              </td>
              <RelativeBarCell value={s.wait_p95_ms} max={maxWait} />
            </tr>
          ))}
        </DataTable>
      )}
    </section>
  );
}
