import type { ReactNode } from 'react';
import { statusBucket } from '../../../shared/metrics.ts';

/** A task or session status, coloured by its bucket (done / running / failed / other). */
export function StatusChip({ status }: { status: string | null | undefined }) {
  if (!status) return <span className="chip chip-none">—</span>;
  return <span className={`chip chip-${statusBucket(status)}`}>{status}</span>;
}

export function Chip({
  tone = 'neutral',
  children,
  title,
}: {
  tone?: 'neutral' | 'ok' | 'info' | 'warn' | 'danger' | 'accent';
  children: ReactNode;
  title?: string;
}) {
  return (
    <span className={`chip chip-tone-${tone}`} title={title}>
      {children}
    </span>
  );
}
