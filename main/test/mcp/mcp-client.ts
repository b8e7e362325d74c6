// Drives a real `lockstep mcp` process with the SDK's own client, as an
// agent would: one process per client, over stdin/stdout.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Readable } from 'node:stream';
import { BIN } from '../helpers.ts';

export interface ToolOutcome<T = Record<string, unknown>> {
  isError: boolean;
  /** The result's JSON (when isError is false). */
  value: T;
  /** Lockstep's error (when isError is true). */
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export interface McpSession {
  client: Client;
  transport: StdioClientTransport;
  /** The server process (`lockstep mcp`). */
  pid: number;
  stderr(): string;
  call<T = Record<string, unknown>>(tool: string, args?: Record<string, unknown>): Promise<ToolOutcome<T>>;
  /** A successful call's value; throws with the error otherwise. */
  ok<T = Record<string, unknown>>(tool: string, args?: Record<string, unknown>): Promise<T>;
  close(): Promise<void>;
}

const sessions = new Set<McpSession>();

/**
 * Start `lockstep --root <root> mcp …` and connect a client named `name` to
 * it. `store` may instead be the global options of another store
 * (`['--etcd', urls, '--namespace', ns]`).
 */
export async function connectMcp(store: string | string[], options: { name?: string; args?: string[] } = {}): Promise<McpSession> {
  const storeArgs = typeof store === 'string' ? ['--root', store] : store;
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, ...storeArgs, 'mcp', ...(options.args ?? [])],
    env: { ...process.env, LOCKSTEP_ROOT: '', LOCKSTEP_ETCD: '' } as Record<string, string>,
    stderr: 'pipe',
  });
  let stderr = '';
  (transport.stderr as Readable | null)?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: options.name ?? 'test-agent', version: '1.0.0' });
  await client.connect(transport);
  const call = async <T>(tool: string, args: Record<string, unknown> = {}): Promise<ToolOutcome<T>> => {
    const result = (await client.callTool({ name: tool, arguments: args }, undefined, { timeout: 120_000 })) as CallToolResult;
    const first = result.content[0];
    if (first?.type !== 'text') throw new Error(`${tool}: expected one text content, got ${JSON.stringify(result)}`);
    const parsed = JSON.parse(first.text) as unknown;
    return result.isError
      ? { isError: true, value: undefined as T, error: (parsed as { error: ToolOutcome['error'] }).error }
      : { isError: false, value: parsed as T, error: undefined as unknown as ToolOutcome['error'] };
  };
  const session: McpSession = {
    client,
    transport,
    pid: transport.pid!,
    stderr: () => stderr,
    call,
    async ok<T>(tool: string, args: Record<string, unknown> = {}) {
      const outcome = await call<T>(tool, args);
      if (outcome.isError) throw new Error(`${tool} failed: ${JSON.stringify(outcome.error)}`);
      return outcome.value;
    },
    async close() {
      sessions.delete(session);
      await client.close();
    },
  };
  sessions.add(session);
  return session;
}

/** Close every client still open (afterEach): their servers see stdin close and exit. */
export async function closeMcpSessions(): Promise<void> {
  await Promise.all([...sessions].map((s) => s.close().catch(() => {})));
}

/** Resolves with the server process's exit code once it has gone (or rejects after `ms`). */
export function serverExit(pid: number, ms = 20_000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      try {
        process.kill(pid, 0);
        if (Date.now() - started > ms) {
          clearInterval(poll);
          reject(new Error(`server pid ${pid} still running after ${ms} ms`));
        }
      } catch {
        clearInterval(poll);
        resolve();
      }
    }, 20);
  });
}
