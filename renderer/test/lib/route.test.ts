import { describe, expect, it } from 'vitest';
import { DEFAULT_ROUTE, formatHash, parseHash, viewHref } from '../../src/lib/route.ts';

describe('URL state', () => {
  it('parses an empty hash as the overview with defaults', () => {
    expect(parseHash('')).toEqual(DEFAULT_ROUTE);
    expect(parseHash('#/')).toEqual(DEFAULT_ROUTE);
  });

  it('round-trips every field', () => {
    const route = {
      ...DEFAULT_ROUTE,
      view: 'tasks' as const,
      q: 'sim 1&x=y',
      status: 'in_progress',
      sort: 'updated' as const,
      dir: 'asc' as const,
      sel: 'sim-1',
      task: 'sim-2',
      session: '2026-01-01-001',
      window: '1h' as const,
      compare: [3, 7] as const,
    };
    const hash = formatHash(route);
    expect(parseHash(hash)).toEqual(route);
  });

  it('leaves defaults out of the URL', () => {
    expect(formatHash(DEFAULT_ROUTE)).toBe('#/overview');
    expect(formatHash({ ...DEFAULT_ROUTE, view: 'tasks', sort: 'updated', dir: 'desc' })).toBe('#/tasks?sort=updated');
    expect(formatHash({ ...DEFAULT_ROUTE, view: 'tasks', sort: 'updated', dir: 'asc' })).toBe('#/tasks?sort=updated&dir=asc');
  });

  it('takes the natural default direction for each sort column', () => {
    expect(parseHash('#/tasks?sort=version').dir).toBe('desc');
    expect(parseHash('#/tasks?sort=id').dir).toBe('asc');
  });

  it('rejects unknown or unsafe values', () => {
    const r = parseHash('#/nope?sort=evil&dir=up&task=../../etc&sel=%20&window=2d&compare=5,5');
    expect(r.view).toBe('overview');
    expect(r.sort).toBe('id');
    expect(r.dir).toBe('asc');
    expect(r.task).toBeNull();
    expect(r.invalidTask).toBe('../../etc'); // kept only to tell the user, never written back
    expect(formatHash(r)).not.toContain('etc');
    expect(r.sel).toBeNull();
    expect(r.window).toBe(DEFAULT_ROUTE.window);
    expect(r.compare).toBeNull();
  });

  it('orders a comparison older first', () => {
    expect(parseHash('#/tasks?compare=9,2').compare).toEqual([2, 9]);
    expect(parseHash('#/tasks?compare=a,2').compare).toBeNull();
  });

  it('keeps a "?" inside a search value', () => {
    expect(parseHash(formatHash({ ...DEFAULT_ROUTE, view: 'tasks', q: 'why?' })).q).toBe('why?');
  });

  it('builds view links with cleared filters', () => {
    expect(viewHref('sessions', { session: '2026-01-01-002' })).toBe('#/sessions?session=2026-01-01-002');
  });
});
