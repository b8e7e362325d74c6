// Resources and subscriptions: a subscribed client hears about changes
// written by other processes (the CLI), through the store's change feed.
import { afterEach, describe, expect, it } from 'vitest';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { killChildren, makeTempDir, removeTempDirs, runCli, sleep, spawnCli } from '../helpers.ts';
import { closeMcpSessions, connectMcp, type McpSession } from './mcp-client.ts';

afterEach(async () => {
  await closeMcpSessions();
  await killChildren();
  removeTempDirs();
});

/** Every resources/updated notification the client receives, in order, and a way to wait for one. */
function updates(mcp: McpSession): { uris: string[]; next(uri: string, ms?: number): Promise<void> } {
  const uris: string[] = [];
  const waiters: { uri: string; resolve: () => void }[] = [];
  mcp.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    uris.push(n.params.uri);
    for (const w of waiters.filter((w) => w.uri === n.params.uri)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  return {
    uris,
    next(uri, ms = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no update for ${uri} within ${ms} ms; got ${JSON.stringify(uris)}`)), ms);
        waiters.push({ uri, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
  };
}

describe('lockstep mcp: resources', () => {
  it('lists and reads tasks and the lock table as resources', async () => {
    const root = makeTempDir();
    await runCli(root, ['task', 'update', 'alpha', '{"status":"todo"}']);
    const mcp = await connectMcp(root);
    const { resources } = await mcp.client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(['lockstep://locks', 'lockstep://tasks/alpha']);
    const { resourceTemplates } = await mcp.client.listResourceTemplates();
    expect(resourceTemplates).toMatchObject([{ uriTemplate: 'lockstep://tasks/{task_id}' }]);
    const read = await mcp.client.readResource({ uri: 'lockstep://tasks/alpha' });
    expect(JSON.parse((read.contents[0] as { text: string }).text)).toMatchObject({ task_id: 'alpha', status: 'todo', version: 1 });
    const locks = await mcp.client.readResource({ uri: 'lockstep://locks' });
    expect(JSON.parse((locks.contents[0] as { text: string }).text)).toEqual({ locks: [], deadlocks: [] });
    await expect(mcp.client.readResource({ uri: 'lockstep://tasks/missing' })).rejects.toThrow(/does not exist/);
  });

  it('a subscribed client is notified of a change written by the CLI, and no longer once unsubscribed', async () => {
    const root = makeTempDir();
    await runCli(root, ['task', 'update', 'watched', '{"status":"todo"}']);
    const mcp = await connectMcp(root);
    const seen = updates(mcp);
    await mcp.client.subscribeResource({ uri: 'lockstep://tasks/watched' });
    await mcp.client.subscribeResource({ uri: 'lockstep://tasks/not-yet' }); // a task that does not exist yet
    await mcp.client.subscribeResource({ uri: 'lockstep://locks' });

    let update = seen.next('lockstep://tasks/watched');
    expect((await runCli(root, ['task', 'update', 'watched', '{"status":"in_progress"}'])).code).toBe(0);
    await update;
    const read = await mcp.client.readResource({ uri: 'lockstep://tasks/watched' });
    expect(JSON.parse((read.contents[0] as { text: string }).text)).toMatchObject({ version: 2, status: 'in_progress' });

    update = seen.next('lockstep://tasks/not-yet');
    await runCli(root, ['task', 'update', 'not-yet', '{"status":"new"}']);
    await update;

    // A lock taken by another process updates the lock table.
    update = seen.next('lockstep://locks');
    const holder = spawnCli(root, ['--json', 'lock', 'acquire', 'watched', '--hold', '60000', '--owner', 'cli-holder']);
    await holder.waitForJson();
    await update;
    const table = await mcp.client.readResource({ uri: 'lockstep://locks' });
    expect(JSON.parse((table.contents[0] as { text: string }).text)).toMatchObject({
      locks: [{ task_id: 'watched', owner: 'cli-holder' }],
    });
    holder.signal('SIGTERM');
    await holder.waitExit();

    // Only subscribed resources are notified: a change to another task sends nothing.
    await runCli(root, ['task', 'update', 'unwatched', '{"status":"x"}']);
    await mcp.client.unsubscribeResource({ uri: 'lockstep://tasks/watched' });
    await sleep(300); // let notifications already on their way arrive
    const before = seen.uris.length;
    await runCli(root, ['task', 'update', 'watched', '{"status":"review"}']);
    update = seen.next('lockstep://tasks/not-yet');
    await runCli(root, ['task', 'update', 'not-yet', '{"status":"later"}']); // still subscribed: proves the feed ran past the change above
    await update;
    const after = seen.uris.slice(before);
    expect(after).not.toContain('lockstep://tasks/watched');
    expect(seen.uris).not.toContain('lockstep://tasks/unwatched');
  });

  it('refuses to subscribe to what is not a resource', async () => {
    const mcp = await connectMcp(makeTempDir());
    for (const uri of [
      'lockstep://tasks/../../etc/passwd',
      'lockstep://tasks/',
      'lockstep://tasks/a/b',
      'file:///etc/passwd',
      'lockstep://sessions/x',
    ]) {
      await expect(mcp.client.subscribeResource({ uri }), uri).rejects.toThrow(/invalid task id|unknown resource/);
      await expect(mcp.client.readResource({ uri }), uri).rejects.toThrow(/invalid task id|unknown resource/);
    }
  });
});
