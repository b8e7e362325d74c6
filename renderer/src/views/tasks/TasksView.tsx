// Tasks: search, status filter, optional session filter, sortable columns —
// all in the URL — over the virtualized table.
import { useRef, useState, type RefObject } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useMirror, useNavigate, useRoute } from '../../app/services.ts';
import { EmptyState } from '../../components/EmptyState.tsx';
import { selectStatuses } from '../../store/selectors.ts';
import { TaskTable, useTaskIds } from './TaskTable.tsx';
import { plural } from '../../lib/format.ts';

/** The search box edits locally and writes the URL (replace) as you type. */
function SearchBox({
  value,
  onChange,
  inputRef,
}: {
  value: string;
  onChange: (v: string) => void;
  inputRef: RefObject<HTMLInputElement | null>;
}) {
  const [text, setText] = useState(value);
  const [seen, setSeen] = useState(value);
  // Back/forward changed the URL: show what the URL says.
  if (value !== seen) {
    setSeen(value);
    setText(value);
  }
  return (
    <label className="search">
      <span className="sr-only">Search tasks</span>
      <input
        ref={inputRef}
        type="search"
        placeholder="Search id, status, writer, session…  ( / )"
        value={text}
        aria-label="Search tasks"
        onChange={(e) => {
          setText(e.target.value);
          setSeen(e.target.value);
          onChange(e.target.value);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Escape' || e.key === 'Enter') e.currentTarget.blur();
        }}
      />
    </label>
  );
}

export function TasksView() {
  const route = useRoute();
  const navigate = useNavigate();
  const searchRef = useRef<HTMLInputElement>(null);
  const statuses = useMirror(useShallow((s) => selectStatuses(s.statusCounts)));
  const total = useMirror((s) => s.tasks.size);
  const { q, status, session, sort, dir } = route;
  const ids = useTaskIds({ q, status, session, sort, dir });
  const filtered = q !== '' || status !== '' || session !== null;

  return (
    <section className="view view-fill" aria-label="Tasks">
      <div className="toolbar">
        <SearchBox value={q} inputRef={searchRef} onChange={(v) => navigate({ q: v, sel: null }, { replace: true })} />
        <label className="field-inline">
          <span>Status</span>
          <select aria-label="Status filter" value={status} onChange={(e) => navigate({ status: e.target.value, sel: null })}>
            <option value="">All</option>
            {statuses.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
            {status && !statuses.includes(status) ? <option value={status}>{status}</option> : null}
          </select>
        </label>
        {session ? (
          <span className="filter-chip">
            session <span className="mono">{session}</span>
            <button type="button" className="btn-x" aria-label="Clear session filter" onClick={() => navigate({ session: null })}>
              ×
            </button>
          </span>
        ) : null}
        {filtered ? (
          <button type="button" className="btn btn-small btn-ghost" onClick={() => navigate({ q: '', status: '', session: null })}>
            Clear filters
          </button>
        ) : null}
        <span className="toolbar-spacer" />
        <span className="muted small num" role="status" aria-live="polite">
          {filtered ? `${ids.length.toLocaleString('en')} of ${plural(total, 'task')}` : plural(total, 'task')}
        </span>
        <span className="kbd-hint muted small" aria-hidden="true">
          <kbd>j</kbd>
          <kbd>k</kbd> move · <kbd>Enter</kbd> open · <kbd>/</kbd> search
        </span>
      </div>
      <TaskTable
        ids={ids}
        sort={sort}
        dir={dir}
        label="Tasks"
        onSearchKey={() => searchRef.current?.focus()}
        empty={
          total === 0 ? (
            <EmptyState title="No tasks yet">
              Tasks appear here as soon as an agent writes one, e.g.{' '}
              <code>lockstep task update &lt;id&gt; {`'{"status":"in_progress"}'`}</code>.
            </EmptyState>
          ) : (
            <EmptyState title="No tasks match these filters" />
          )
        }
      />
    </section>
  );
}
