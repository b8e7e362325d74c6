import { percent } from '../../lib/format.ts';

/** A table cell with a bar: `value` against the column's largest, for the eye (the number is in its own cell). */
export function RelativeBarCell({ value, max }: { value: number; max: number }) {
  return (
    <td className="cell-bar">
      <span className="hbar" aria-hidden="true">
        <span className="hbar-fill" style={{ width: `${percent(value, max)}%` }} />
      </span>
    </td>
  );
}
