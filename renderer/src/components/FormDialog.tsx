// A dialog that is one form: its fields in the body, Cancel and the submit
// button in the footer, Enter in a field submits too. The footer lies outside
// the <form>, so the button names the form by id; the browser's own
// validation bubbles are off (noValidate) because each dialog checks its
// input itself and says what is wrong in its own words, in the dialog.
import { useId, type ReactNode } from 'react';
import { BusyButton } from './BusyButton.tsx';
import { Dialog } from './Dialog.tsx';

export interface FormDialogProps {
  title: string;
  onClose: () => void;
  onSubmit: () => void;
  submitLabel: string;
  /** While the submit runs: the button says busyLabel and cannot be pressed again. */
  busy?: boolean;
  busyLabel?: string;
  /** False while the form cannot be sent (nothing to choose from yet). */
  canSubmit?: boolean;
  /** The fields, notes and the error of the last submit, top to bottom. */
  children: ReactNode;
}

export function FormDialog({
  title,
  onClose,
  onSubmit,
  submitLabel,
  busy = false,
  busyLabel = submitLabel,
  canSubmit = true,
  children,
}: FormDialogProps) {
  const formId = useId();
  return (
    <Dialog
      title={title}
      onClose={onClose}
      actions={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <BusyButton type="submit" form={formId} className="btn btn-primary" busy={busy} busyLabel={busyLabel} disabled={!canSubmit}>
            {submitLabel}
          </BusyButton>
        </>
      }
    >
      <form
        id={formId}
        className="form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          if (canSubmit && !busy) onSubmit();
        }}
      >
        {children}
      </form>
    </Dialog>
  );
}
