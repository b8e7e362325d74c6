// Requirement 9: a torn last line in the audit log (a writer killed mid-append)
// breaks neither reading nor the next append.
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStateStore } from '../engine/index.ts';
import type { AuditEntry } from '../../shared/model.ts';
import { makeTempDir, removeTempDirs, runCli } from './helpers.ts';

afterEach(() => removeTempDirs());

function auditFile(root: string): string {
  const names = readdirSync(join(root, 'logs')).filter((n) => n.startsWith('audit-'));
  expect(names).toHaveLength(1);
  return join(root, 'logs', names[0]!);
}

describe('audit log with a torn line', () => {
  it('reading tolerates it, and the entry appended after it is still readable', async () => {
    const root = makeTempDir();
    const store = openStateStore({ root });
    await store.updateTaskState('t', { n: 1 });
    const file = auditFile(root);
    const torn = JSON.stringify({
      timestamp: new Date().toISOString(),
      process_id: 1,
      host: 'h',
      owner: 'x',
      change_type: 'task_updated',
      task_id: 't',
      description: 'cut short',
    }).slice(0, 60);
    appendFileSync(file, torn); // half a line, no newline: a writer died mid-append

    const before = await store.readAuditLog();
    expect(before.map((e) => [e.change_type, e.new_version])).toEqual([['task_updated', 1]]);
    const cliBefore = await runCli(root, ['--json', 'log']);
    expect(cliBefore.code).toBe(0);
    expect((cliBefore.json as AuditEntry[]).map((e) => e.new_version)).toEqual([1]);

    // The next entry, from another process, lands right after the torn bytes.
    const update = await runCli(root, ['task', 'update', 't', '{"n":2}']);
    expect(update.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain(`${torn}{"timestamp"`);

    const after = await store.readAuditLog({ task: 't' });
    expect(after.map((e) => [e.change_type, e.new_version])).toEqual([
      ['task_updated', 1],
      ['task_updated', 2],
    ]);
    expect(after[1]).toMatchObject({ old_version: 1, task_id: 't' });
    const cliAfter = await runCli(root, ['--json', 'log', '--task', 't']);
    expect((cliAfter.json as AuditEntry[]).map((e) => e.new_version)).toEqual([1, 2]);

    // And appending keeps working from this process too.
    await store.updateTaskState('t', { n: 3 });
    expect((await store.readAuditLog({ task: 't' })).map((e) => e.new_version)).toEqual([1, 2, 3]);
    store.close();
  });

  it('a garbage line in the middle is skipped without hiding its neighbours', async () => {
    const root = makeTempDir();
    const store = openStateStore({ root });
    await store.updateTaskState('t', { n: 1 });
    appendFileSync(auditFile(root), '\u0000\u0000garbage}{\n{"not":"closed"\n');
    await store.updateTaskState('t', { n: 2 });
    const entries = await store.readAuditLog({ task: 't' });
    expect(entries.map((e) => e.new_version)).toEqual([1, 2]);
    const cli = await runCli(root, ['--json', 'log', '--task', 't', '--limit', '5']);
    expect(cli.code).toBe(0);
    expect((cli.json as AuditEntry[]).map((e) => e.new_version)).toEqual([1, 2]);
    store.close();
  });
});
