// `lockstep mcp` driven by the SDK's own client over stdio: the tools an
// agent sees, their schemas, and the errors it gets back.
import { afterEach, describe, expect, it } from 'vitest';
import { TASK_ID_PATTERN } from '../../../shared/ids.ts';
import { makeTempDir, removeTempDirs, runCli, singleCliError } from '../helpers.ts';
import { closeMcpSessions, connectMcp } from './mcp-client.ts';

afterEach(async () => {
  await closeMcpSessions();
  removeTempDirs();
});

const TOOL_NAMES = [
  'acquire_lock',
  'create_checkpoint',
  'create_session',
  'get_task',
  'list_locks',
  'list_tasks',
  'release_lock',
  'restore_checkpoint',
  'restore_task_version',
  'task_history',
  'update_session',
  'update_task',
  'verify',
];

interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema & { pattern?: string; enum?: string[]; minimum?: number }>;
  required?: string[];
  additionalProperties?: unknown;
}

describe('lockstep mcp: the command', () => {
  it('is in the help, and refuses bad options with exit 2 before serving', async () => {
    const root = makeTempDir();
    expect((await runCli(root, ['--help'])).stdout).toMatch(/^ {2}mcp \[--owner LABEL\]/m);
    for (const [args, message] of [
      [['mcp', 'extra'], /unexpected argument "extra"/],
      [['mcp', '--bogus', 'x'], /unknown option --bogus/],
      [['mcp', '--owner', ''], /--owner needs a non-empty label/],
      [['mcp', '--owner', 'bad\u0007bell'], /control character/],
      [['mcp', '--owner', 'x'.repeat(201)], /at most 200 characters/],
    ] as const) {
      const r = await runCli(root, ['--json', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(singleCliError(r).message).toMatch(message);
    }
  });
});

describe('lockstep mcp: tools', () => {
  it('lists every tool with a description and a strict JSON schema built from the contract', async () => {
    const mcp = await connectMcp(makeTempDir());
    expect(mcp.client.getServerVersion()).toMatchObject({ name: 'lockstep' });
    expect(mcp.client.getServerCapabilities()).toMatchObject({ tools: {}, resources: { subscribe: true } });
    // The protocol an agent should follow comes with the handshake.
    expect(mcp.client.getInstructions()).toMatch(/acquire_lock[\s\S]*get_task[\s\S]*update_task[\s\S]*release_lock/);

    const { tools } = await mcp.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOL_NAMES);
    for (const tool of tools) {
      expect(tool.description!.length, tool.name).toBeGreaterThan(60);
      expect(tool.inputSchema.type).toBe('object');
      expect((tool.inputSchema as JsonSchema).additionalProperties, tool.name).toBe(false);
    }
    const byName = new Map(tools.map((t) => [t.name, t.inputSchema as JsonSchema]));
    const update = byName.get('update_task')!;
    expect(update.required!.sort()).toEqual(['changes', 'task_id']);
    expect(update.properties!.task_id!.pattern).toBe(TASK_ID_PATTERN.source);
    expect(update.properties!.changes!.type).toBe('object');
    expect(update.properties!.expected_version).toMatchObject({ type: 'integer', minimum: 0 });
    expect(Object.keys(update.properties!).sort()).toEqual(['changes', 'expected_version', 'lock', 'session', 'task_id', 'timeout_ms']);
    expect(byName.get('acquire_lock')!.properties!.mode!.enum).toEqual(['read', 'write']);
    expect(byName.get('restore_checkpoint')!.properties!.dry_run!.type).toBe('boolean');
    expect(tools.find((t) => t.name === 'get_task')!.annotations).toMatchObject({ readOnlyHint: true });
    expect(tools.find((t) => t.name === 'restore_checkpoint')!.annotations).toMatchObject({ destructiveHint: true });
  });

  it('reads and writes tasks, sessions and checkpoints as the owner named in the handshake', async () => {
    const root = makeTempDir();
    const mcp = await connectMcp(root, { name: 'claude-code' });
    const session = await mcp.ok<{ id: string }>('create_session', { options: { branch: 'feature/x' } });
    const v1 = await mcp.ok<{ version: number; updated_by: { owner: string } }>('update_task', {
      task_id: 'a',
      changes: { status: 'in_progress', progress: 10 },
      expected_version: 0,
      session: session.id,
    });
    expect(v1).toMatchObject({ version: 1, status: 'in_progress', session_id: session.id, updated_by: { owner: 'claude-code' } });
    const cp = await mcp.ok<{ id: string }>('create_checkpoint', { session_id: session.id, reason: 'before refactor' });
    await mcp.ok('update_task', { task_id: 'a', changes: { status: 'review' }, expected_version: 1 });

    // What an agent wrote is what the CLI reads.
    expect((await runCli(root, ['--json', 'task', 'get', 'a'])).json).toMatchObject({ version: 2, status: 'review', progress: 10 });
    expect(await mcp.ok('get_task', { task_id: 'a' })).toMatchObject({ version: 2, status: 'review' });
    expect(await mcp.ok('list_tasks', { status: 'review' })).toMatchObject({ tasks: [{ task_id: 'a' }], total: 1 });
    expect(await mcp.ok('list_tasks', { status: 'done' })).toEqual({ tasks: [], total: 0, offset: 0 });
    for (const id of ['c', 'b']) await mcp.ok('update_task', { task_id: id, changes: {} });
    const page = await mcp.ok<{ tasks: { task_id: string }[]; total: number }>('list_tasks', { limit: 2, offset: 1 });
    expect({ ids: page.tasks.map((t) => t.task_id), total: page.total }).toEqual({ ids: ['b', 'c'], total: 3 });
    const history = await mcp.ok<{ versions: { version: number }[]; omitted: number }>('task_history', { task_id: 'a', limit: 1 });
    expect(history.versions.map((v) => v.version)).toEqual([2]);
    expect(history.omitted).toBe(1);

    const preview = await mcp.ok<{ items: { task_id: string; unchanged: boolean }[] }>('restore_checkpoint', {
      checkpoint_id: cp.id,
      dry_run: true,
    });
    expect(preview.items).toMatchObject([{ task_id: 'a', unchanged: false }]);
    expect((await runCli(root, ['--json', 'task', 'get', 'a'])).json).toMatchObject({ version: 2 }); // a dry run writes nothing
    const restored = await mcp.ok<{ changed: string[]; undo_checkpoint_id: string }>('restore_checkpoint', { checkpoint_id: cp.id });
    expect(restored.changed).toContain('a');
    expect(await mcp.ok('get_task', { task_id: 'a' })).toMatchObject({ version: 3, status: 'in_progress' });
    expect(await mcp.ok('restore_task_version', { task_id: 'a', version: 2 })).toMatchObject({ version: 4, status: 'review' });
    expect(await mcp.ok('update_session', { session_id: session.id, changes: { status: 'completed' } })).toMatchObject({
      id: session.id,
      status: 'completed',
    });
    expect(await mcp.ok('verify')).toEqual({ issues: [] });
    expect(await mcp.ok('verify', { task_id: 'a' })).toEqual({ issues: [] });

    const audit = (await runCli(root, ['--json', 'log', '--task', 'a'])).json as { owner?: string; actor?: { owner?: string } }[];
    expect(JSON.stringify(audit)).toContain('claude-code');
  });

  it('a stale expected_version is a VERSION_CONFLICT tool error naming both versions, and writes nothing', async () => {
    const root = makeTempDir();
    const mcp = await connectMcp(root);
    await mcp.ok('update_task', { task_id: 't', changes: { status: 'todo' } });
    // Another writer (the CLI) moves the task on.
    expect((await runCli(root, ['task', 'update', 't', '{"status":"taken"}'])).code).toBe(0);

    const stale = await mcp.call('update_task', { task_id: 't', changes: { status: 'mine' }, expected_version: 1 });
    expect(stale.isError).toBe(true);
    expect(stale.error).toMatchObject({ code: 'VERSION_CONFLICT', details: { expected_version: 1, actual_version: 2 } });
    expect(await mcp.ok('get_task', { task_id: 't' })).toMatchObject({ version: 2, status: 'taken' });

    const missing = await mcp.call('get_task', { task_id: 'nope' });
    expect(missing).toMatchObject({ isError: true, error: { code: 'NOT_FOUND' } });
    expect(await mcp.call('task_history', { task_id: 'nope' })).toMatchObject({ isError: true, error: { code: 'NOT_FOUND' } });
    expect(await mcp.call('update_session', { session_id: '2020-01-01-001', changes: {} })).toMatchObject({
      isError: true,
      error: { code: 'NOT_FOUND' },
    });
    expect(await mcp.call('release_lock', { handle: 'lock-0000' })).toMatchObject({ isError: true, error: { code: 'NOT_FOUND' } });
  });
});
