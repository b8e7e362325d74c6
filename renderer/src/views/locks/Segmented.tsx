// A row of radio buttons (the windows, the lane grouping): one control for
// every choice of the Locks view, so they look and read alike.
import type { ReactNode } from 'react';

export interface Choice<T extends string> {
  value: T;
  label: string;
  /** An accessible name when the label is ambiguous ("5 min" is inside "15 min"). */
  name?: string;
}

export function Segmented<T extends string>({
  label,
  choices,
  value,
  onChange,
  children,
}: {
  label: string;
  choices: readonly Choice<T>[];
  /** null: none of these (e.g. a picked range is shown). */
  value: T | null;
  onChange: (value: T) => void;
  /** More buttons in the same group (Custom…). */
  children?: ReactNode;
}) {
  return (
    <div className="segmented" role="radiogroup" aria-label={label}>
      {choices.map((c) => (
        <button
          key={c.value}
          type="button"
          role="radio"
          aria-label={c.name}
          aria-checked={c.value === value}
          className={c.value === value ? 'seg-on' : undefined}
          onClick={() => onChange(c.value)}
        >
          {c.label}
        </button>
      ))}
      {children}
    </div>
  );
}
