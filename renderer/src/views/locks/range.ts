// A time range the user picks for the Locks view (timeline, charts, who
// blocked whom): read from two date-time inputs in local time, checked
// before it is used, kept in the URL (route `from`/`to`).

export interface PickedRange {
  from: number;
  to: number;
}

/** The value of an <input type="datetime-local"> for a time: local, to the second. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** A range from the two inputs' values, or what is wrong with them, in words. */
export function parseRange(fromValue: string, toValue: string, now: number): { range: PickedRange } | { error: string } {
  if (!fromValue || !toValue) return { error: 'Enter both a start and an end.' };
  // "2026-11-27T10:00" without a zone is local time, as the input shows it.
  const from = new Date(fromValue).getTime();
  const to = new Date(toValue).getTime();
  if (Number.isNaN(from)) return { error: `The start "${fromValue}" is not a date and time.` };
  if (Number.isNaN(to)) return { error: `The end "${toValue}" is not a date and time.` };
  if (from >= to) return { error: 'The start must be before the end.' };
  // The inputs show whole seconds: "now" typed in is up to a second behind the clock.
  if (from > now) return { error: 'The start is in the future: nothing has happened there yet.' };
  if (to > now + 60_000) return { error: 'The end is in the future: pick a time up to now.' };
  return { range: { from, to: Math.min(to, now) } };
}

/** "27 Nov 10:00 – 12:30" style label of a range, for the toolbar and empty states. */
export function rangeLabel(r: PickedRange): string {
  const day = (ms: number) => new Date(ms).toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
  const time = (ms: number) => new Date(ms).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hour12: false });
  const sameDay = day(r.from) === day(r.to);
  return `${day(r.from)} ${time(r.from)} – ${sameDay ? '' : `${day(r.to)} `}${time(r.to)}`;
}
