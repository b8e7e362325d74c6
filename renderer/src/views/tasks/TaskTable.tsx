// The virtualized tasks table (ARIA grid semantics on divs, since only the
// visible rows exist in the DOM: aria-rowcount/aria-rowindex tell assistive
// tech where they are). Used by the Tasks view and, filtered, by Sessions.
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useMemo, useRef, type ReactNode } from 'react';
import { useMirror, useNavigate, useRouteField } from '../../app/services.ts';
import { EmptyState } from '../../components/EmptyState.tsx';
import { DEFAULT_DIR, type SortKey } from '../../lib/route.ts';
import { createTaskQuerySelector, type TaskQuery } from '../../store/task-query.ts';
import { ROW_HEIGHT, TASK_COLUMNS } from './columns.ts';
import { TaskTableRow } from './TaskTableRow.tsx';
import { useTableKeys } from './use-table-keys.ts';

export interface TaskTableProps {
  /** The visible task ids, in display order (see useTaskIds). */
  ids: readonly string[];
  sort: SortKey;
  dir: TaskQuery['dir'];
  label: string;
  /** Called for `/`: focus the page's search box, if it has one. */
  onSearchKey?: () => void;
  empty?: ReactNode;
}

/** The filtered, sorted ids for a query; the same array until the result changes. */
export function useTaskIds(query: TaskQuery): readonly string[] {
  const { q, status, session, sort, dir } = query;
  const selector = useMemo(() => createTaskQuerySelector({ q, status, session, sort, dir }), [q, status, session, sort, dir]);
  return useMirror(selector);
}

export function TaskTable({ ids, sort, dir, label, onSearchKey, empty }: TaskTableProps) {
  const navigate = useNavigate();
  const scrollRef = useRef<HTMLDivElement>(null);
  const selected = useRouteField('sel');
  const selectedIndex = useMemo(() => (selected ? ids.indexOf(selected) : -1), [ids, selected]);

  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is read during render by design; rows are memoized separately.
  const virtualizer = useVirtualizer({
    count: ids.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
    getItemKey: (index) => ids[index] ?? index,
  });

  const onSelect = useCallback((taskId: string) => navigate({ sel: taskId }, { replace: true }), [navigate]);
  const onOpen = useCallback((taskId: string) => navigate({ sel: taskId, task: taskId, compare: null }), [navigate]);

  useTableKeys({ ids, selectedIndex, onSelect, onOpen, onSearchKey });

  useEffect(() => {
    if (selectedIndex >= 0) virtualizer.scrollToIndex(selectedIndex, { align: 'auto' });
  }, [selectedIndex, virtualizer]);

  const sortBy = (key: SortKey) => {
    if (key === sort) navigate({ dir: dir === 'asc' ? 'desc' : 'asc' });
    else navigate({ sort: key, dir: DEFAULT_DIR[key] });
  };

  const items = virtualizer.getVirtualItems();
  return (
    <div className="ttable" role="table" aria-label={label} aria-rowcount={ids.length + 1}>
      <div role="rowgroup" className="thead">
        <div role="row" aria-rowindex={1} className="trow trow-head">
          {TASK_COLUMNS.map((col) => {
            const active = col.sort !== null && col.sort === sort;
            return (
              <div
                key={col.key}
                role="columnheader"
                className={`tcell${col.align === 'end' ? ' tcell-end' : ''}`}
                aria-sort={active ? (dir === 'asc' ? 'ascending' : 'descending') : col.sort ? 'none' : undefined}
              >
                {col.sort ? (
                  <button
                    type="button"
                    className={`sort-btn${active ? ' sort-active' : ''}`}
                    onClick={() => sortBy(col.sort as SortKey)}
                    aria-label={`Sort by ${col.label}`}
                  >
                    {col.label}
                    <span className="sort-arrow" aria-hidden="true">
                      {active ? (dir === 'asc' ? '▲' : '▼') : ''}
                    </span>
                  </button>
                ) : (
                  col.label
                )}
              </div>
            );
          })}
        </div>
      </div>
      <div ref={scrollRef} className="tscroll">
        {ids.length === 0 ? (
          (empty ?? <EmptyState title="No tasks match" />)
        ) : (
          <div role="rowgroup" className="tbody" style={{ height: virtualizer.getTotalSize() }}>
            {items.map((item) => {
              const id = ids[item.index];
              if (id === undefined) return null;
              return (
                <TaskTableRow
                  key={id}
                  taskId={id}
                  rowIndex={item.index + 2}
                  start={item.start}
                  selected={id === selected}
                  onSelect={onSelect}
                  onOpen={onOpen}
                />
              );
            })}
          </div>
        )}
      </div>
    </div>
  );
}
