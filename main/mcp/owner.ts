// Who the locks belong to. By default the MCP client's own name from the
// handshake (clientInfo.name, e.g. "claude-code"), so the dashboard and
// `lockstep locks` show which agent holds what.
import { InvalidInputError } from '../engine/public.ts';

/** The engine's limits on an owner label: it is printed in tables and log lines. */
const OWNER_MAX_CHARS = 200;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/g;

/** Used when a client sends no usable name. */
export const UNNAMED_CLIENT = 'mcp-client';

/** A client's name as an owner label: control characters dropped, cut to the engine's limit. */
export function clientOwner(name: unknown): string {
  if (typeof name !== 'string') return UNNAMED_CLIENT;
  const clean = name.replace(CONTROL_CHARS, '').trim().slice(0, OWNER_MAX_CHARS);
  return clean === '' ? UNNAMED_CLIENT : clean;
}

/** `--owner LABEL`, refused (exit 2) rather than altered: the user typed it. */
export function checkOwnerFlag(label: string): string {
  if (label.trim() === '') throw new InvalidInputError('--owner needs a non-empty label');
  if (label.length > OWNER_MAX_CHARS)
    throw new InvalidInputError(`--owner must be at most ${OWNER_MAX_CHARS} characters, got ${label.length}`);
  if (new RegExp(CONTROL_CHARS.source).test(label))
    throw new InvalidInputError(`--owner must not contain a control character, got ${JSON.stringify(label)}`);
  return label;
}
