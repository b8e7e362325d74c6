// Requirement 8: the CLI's output contract (--json shapes, one document on
// stdout, one error line on stderr, exit codes), simulate, and log --follow.
import { describe, expect, it } from 'vitest';
import { renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { openStateStore } from '../engine/index.ts';
import type { AuditEntry, CheckpointSummary, IntegrityIssue, Session, TaskState } from '../../shared/model.ts';
import { cleanUpAfterEach, deadPid, findFiles, makeTempDir, readAuditLines, runCli, spawnCli } from './helpers.ts';

cleanUpAfterEach();

/** stdout is exactly one JSON document on one line. */
function single(stdout: string): unknown {
  expect(stdout.endsWith('\n')).toBe(true);
  expect(stdout.trimEnd().split('\n')).toHaveLength(1);
  return JSON.parse(stdout);
}

describe('--json output contract', () => {
  it('every listing command prints one JSON array; session commands print the session', async () => {
    const root = makeTempDir();
    // Before anything exists, listings are empty arrays, not errors.
    for (const args of [['task', 'list'], ['session', 'list'], ['checkpoint', 'list'], ['locks'], ['log']]) {
      const r = await runCli(root, ['--json', ...args]);
      expect(r.code, args.join(' ')).toBe(0);
      expect(single(r.stdout)).toEqual([]);
    }

    const created = await runCli(root, ['--json', 'session', 'create', '--options', '{"agent":"cli-test"}']);
    expect(created.code).toBe(0);
    const session = single(created.stdout) as Session;
    expect(session).toMatchObject({ status: 'active', options: { agent: 'cli-test' }, task_ids: [], metrics: { total_tasks: 0 } });
    expect(session.id).toMatch(/^\d{4}-\d{2}-\d{2}-\d{3}$/);

    for (const [id, payload] of [
      ['a', '{"status":"in_progress"}'],
      ['b', '{"status":"completed"}'],
      ['a', '{"progress":50}'],
    ] as const) {
      const r = await runCli(root, ['--json', 'task', 'update', id, payload, '--session', session.id]);
      expect(r.code, r.stderr).toBe(0);
      expect(single(r.stdout)).toMatchObject({ task_id: id });
    }

    const got = await runCli(root, ['--json', 'session', 'get', session.id]);
    expect(single(got.stdout)).toMatchObject({
      id: session.id,
      task_ids: ['a', 'b'],
      metrics: { total_tasks: 2, completed: 1, in_progress: 1 },
    });
    const updated = await runCli(root, ['--json', 'session', 'update', session.id, '{"status":"paused","note":"lunch"}']);
    expect(updated.code).toBe(0);
    expect(single(updated.stdout)).toMatchObject({ id: session.id, status: 'paused', note: 'lunch', task_ids: ['a', 'b'] });

    const cp = await runCli(root, ['--json', 'checkpoint', 'create', session.id, '--reason', 'cli']);
    expect(cp.code).toBe(0);
    const checkpointId = (single(cp.stdout) as { id: string }).id;

    const tasks = single((await runCli(root, ['--json', 'task', 'list'])).stdout) as TaskState[];
    expect(tasks.map((t) => [t.task_id, t.version])).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    const history = single((await runCli(root, ['--json', 'task', 'history', 'a'])).stdout) as TaskState[];
    expect(history.map((h) => h.version)).toEqual([2, 1]);
    const sessions = single((await runCli(root, ['--json', 'session', 'list'])).stdout) as Session[];
    expect(sessions.map((s) => s.id)).toEqual([session.id]);
    expect(single((await runCli(root, ['--json', 'session', 'list', '--active'])).stdout)).toEqual([]);
    const checkpoints = single((await runCli(root, ['--json', 'checkpoint', 'list'])).stdout) as CheckpointSummary[];
    expect(checkpoints).toEqual([expect.objectContaining({ id: checkpointId, session_id: session.id, reason: 'cli', task_count: 2 })]);
    expect(single((await runCli(root, ['--json', 'locks'])).stdout)).toEqual([]);
    const log = single((await runCli(root, ['--json', 'log'])).stdout) as AuditEntry[];
    // `task update --session` links the session first, then commits the task.
    expect(log.map((e) => e.change_type)).toEqual([
      'session_created',
      'session_updated',
      'task_updated',
      'session_updated',
      'task_updated',
      'task_updated',
      'session_updated',
      'checkpoint_created',
    ]);
    const taskLog = single((await runCli(root, ['--json', 'log', '--task', 'a', '--limit', '1'])).stdout) as AuditEntry[];
    expect(taskLog).toEqual([expect.objectContaining({ task_id: 'a', change_type: 'task_updated', old_version: 1, new_version: 2 })]);

    // checkpoint restore: dry run previews, the real one prints {checkpoint_id, restored}.
    await runCli(root, ['task', 'update', 'a', '{"progress":90}']);
    const dry = await runCli(root, ['--json', 'checkpoint', 'restore', checkpointId, '--dry-run']);
    expect(single(dry.stdout)).toMatchObject({
      items: [
        { task_id: 'a', unchanged: false, changes: { modified: ['progress'] } },
        { task_id: 'b', unchanged: true },
      ],
    });
    const restore = await runCli(root, ['--json', 'checkpoint', 'restore', checkpointId]);
    expect(restore.code).toBe(0);
    expect(single(restore.stdout)).toMatchObject({
      checkpoint_id: checkpointId,
      restored: ['a', 'b'],
      changed: ['a'],
      undo_checkpoint_id: expect.any(String),
    });
    expect(single((await runCli(root, ['--json', 'task', 'get', 'a'])).stdout)).toMatchObject({ version: 4, progress: 50 });
  });

  it('gc prints {removed: N}; verify prints {issues: [...]}', async () => {
    const root = makeTempDir();
    const store = openStateStore({ root });
    await store.updateTaskState('t1', { n: 1 });
    await store.updateTaskState('t2', { n: 1 });
    store.close();
    expect(single((await runCli(root, ['--json', 'verify'])).stdout)).toEqual({ issues: [] });

    // A lock left by a dead process, and a damaged state.json...
    const now = Date.now();
    const deadHolder = async (token: string, owner: string) =>
      JSON.stringify({
        task_id: 't1',
        mode: 'write',
        token,
        pid: await deadPid(),
        host: hostname(),
        start: null,
        owner,
        acquired_at: new Date(now).toISOString(),
        expires_at: new Date(now + 60_000).toISOString(),
      });
    writeFileSync(join(root, 'tasks', 'task-t1', 'state.lock'), await deadHolder('dead', 'ghost'));
    // ...and the reclaim marker of a reclaimer that died half-way through.
    writeFileSync(join(root, 'tasks', 'task-t1', 'state.lock.reclaim'), await deadHolder('dead-reclaimer', 'reclaim'));
    writeFileSync(join(root, 'tasks', 'task-t2', 'state.json.new'), '{oops');
    renameSync(join(root, 'tasks', 'task-t2', 'state.json.new'), join(root, 'tasks', 'task-t2', 'state.json'));

    const verify = await runCli(root, ['--json', 'verify']);
    expect(verify.code).toBe(0);
    const issues = (single(verify.stdout) as { issues: IntegrityIssue[] }).issues;
    expect(issues.map((i) => [i.kind, i.task_id, i.recoverable]).sort()).toEqual([
      ['corrupt_state', 't2', true],
      ['garbage_lock', 't1', true],
      ['stale_lock', 't1', true],
    ]);

    const locks = single((await runCli(root, ['--json', 'locks'])).stdout) as { alive: string; owner: string }[];
    expect(locks).toEqual([expect.objectContaining({ task_id: 't1', owner: 'ghost', alive: 'dead' })]);

    const gc = await runCli(root, ['--json', 'gc']);
    expect(gc.code).toBe(0);
    expect(single(gc.stdout)).toMatchObject({ removed: 2 });
    expect(findFiles(root, (n) => n.includes('.lock'))).toEqual([]);
    expect(single((await runCli(root, ['--json', 'gc'])).stdout)).toMatchObject({ removed: 0 });
    expect(single((await runCli(root, ['--json', 'locks'])).stdout)).toEqual([]);
    const after = (single((await runCli(root, ['--json', 'verify'])).stdout) as { issues: IntegrityIssue[] }).issues;
    expect(after.map((i) => i.kind)).toEqual(['corrupt_state']);
  });

  it('errors are one line on stderr with the documented exit codes', async () => {
    const root = makeTempDir();
    const cases: [string[], number, string][] = [
      [['task', 'get', 'nope'], 1, 'NOT_FOUND'],
      [['task', 'history', 'nope'], 1, 'NOT_FOUND'],
      [['session', 'get', '2020-01-01-001'], 1, 'NOT_FOUND'],
      [['checkpoint', 'show', '2020-01-01-000000'], 1, 'NOT_FOUND'],
      [['frobnicate'], 2, 'INVALID_INPUT'],
      [['task'], 2, 'INVALID_INPUT'],
      [['session', 'frobnicate'], 2, 'INVALID_INPUT'],
      // A name every object has is still an unknown subcommand.
      [['checkpoint', 'constructor'], 2, 'INVALID_INPUT'],
      [['task', 'toString', 'x'], 2, 'INVALID_INPUT'],
      [['task', 'update', 'x'], 2, 'INVALID_INPUT'],
      [['locks', '--bogus', '1'], 2, 'INVALID_INPUT'],
    ];
    for (const [args, code, errorCode] of cases) {
      const r = await runCli(root, ['--json', ...args]);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ error: { code: errorCode } });
    }
    const human = await runCli(root, ['task', 'get', 'nope']);
    expect(human.code).toBe(1);
    expect(human.stderr).toMatch(/^lockstep: .*nope.*\n$/);
    expect((await runCli(root, [])).code).toBe(2);
    const help = await runCli(root, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes');
  });
});

describe('simulate', () => {
  it('--agents 3 --tasks 4 --seconds 2 prints a summary and leaves consistent state', async () => {
    const root = makeTempDir();
    const r = await runCli(root, ['--json', 'simulate', '--agents', '3', '--tasks', '4', '--seconds', '2'], { timeoutMs: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = single(r.stdout) as {
      agents: number;
      tasks: number;
      sessions: string[];
      updates: number;
      errors: number;
      conflicts: number;
    };
    expect(summary).toMatchObject({ agents: 3, tasks: 4, seconds: 2, errors: 0 });
    expect(summary.updates).toBeGreaterThan(0);
    expect(summary.sessions).toHaveLength(3);

    expect(single((await runCli(root, ['--json', 'verify'])).stdout)).toEqual({ issues: [] });
    expect(single((await runCli(root, ['--json', 'locks'])).stdout)).toEqual([]);
    const store = openStateStore({ root });
    const tasks = await store.listTasks();
    expect(tasks.length).toBeGreaterThan(0);
    expect(tasks.length).toBeLessThanOrEqual(4);
    // Every version of every task is accounted for by exactly one audit line, and the summary counts them all.
    const audit = readAuditLines(root);
    for (const t of tasks) {
      expect(t.task_id).toMatch(/^sim-[1-4]$/);
      const lines = audit.filter((e) => e.change_type === 'task_updated' && e.task_id === t.task_id);
      expect(lines.map((e) => e.new_version).sort((a, b) => a! - b!)).toEqual(Array.from({ length: t.version }, (_, i) => i + 1));
    }
    expect(tasks.reduce((n, t) => n + t.version, 0)).toBe(summary.updates);
    const sessions = await store.listSessions();
    expect(sessions.map((s) => s.id).sort()).toEqual([...summary.sessions].sort());
    for (const s of sessions) expect(s.status).toBe('completed');
    store.close();
  }, 60_000);
});

describe('log --follow', () => {
  it('prints a new JSON line when another process updates a task', async () => {
    const root = makeTempDir();
    expect((await runCli(root, ['task', 'update', 'watched', '{"n":1}'])).code).toBe(0);
    const follower = spawnCli(root, ['--json', 'log', '--follow']);
    const first = await follower.waitForJson<AuditEntry>();
    expect(first).toMatchObject({ change_type: 'task_updated', task_id: 'watched', new_version: 1 });

    const update = await runCli(root, ['task', 'update', 'watched', '{"n":2}']);
    expect(update.code).toBe(0);
    const next = await follower.waitForJson<AuditEntry>((e) => e.new_version === 2, 10_000);
    expect(next).toMatchObject({ change_type: 'task_updated', task_id: 'watched', old_version: 1 });
    expect(next.process_id).not.toBe(follower.pid);

    // A filtered follower ignores other tasks.
    const filtered = spawnCli(root, ['--json', 'log', '--follow', '--task', 'other']);
    await runCli(root, ['task', 'update', 'other', '{"n":1}']);
    await runCli(root, ['task', 'update', 'watched', '{"n":3}']);
    expect(await filtered.waitForJson<AuditEntry>((e) => e.task_id === 'other', 10_000)).toMatchObject({ new_version: 1 });
    await follower.waitForJson<AuditEntry>((e) => e.new_version === 3, 10_000);

    // Every stdout line of the follower is one JSON record.
    follower.signal('SIGTERM');
    filtered.signal('SIGTERM');
    expect((await follower.waitExit()).code).toBe(0);
    expect((await filtered.waitExit()).code).toBe(0);
    for (const line of follower.lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    expect(filtered.lines.map((l) => (JSON.parse(l) as AuditEntry).task_id)).toEqual(['other']);
  });
});
