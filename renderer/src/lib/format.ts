// Human formatting for times, durations, sizes and JSON values. Pure, so the
// views stay declarative and this stays unit-tested.
import type { JsonValue } from '../../../shared/model.ts';

function parse(iso: string): number {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : NaN;
}

/** "now", "12s ago", "3m ago", "2h ago", "4d ago"; future times as "in 5s". */
export function relativeTime(iso: string, now: number): string {
  const t = parse(iso);
  if (Number.isNaN(t)) return '—';
  const diff = now - t;
  const abs = Math.abs(diff);
  if (abs < 1_500) return 'now';
  const text = compactDuration(abs);
  return diff >= 0 ? `${text} ago` : `in ${text}`;
}

/** The largest unit only, rounded down: "12s", "3m", "2h", "4d". */
export function compactDuration(ms: number): string {
  const s = Math.floor(Math.abs(ms) / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

/** Precise enough to compare: "340 ms", "4.2 s", "2m 05s", "1h 02m". */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const abs = Math.abs(ms);
  if (abs < 1_000) return `${Math.round(abs)} ms`;
  if (abs < 60_000) return `${(abs / 1000).toFixed(abs < 10_000 ? 1 : 0)} s`;
  const totalS = Math.floor(abs / 1000);
  const m = Math.floor(totalS / 60);
  if (m < 60) return `${m}m ${String(totalS % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

export function bytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

const tickMinutes = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const tickSeconds = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
const tickDays = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

/**
 * A time axis's tick labels (times in seconds, `step` between ticks in seconds), on the same
 * 24-hour clock as the timeline and the tables: seconds only when ticks are under a minute
 * apart, the date only when they are a day or more apart.
 */
export function axisTicks(times: number[], step: number): string[] {
  const fmt = step >= 86_400 ? tickDays : step < 60 ? tickSeconds : tickMinutes;
  return times.map((t) => fmt.format(t * 1000));
}

/** Clock time for today, date + time otherwise. */
export function clockTime(iso: string, now: number): string {
  const t = parse(iso);
  if (Number.isNaN(t)) return '—';
  const sameDay = new Date(t).toDateString() === new Date(now).toDateString();
  return sameDay ? timeFmt.format(t) : dateTimeFmt.format(t);
}

// One formatter, made once: toLocaleString builds a new one per call, and every visible time
// (each table row's) asks for its tooltip on each render: 3% of the page's CPU under 200 updates/s.
const fullFmt = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });

/** Full timestamp for tooltips. */
export function fullTime(iso: string): string {
  const t = parse(iso);
  return Number.isNaN(t) ? iso || '—' : `${fullFmt.format(t)} (${iso})`;
}

/** A JSON value on one line, cut to `max` characters: for diffs and tables. */
export function previewValue(value: JsonValue | undefined, max = 80): string {
  if (value === undefined) return '—';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
}

export function percent(part: number, total: number): number {
  return total > 0 ? Math.min(100, Math.max(0, (part / total) * 100)) : 0;
}
