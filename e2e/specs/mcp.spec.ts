// An agent connected through `lockstep mcp` (the SDK's own client, as
// Claude Code would connect) holds a lock: the Locks view shows the
// client's name as the owner, and the lock goes when the agent releases it.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { hostname } from 'node:os';
import { CLI, test, expect } from '../fixtures.ts';
import { openLocksWithTask } from './support.ts';

async function callJson(client: Client, name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const first = result.content[0];
  if (result.isError || first?.type !== 'text') throw new Error(`${name}: ${JSON.stringify(result)}`);
  return JSON.parse(first.text) as Record<string, unknown>;
}

test("an MCP client's lock shows the client's name as its owner", async ({ dashboard }) => {
  const page = await openLocksWithTask(dashboard, 'mcp-task');

  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, '--root', dashboard.root, 'mcp'],
    env: { ...process.env, LOCKSTEP_ROOT: '' } as Record<string, string>,
    stderr: 'inherit',
  });
  const client = new Client({ name: 'claude-code', version: '2.0.0' });
  await client.connect(transport);
  try {
    const held = await callJson(client, 'acquire_lock', { task_id: 'mcp-task', mode: 'write' });
    expect(held).toMatchObject({ owner: 'claude-code', pid: transport.pid });

    const row = page.getByRole('table', { name: 'Lock holders' }).locator('tbody tr[data-task-id="mcp-task"]');
    await expect(row).toHaveCount(1);
    await expect(row.locator('td:nth-child(2)')).toHaveText('write');
    await expect(row.locator('td:nth-child(3)')).toHaveText('claude-code');
    await expect(row.locator('td:nth-child(4)')).toHaveText(String(transport.pid));
    await expect(row.locator('td:nth-child(5)')).toHaveText(hostname());
    await expect(row.locator('td:nth-child(6)')).toHaveText('alive');
    await dashboard.screenshot('locks-mcp-client');

    // The commit under the lock is the agent's too.
    await callJson(client, 'update_task', { task_id: 'mcp-task', changes: { status: 'review' }, expected_version: 1, lock: held.handle });
    await callJson(client, 'release_lock', { handle: held.handle });
    await expect(page.getByText('No locks held right now')).toBeVisible();
  } finally {
    await client.close();
  }
});
