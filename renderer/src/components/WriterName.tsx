import { isAnonymous } from '../lib/writer.ts';

/** A writer label from lib/writer.ts; "unnamed writer" / "writer unknown" are muted. */
export function WriterName({ label, className }: { label: string; className?: string }) {
  const classes = [className, isAnonymous(label) ? 'muted' : null].filter(Boolean).join(' ');
  return <span className={classes || undefined}>{label}</span>;
}
