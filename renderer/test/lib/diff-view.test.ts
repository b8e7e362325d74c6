import { describe, expect, it } from 'vitest';
import { state } from '../fixtures.ts';
import { buildTimeline, changeSummary, diffRows, sessionLinkChange, writerOf } from '../../src/lib/diff-view.ts';

describe('diff rendering helpers', () => {
  it('lists modified (old → new), added and removed fields, ignoring engine noise', () => {
    const rows = diffRows(state(1, { status: 'pending', notes: 'x', gone: true }), state(2, { status: 'done', notes: 'x', extra: 5 }));
    expect(rows).toEqual([
      { kind: 'modified', field: 'status', before: '"pending"', after: '"done"' },
      { kind: 'added', field: 'extra', after: '5' },
      { kind: 'removed', field: 'gone', before: 'true' },
    ]);
  });

  it('truncates long values', () => {
    const rows = diffRows(state(1, { notes: 'a' }), state(2, { notes: 'b'.repeat(500) }), 20);
    expect(rows[0]?.after).toHaveLength(20);
    expect(rows[0]?.after?.endsWith('…')).toBe(true);
  });

  it('summarizes changes', () => {
    expect(changeSummary({ added: ['a'], modified: ['b', 'c'], removed: [] })).toBe('+1 ~2');
    expect(changeSummary({ added: [], modified: [], removed: [] })).toBe('no changes');
  });

  it('reads the writer of a version', () => {
    expect(writerOf(state(3, {}, 'agent-7'))).toEqual({ owner: 'agent-7', pid: 13, host: 'h' });
    expect(writerOf({ task_id: 't', version: 1, updated_at: '' })).toBeNull();
  });

  it('builds a timeline newest first, each compared with the next older version', () => {
    const history = [state(5, { s: 'c' }), state(3, { s: 'b' }), state(2, { s: 'a' })];
    const tl = buildTimeline(history);
    expect(tl.map((e) => [e.version, e.baseKind, e.isCurrent])).toEqual([
      [5, 'gap', true],
      [3, 'previous', false],
      [2, 'oldest-retained', false],
    ]);
    expect(tl[0]?.rows).toEqual([{ kind: 'modified', field: 's', before: '"b"', after: '"c"' }]);
    expect(tl[2]?.rows).toEqual([]); // nothing to compare with: not "everything added"
  });

  it('shows the first version as created, with every field added', () => {
    const tl = buildTimeline([state(1, { s: 'a' })]);
    expect(tl[0]?.baseKind).toBe('created');
    expect(tl[0]?.rows.map((r) => [r.kind, r.field])).toEqual([['added', 's']]);
  });
});

describe('session link on a version restore', () => {
  it('is reported when the restored version drops or changes the current session link', () => {
    const linked = state(5, { status: 'done', session_id: '2026-01-01-001' });
    expect(sessionLinkChange(linked, state(1, { status: 'pending' }))).toEqual({ from: '2026-01-01-001', to: null });
    expect(sessionLinkChange(linked, state(2, { session_id: '2026-01-01-002' }))).toEqual({ from: '2026-01-01-001', to: '2026-01-01-002' });
  });

  it('is not reported when the link stays, or there was none to lose', () => {
    expect(sessionLinkChange(state(5, { session_id: 's' }), state(3, { session_id: 's' }))).toBeNull();
    expect(sessionLinkChange(state(5, {}), state(3, { session_id: 's' }))).toBeNull();
    expect(sessionLinkChange(state(5, {}), state(3, {}))).toBeNull();
  });
});
