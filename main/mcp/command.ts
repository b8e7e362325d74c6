// `lockstep mcp [--owner LABEL]`: a Model Context Protocol server on
// stdin/stdout for one agent, over the store the global options name
// (--root, --etcd). It runs until the client closes stdin (or sends
// SIGINT/SIGTERM), then releases every lock the client still holds.
import type { StateStore } from '../engine/public.ts';
import type { Flags } from '../cli/args.ts';
import { LockstepMcpServer } from './server.ts';
import { checkOwnerFlag } from './owner.ts';
import { LineTransport } from './stdio-transport.ts';

/** Envelope allowed around a payload of max_state_bytes (JSON-RPC framing, escaping). */
const ENVELOPE_BYTES = 1024 * 1024;

export async function mcpCommand(store: StateStore, flags: Flags, version: string): Promise<number> {
  const ownerFlag = flags.string('owner');
  flags.assertAllUsed();
  const owner = ownerFlag === undefined ? undefined : checkOwnerFlag(ownerFlag);
  const log = (line: string) => process.stderr.write(`lockstep mcp: ${line.replace(/\s*\n\s*/g, ' ')}\n`);

  const server = new LockstepMcpServer(store, { owner, version, log });
  // A payload may be as big as the store accepts, escaped: twice that plus the envelope is the most a sane call needs.
  const transport = new LineTransport(process.stdin, process.stdout, store.config.max_state_bytes * 2 + ENVELOPE_BYTES);
  const disconnected = new Promise<string>((resolve) => {
    server.server.onclose = () => resolve('the client closed the connection');
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  await server.connect(transport);
  const why = await disconnected;
  const released = await server.shutdown();
  if (released > 0) log(`${why}: released ${released} lock(s) held by ${server.owner}`);
  await transport.close();
  return 0;
}
