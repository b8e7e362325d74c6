// Field-level changes: + added, ~ modified (old → new), − removed.
import type { DiffRow } from '../lib/diff-view.ts';

/** Each kind's sign, and the tone it is drawn in. */
const SIGN: Record<DiffRow['kind'], { sign: string; tone: string }> = {
  added: { sign: '+', tone: 'text-ok' },
  modified: { sign: '~', tone: 'text-warn' },
  removed: { sign: '−', tone: 'text-danger' },
};

export function DiffTable({ rows, empty = 'No field changes.', label }: { rows: readonly DiffRow[]; empty?: string; label: string }) {
  if (rows.length === 0) return <p className="muted small">{empty}</p>;
  return (
    <table className="diff" aria-label={label}>
      <tbody>
        {rows.map((row) => (
          <tr key={`${row.kind}:${row.field}`} className={`diff-${row.kind}`}>
            <td className={`diff-sign ${SIGN[row.kind].tone}`} aria-label={row.kind}>
              {SIGN[row.kind].sign}
            </td>
            <th scope="row" className="diff-field mono">
              {row.field}
            </th>
            <td className="diff-values mono">
              {row.kind === 'modified' ? (
                <>
                  <span className="diff-old">{row.before}</span>
                  <span className="diff-arrow" aria-label="becomes">
                    →
                  </span>
                  <span className="diff-new">{row.after}</span>
                </>
              ) : row.kind === 'added' ? (
                <span className="diff-new">{row.after}</span>
              ) : (
                <span className="diff-old">{row.before}</span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Field names only (restore previews): what will be added, modified, removed. */
export function FieldList({ changes }: { changes: { added: string[]; modified: string[]; removed: string[] } }) {
  return (
    <span className="fieldlist mono">
      {changes.modified.map((f) => (
        <span key={`m${f}`} className="field field-modified" title="modified">
          ~{f}
        </span>
      ))}
      {changes.added.map((f) => (
        <span key={`a${f}`} className="field field-added" title="added">
          +{f}
        </span>
      ))}
      {changes.removed.map((f) => (
        <span key={`r${f}`} className="field field-removed" title="removed">
          −{f}
        </span>
      ))}
    </span>
  );
}
