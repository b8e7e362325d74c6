import { describe, expect, it } from 'vitest';
import { writerOf } from '../../src/lib/diff-view.ts';
import { state } from '../fixtures.ts';
import { isAnonymous, ownerLabel, UNKNOWN_WRITER, UNNAMED_WRITER, writerLabel } from '../../src/lib/writer.ts';

describe('writer wording', () => {
  it('names a writer by its owner label', () => {
    expect(ownerLabel('agent-7')).toBe('agent-7');
    expect(writerLabel({ owner: 'agent-7', pid: 42, host: 'h' })).toBe('agent-7');
  });

  it('says "unnamed writer" for an empty or absent owner, in the table, the header and the timeline alike', () => {
    const unnamed = state(3, {}, '');
    // The tasks table and the header before the version loads have only the row's owner (null for "").
    expect(ownerLabel(null)).toBe(UNNAMED_WRITER);
    expect(ownerLabel('')).toBe(UNNAMED_WRITER);
    // The header once loaded, and the timeline, read the version's updated_by.
    expect(writerLabel(writerOf(unnamed))).toBe(UNNAMED_WRITER);
    expect(UNNAMED_WRITER).toBe('unnamed writer');
  });

  it('says "writer unknown" for a version without updated_by, and both are shown muted', () => {
    expect(writerLabel(writerOf(state(1, { updated_by: null })))).toBe(UNKNOWN_WRITER);
    expect(isAnonymous(UNKNOWN_WRITER) && isAnonymous(UNNAMED_WRITER)).toBe(true);
    expect(isAnonymous('agent-7')).toBe(false);
  });
});
