// The button of a user action (useAction): while the action runs it says
// what it is doing ("Breaking…") and cannot be pressed again, so one click
// never sends the request twice.
import type { ButtonHTMLAttributes } from 'react';

export interface BusyButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  busy: boolean;
  /** Shown instead of the label while busy. */
  busyLabel: string;
}

export function BusyButton({ busy, busyLabel, disabled, type = 'button', children, ...button }: BusyButtonProps) {
  return (
    <button type={type} {...button} disabled={busy || disabled}>
      {busy ? busyLabel : children}
    </button>
  );
}
