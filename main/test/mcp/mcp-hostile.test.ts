// Hostile input to `lockstep mcp`: bad ids (path traversal included), huge
// payloads, unknown tools, wrong types, and malformed JSON-RPC written raw
// to its stdin. Each gets an error; the server keeps serving and writes
// nothing it should not.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killChildren, listTree, makeTempDir, removeTempDirs, runCli, spawnCli, tryJson } from '../helpers.ts';
import { MAX_HELD_LOCKS } from '../../mcp/lock-handles.ts';
import { MAX_SUBSCRIPTIONS } from '../../mcp/resources.ts';
import { closeMcpSessions, connectMcp, serverExit } from './mcp-client.ts';

afterEach(async () => {
  await closeMcpSessions();
  await killChildren();
  removeTempDirs();
});

const BAD_IDS = [
  '../escape',
  '..',
  '.hidden',
  'a/b',
  'a\\b',
  '',
  ' ',
  'x'.repeat(129),
  'tab\there',
  'nul\u0000',
  'é',
  '%2e%2e',
  '-leading',
];

describe('lockstep mcp: hostile input', () => {
  it('refuses bad ids, wrong types, unknown keys and tools with INVALID_INPUT, and writes nothing', async () => {
    const root = makeTempDir();
    const parentBefore = readdirSync(dirname(root)).filter((n) => n.includes('escape'));
    const mcp = await connectMcp(root);
    for (const id of BAD_IDS) {
      for (const [tool, args] of [
        ['get_task', { task_id: id }],
        ['update_task', { task_id: id, changes: { pwned: true } }],
        ['acquire_lock', { task_id: id }],
        ['task_history', { task_id: id }],
        ['restore_task_version', { task_id: id, version: 1 }],
        ['verify', { task_id: id }],
      ] as const) {
        const outcome = await mcp.call(tool, args);
        expect(outcome, `${tool} ${JSON.stringify(id)}`).toMatchObject({ isError: true, error: { code: 'INVALID_INPUT' } });
      }
    }
    for (const sid of ['../../etc', 'a/b', '']) {
      expect(await mcp.call('update_session', { session_id: sid, changes: {} })).toMatchObject({
        isError: true,
        error: { code: 'INVALID_INPUT' },
      });
      expect(await mcp.call('create_checkpoint', { session_id: sid })).toMatchObject({ isError: true, error: { code: 'INVALID_INPUT' } });
      expect(await mcp.call('restore_checkpoint', { checkpoint_id: sid })).toMatchObject({
        isError: true,
        error: { code: 'INVALID_INPUT' },
      });
    }
    const wrong: [string, Record<string, unknown>, RegExp][] = [
      ['update_task', { task_id: 'a', changes: 'not an object' }, /changes/],
      ['update_task', { task_id: 'a', changes: [1, 2] }, /changes/],
      ['update_task', { task_id: 'a', changes: {}, expected_version: -1 }, /expected_version/],
      ['update_task', { task_id: 'a', changes: {}, expected_version: 1.5 }, /expected_version/],
      ['update_task', { task_id: 'a', changes: {}, expectedVersion: 3 }, /expectedVersion/], // a typo is refused, not ignored
      ['acquire_lock', { task_id: 'a', mode: 'exclusive' }, /mode/],
      ['acquire_lock', { task_id: 'a', timeout_ms: 10_000_000 }, /timeout_ms/],
      ['get_task', {}, /task_id/],
      ['release_lock', { handle: 'h'.repeat(1000) }, /handle/],
    ];
    for (const [tool, args, mentions] of wrong) {
      const outcome = await mcp.call(tool, args);
      expect(outcome, `${tool} ${JSON.stringify(args)}`).toMatchObject({ isError: true, error: { code: 'INVALID_INPUT' } });
      expect(outcome.error.message).toMatch(mentions);
    }
    const unknown = await mcp.call('drop_all_tables', {});
    expect(unknown).toMatchObject({ isError: true, error: { code: 'INVALID_INPUT' } });
    expect(unknown.error.message).toContain('update_task'); // names the tools that exist

    expect(listTree(root).filter((p) => p.startsWith('tasks/task-'))).toEqual([]);
    expect(readdirSync(dirname(root)).filter((n) => n.includes('escape'))).toEqual(parentBefore);
    expect(existsSync(join(root, '..', 'escape'))).toBe(false);
    expect(await mcp.ok('list_tasks')).toMatchObject({ tasks: [], total: 0 });
  });

  it('refuses a payload over max_state_bytes and keeps the task as it was', async () => {
    const root = makeTempDir();
    const mcp = await connectMcp(root);
    await mcp.ok('update_task', { task_id: 'big', changes: { status: 'small' } });
    const huge = await mcp.call('update_task', { task_id: 'big', changes: { blob: 'x'.repeat(9 * 1024 * 1024) } });
    expect(huge).toMatchObject({ isError: true, error: { code: 'INVALID_INPUT' } });
    expect(huge.error.message).toMatch(/bytes/);
    expect(await mcp.ok('get_task', { task_id: 'big' })).toMatchObject({ version: 1, status: 'small' });
    const many = await mcp.call('create_session', {
      options: Object.fromEntries(Array.from({ length: 300_000 }, (_, i) => [`k${i}`, 'vvvvvvvvvvvvvvvvvvvvvvvv'])),
    });
    expect(many).toMatchObject({ isError: true, error: { code: 'INVALID_INPUT' } });
  });

  it('refuses subscriptions past the limit, and keeps the ones it has', async () => {
    const root = makeTempDir();
    const mcp = await connectMcp(root);
    const uris = Array.from({ length: MAX_SUBSCRIPTIONS }, (_, i) => `lockstep://tasks/t${i}`);
    for (let i = 0; i < uris.length; i += 10) await Promise.all(uris.slice(i, i + 10).map((uri) => mcp.client.subscribeResource({ uri })));
    await expect(mcp.client.subscribeResource({ uri: 'lockstep://tasks/one-too-many' })).rejects.toThrow(/10000 subscriptions/);
    await mcp.client.subscribeResource({ uri: uris[0]! }); // again: not a new one
    await mcp.client.unsubscribeResource({ uri: uris[1]! });
    await mcp.client.subscribeResource({ uri: 'lockstep://tasks/one-too-many' });
    expect(await mcp.ok('list_tasks')).toMatchObject({ tasks: [], total: 0 });
  });

  it('refuses locks past the per-connection limit, and releases all of them on disconnect', async () => {
    const root = makeTempDir();
    const mcp = await connectMcp(root, { name: 'hoarder' });
    const handles: string[] = [];
    for (let i = 0; i < MAX_HELD_LOCKS; i += 16) {
      const batch = await Promise.all(
        Array.from({ length: 16 }, (_, j) => mcp.ok<{ handle: string }>('acquire_lock', { task_id: `h${i + j}`, mode: 'read' })),
      );
      handles.push(...batch.map((b) => b.handle));
    }
    expect(await mcp.call('acquire_lock', { task_id: 'one-more' })).toMatchObject({ isError: true, error: { code: 'INVALID_INPUT' } });
    await mcp.ok('release_lock', { handle: handles.pop()! });
    await mcp.ok('acquire_lock', { task_id: 'one-more' });
    expect(((await runCli(root, ['--json', 'locks'])).json as unknown[]).length).toBe(MAX_HELD_LOCKS);
    const pid = mcp.pid;
    await mcp.close();
    await serverExit(pid);
    expect(mcp.stderr()).toContain(`released ${MAX_HELD_LOCKS} lock(s) held by hoarder`);
    expect((await runCli(root, ['--json', 'locks'])).json).toEqual([]);
  });

  it("sanitizes a client name with control characters before it becomes a lock's owner", async () => {
    const root = makeTempDir();
    const mcp = await connectMcp(root, { name: 'evil\u001b[31m\nagent\u0007' });
    expect(await mcp.ok('acquire_lock', { task_id: 'n' })).toMatchObject({ owner: 'evil[31magent' });
  });

  it('answers malformed JSON-RPC written raw to stdin with errors, and keeps serving', async () => {
    const root = makeTempDir();
    const server = spawnCli(root, ['mcp']);
    const reply = (id: number) =>
      server.waitForJson<{ id: number; result?: unknown; error?: { code: number; message: string } }>((m) => m.id === id, 30_000);
    server.send(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
      }),
    );
    expect((await reply(1)).result).toMatchObject({ serverInfo: { name: 'lockstep' } });
    server.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));

    const nullIdErrors = () =>
      server.lines
        .map((l) => tryJson(l) as { id?: unknown; error?: { code: number } } | undefined)
        .filter((m) => m?.id === null)
        .map((m) => m!.error!.code);
    const hostileLines = [
      'garbage',
      '{"jsonrpc":"2.0","id":',
      '\u0000\u00ff\u00fe',
      '[]',
      '{"jsonrpc":"2.0","id":{"nested":1},"method":"ping"}',
      `${'['.repeat(200_000)}${']'.repeat(200_000)}`,
      'y'.repeat(20 * 1024 * 1024), // over the line limit (2 × max_state_bytes + 1 MiB)
    ];
    for (const line of hostileLines) server.send(line);
    server.send('{"jsonrpc":"1.0","id":2,"method":"ping"}');
    expect((await reply(2)).error).toMatchObject({ code: -32600 });
    server.send('{"jsonrpc":"2.0","id":3,"method":"no/such/method"}');
    expect((await reply(3)).error).toMatchObject({ code: -32601 });
    server.send('{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":42}}');
    expect((await reply(4)).error).toMatchObject({ code: -32602 });
    server.send('{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"get_task","arguments":"a string"}}');
    expect((await reply(5)).error).toMatchObject({ code: -32602 });
    server.send('{"jsonrpc":"2.0","id":6,"method":"resources/read","params":{"uri":"lockstep://tasks/..%2f..%2fetc"}}');
    expect((await reply(6)).error).toMatchObject({ code: -32602 });
    server.send('{"jsonrpc":"2.0","method":"notifications/bogus","params":{}}'); // a notification: no answer is due
    // Arguments nested 5,000 deep (written as text: serializing them here would overflow this process's stack).
    server.send(
      `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"update_task","arguments":{"task_id":"deep","changes":{"v":${'['.repeat(5_000)}${']'.repeat(5_000)}}}}}`,
    );
    const deep = (await reply(7)).result as { isError?: boolean; content: { text: string }[] };
    // Written, or refused as input the store cannot serialize (it is, on Node 24's default stack): never a crash.
    if (deep.isError) expect(JSON.parse(deep.content[0]!.text)).toMatchObject({ error: { code: 'INVALID_INPUT' } });

    // Every hostile line got exactly one error on id null, in order: parse errors and invalid requests.
    expect(nullIdErrors()).toEqual([-32700, -32700, -32700, -32600, -32600, -32600, -32600]);

    // Still serving: a well-formed call works.
    server.send(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 8,
        method: 'tools/call',
        params: { name: 'update_task', arguments: { task_id: 'after', changes: { ok: true } } },
      }),
    );
    const after = await reply(8);
    expect(JSON.parse((after.result as { content: { text: string }[] }).content[0]!.text)).toMatchObject({
      task_id: 'after',
      version: 1,
      ok: true,
    });
    server.child.stdin!.end();
    expect(await server.waitExit()).toEqual({ code: 0, signal: null });
    expect(server.stderr).not.toMatch(/internal error|Uncaught|TypeError|RangeError/);
  });
});
