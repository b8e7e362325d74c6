// "Custom…": a dialog with a start and an end (date and time), checked
// before it is applied: the start before the end, neither in the future.
import { useState } from 'react';
import { FormDialog } from '../../components/FormDialog.tsx';
import { parseRange, rangeLabel, toLocalInput, type PickedRange } from './range.ts';
import './range.css';

export function RangePicker({ range, onPick }: { range: PickedRange | null; onPick: (range: PickedRange) => void }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button
        type="button"
        role="radio"
        aria-checked={range !== null}
        className={range ? 'seg-on' : undefined}
        title={range ? rangeLabel(range) : 'Pick a start and an end'}
        onClick={() => setOpen(true)}
      >
        {range ? rangeLabel(range) : 'Custom…'}
      </button>
      {open ? <RangeDialog initial={range} onClose={() => setOpen(false)} onPick={onPick} /> : null}
    </>
  );
}

/** Closes itself once a valid range is picked. */
function RangeDialog({ initial, onClose, onPick }: { initial: PickedRange | null; onClose: () => void; onPick: (r: PickedRange) => void }) {
  const [now] = useState(() => Date.now());
  const [from, setFrom] = useState(() => toLocalInput(initial?.from ?? now - 3600_000));
  const [to, setTo] = useState(() => toLocalInput(initial?.to ?? now));
  const [error, setError] = useState<string | null>(null);
  const apply = () => {
    const parsed = parseRange(from, to, Date.now());
    if ('error' in parsed) {
      setError(parsed.error);
      return;
    }
    onPick(parsed.range);
    onClose();
  };
  return (
    <FormDialog title="Show a range" onClose={onClose} onSubmit={apply} submitLabel="Show">
      <div className="range-fields">
        <label className="form-row">
          From
          <input type="datetime-local" step={1} value={from} onChange={(e) => setFrom(e.target.value)} data-autofocus />
        </label>
        <label className="form-row">
          To
          <input type="datetime-local" step={1} value={to} onChange={(e) => setTo(e.target.value)} />
        </label>
      </div>
      <p className="muted small">In local time. The timeline, the contention chart and who blocked whom all show this range.</p>
      {error ? (
        <p role="alert" className="text-danger">
          {error}
        </p>
      ) : null}
    </FormDialog>
  );
}
