import { describe, expect, it } from 'vitest';
import {
  axisTicks,
  bytes,
  compactDuration,
  duration,
  fullTime,
  percent,
  plural,
  previewValue,
  relativeTime,
} from '../../src/lib/format.ts';

const NOW = Date.parse('2026-01-01T12:00:00Z');

describe('format', () => {
  it('full timestamps for tooltips: day, month, year and time in this time zone, then the ISO time', () => {
    const iso = '2026-11-27T23:07:01.123Z';
    const local = new Date(iso);
    const pad = (n: number) => String(n).padStart(2, '0');
    const month = local.toLocaleString('en-GB', { month: 'short' });
    const clock = `${pad(local.getHours())}:${pad(local.getMinutes())}:${pad(local.getSeconds())}`;
    expect(fullTime(iso)).toBe(`${local.getDate()} ${month} ${local.getFullYear()}, ${clock} (${iso})`);
    expect(fullTime('not a time')).toBe('not a time');
    expect(fullTime('')).toBe('—');
  });

  it('relative times, past and future', () => {
    expect(relativeTime('2026-01-01T12:00:00Z', NOW)).toBe('now');
    expect(relativeTime('2026-01-01T11:59:48Z', NOW)).toBe('12s ago');
    expect(relativeTime('2026-01-01T11:57:00Z', NOW)).toBe('3m ago');
    expect(relativeTime('2026-01-01T10:00:00Z', NOW)).toBe('2h ago');
    expect(relativeTime('2025-12-25T12:00:00Z', NOW)).toBe('7d ago');
    expect(relativeTime('2026-01-01T12:00:30Z', NOW)).toBe('in 30s');
    expect(relativeTime('not a date', NOW)).toBe('—');
  });

  it('durations', () => {
    expect(duration(340)).toBe('340 ms');
    expect(duration(4_230)).toBe('4.2 s');
    expect(duration(42_000)).toBe('42 s');
    expect(duration(125_000)).toBe('2m 05s');
    expect(duration(3_720_000)).toBe('1h 02m');
    expect(compactDuration(59_999)).toBe('59s');
  });

  it('sizes, plurals, percents, JSON previews', () => {
    expect(bytes(512)).toBe('512 B');
    expect(bytes(2048)).toBe('2.0 KB');
    expect(bytes(300 * 1024)).toBe('300 KB');
    expect(bytes(5 * 1024 * 1024)).toBe('5.0 MB');
    expect(plural(1, 'task')).toBe('1 task');
    expect(plural(1200, 'task')).toBe('1,200 tasks');
    expect(percent(1, 4)).toBe(25);
    expect(percent(1, 0)).toBe(0);
    expect(previewValue({ a: [1, 2] })).toBe('{"a":[1,2]}');
    expect(previewValue(undefined)).toBe('—');
  });

  it("chart time axes use the dashboard's 24-hour clock, with seconds only for ticks under a minute apart", () => {
    const evening = new Date(2026, 0, 1, 19, 1, 30).getTime() / 1000;
    const [minutes] = axisTicks([evening], 300);
    expect(minutes).toMatch(/^19.01$/);
    expect(axisTicks([evening], 10)[0]).toMatch(/^19.01.30$/);
    expect(axisTicks([evening], 86_400)[0]).not.toMatch(/19/); // a day apart: the date
  });
});
