// An agent process for the crash tests: connects to `lockstep mcp` with the
// SDK client (named argv[3]), takes the write lock on argv[4], prints
// `{"held": …, "server_pid": …}` and waits to be killed.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

const [bin, root, name, taskId] = process.argv.slice(2) as [string, string, string, string];
const transport = new StdioClientTransport({
  command: process.execPath,
  args: [bin, '--root', root, 'mcp'],
  env: { ...process.env, LOCKSTEP_ROOT: '' } as Record<string, string>,
  stderr: 'inherit',
});
const client = new Client({ name, version: '1.0.0' });
await client.connect(transport);
const result = (await client.callTool({ name: 'acquire_lock', arguments: { task_id: taskId, mode: 'write' } })) as CallToolResult;
const text = result.content[0]?.type === 'text' ? result.content[0].text : '';
process.stdout.write(
  `${JSON.stringify({ held: JSON.parse(text) as unknown, server_pid: transport.pid, is_error: result.isError === true })}\n`,
);
setInterval(() => {}, 1 << 30);
