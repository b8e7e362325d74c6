// Modal dialogs on the native <dialog>: showModal() gives the top layer,
// makes the page behind inert and traps focus; we add the label, initial
// focus, Escape → onClose and focus return to whatever opened it. The
// dialog is rendered into <body> (a portal): the top layer lifts it above
// the page but CSS still cascades from where it sits in the DOM, so a dialog
// opened from a button group or a table row would otherwise take on their
// styles (and be read inside a radio group).
import { useEffect, useId, useRef, type ReactNode } from 'react';
import { createPortal } from 'react-dom';

export interface DialogProps {
  title: ReactNode;
  onClose: () => void;
  children: ReactNode;
  /** Footer buttons. */
  actions?: ReactNode;
  /** `drawer` slides in from the right and is wider. */
  variant?: 'dialog' | 'drawer';
  /** Extra accessible name when the title is not plain text. */
  ariaLabel?: string;
  className?: string;
}

export function Dialog({ title, onClose, children, actions, variant = 'dialog', ariaLabel, className }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    // Focus the first meaningful control, not the close button.
    const target =
      dialog.querySelector<HTMLElement>('[data-autofocus]') ??
      dialog.querySelector<HTMLElement>('.dialog-body button, .dialog-body input, .dialog-body select, .dialog-footer button');
    target?.focus();
    return () => {
      if (dialog.open) dialog.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  return createPortal(
    <dialog
      ref={ref}
      className={`dialog dialog-${variant}${className ? ` ${className}` : ''}`}
      aria-modal="true"
      aria-labelledby={ariaLabel ? undefined : titleId}
      aria-label={ariaLabel}
      onCancel={(event) => {
        // Escape: let React state decide, so the URL and the DOM agree. A
        // nested dialog's cancel must not close this one too.
        event.preventDefault();
        if (event.target === ref.current) onClose();
      }}
      onClick={(event) => {
        // A click on the backdrop (the dialog box itself, outside its content) closes.
        if (event.target === ref.current) onClose();
      }}
    >
      <div className="dialog-frame">
        <header className="dialog-header">
          <h2 id={titleId} className="dialog-title">
            {title}
          </h2>
          <button type="button" className="btn btn-ghost btn-icon" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </header>
        <div className="dialog-body">{children}</div>
        {actions ? <footer className="dialog-footer">{actions}</footer> : null}
      </div>
    </dialog>,
    document.body,
  );
}
