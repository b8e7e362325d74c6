// How tool outcomes reach the agent. A result is its JSON as text; an error
// is an MCP tool error (isError: true) whose text is Lockstep's own error
// object, {"error": {code, message, details}}, so an agent can tell a version
// conflict (re-read, decide again) from a lock time-out (wait or give up)
// from bad input (fix the call).
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ErrorCode, SerializedError } from '../../shared/errors.ts';
import { LockstepError } from '../engine/public.ts';

export function toolResult(value: unknown): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value) }] };
}

export function toolError(error: SerializedError): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify({ error }) }], isError: true };
}

/**
 * The error an agent sees for anything a tool threw. Lockstep's errors keep
 * their code; anything else is a bug on our side, reported as INTERNAL (and
 * logged) without a stack trace.
 */
export function serializeError(err: unknown, log: (line: string) => void): SerializedError {
  if (err instanceof LockstepError) return err.toJSON();
  log(`internal error: ${(err as Error)?.stack ?? String(err)}`);
  return { code: 'INTERNAL' satisfies ErrorCode, message: (err as Error)?.message ?? String(err) };
}
