// A small argv parser: positionals plus --flag value / --flag=value / boolean flags.
import { InvalidInputError } from '../engine/public.ts';

export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string | true>;
}

const BOOLEAN_FLAGS = new Set(['json', 'active', 'follow', 'dry-run', 'help', 'version', 'no-open', 'deadlocks']);

export function parseArgs(argv: string[]): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--') && arg.length > 2) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      if (eq !== -1) flags.set(name, arg.slice(eq + 1));
      else if (BOOLEAN_FLAGS.has(name)) flags.set(name, true);
      else {
        const value = argv[i + 1];
        if (value === undefined) throw new InvalidInputError(`--${name} needs a value`);
        flags.set(name, value);
        i++;
      }
    } else {
      positionals.push(arg);
    }
  }
  return { positionals, flags };
}

export class Flags {
  private readonly flags: Map<string, string | true>;
  private readonly used = new Set<string>(['json', 'root', 'help']);

  constructor(flags: Map<string, string | true>) {
    this.flags = flags;
  }

  string(name: string): string | undefined {
    this.used.add(name);
    const v = this.flags.get(name);
    if (v === true) throw new InvalidInputError(`--${name} needs a value`);
    return v;
  }

  bool(name: string): boolean {
    this.used.add(name);
    return this.flags.get(name) === true || this.flags.get(name) === 'true';
  }

  int(name: string, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    if (!/^-?\d+$/.test(raw)) throw new InvalidInputError(`--${name} must be an integer, got ${JSON.stringify(raw)}`);
    const n = Number(raw);
    if (n < min || n > max) throw new InvalidInputError(`--${name} must be between ${min} and ${max}, got ${n}`);
    return n;
  }

  /** Refuse flags the command does not know, so typos are not silently ignored. */
  assertAllUsed(): void {
    for (const name of this.flags.keys()) {
      if (!this.used.has(name)) throw new InvalidInputError(`unknown option --${name}`);
    }
  }
}

/** Parse a JSON object argument (or stdin when "-"), refusing anything else. */
export function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidInputError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    throw new InvalidInputError(`${what} must be a JSON object, got ${kind}`);
  }
  return value as Record<string, unknown>;
}

export async function readStdin(limitBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) throw new InvalidInputError(`input on stdin exceeds ${limitBytes} bytes (max_state_bytes)`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
