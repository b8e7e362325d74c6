// The dashboard's tables: one description of the columns (header text,
// alignment class, screen-reader-only headers) and the rows as children, so
// every table has the same wrapper, header and label markup.
import type { ReactNode } from 'react';

export interface Column {
  header: string;
  /** Cell alignment or width class, applied to the header (cells set their own). */
  className?: string;
  /** A header only screen readers need (an actions or a bar column). */
  srOnly?: boolean;
}

export interface DataTableProps {
  /** The table's accessible name. */
  label: string;
  columns: readonly Column[];
  /** Extra classes of the scrolling wrapper (capped height, a dialog's preview). */
  wrapClassName?: string;
  /** The rows (<tr> elements). */
  children: ReactNode;
}

export function DataTable({ label, columns, wrapClassName, children }: DataTableProps) {
  return (
    <div className={wrapClassName ? `table-wrap ${wrapClassName}` : 'table-wrap'}>
      <table className="table" aria-label={label}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.header} scope="col" className={c.className}>
                {c.srOnly ? <span className="sr-only">{c.header}</span> : c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
