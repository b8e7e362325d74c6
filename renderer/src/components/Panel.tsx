// A titled panel: a <section> named by its <h2> (so screen readers list it as
// a region), whose head row holds the title and whatever the panel puts
// beside it: a count, a note, its controls.
import { useId, type ReactNode, type Ref } from 'react';

interface PanelProps {
  title: ReactNode;
  /** Beside the title, in the head row. */
  head?: ReactNode;
  /** Content runs to the panel's edges (a table), instead of the padded body. */
  flush?: boolean;
  /** More classes on the section. */
  className?: string;
  ref?: Ref<HTMLElement>;
  children: ReactNode;
}

export function Panel({ title, head, flush = false, className, ref, children }: PanelProps) {
  const titleId = useId();
  const classes = ['panel', flush ? 'panel-flush' : '', className ?? ''].filter(Boolean).join(' ');
  return (
    <section ref={ref} className={classes} aria-labelledby={titleId}>
      <header className="panel-head">
        <h2 id={titleId} className="panel-title">
          {title}
        </h2>
        {head}
      </header>
      {children}
    </section>
  );
}
