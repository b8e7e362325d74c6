import { InvalidInputError } from './errors.ts';
import { isPlainObject } from './fsx.ts';
import { readRegularFile } from './safe-files.ts';

export interface StoreConfig {
  /** Earlier versions kept per task, beyond the current one. */
  max_history: number;
  /** Default bound on the whole wait for a lock, retries and back-off included. */
  lock_timeout_ms: number;
  /** Lease length: a lock expires this long after it was taken or last refreshed. */
  lease_ms: number;
  /** Upper bound of the jittered back-off between lock attempts. */
  backoff_max_ms: number;
  /** Largest accepted update payload and largest resulting state, in bytes of JSON. */
  max_state_bytes: number;
  /** fsync each committed version before publishing it. */
  fsync: boolean;
  /** Monitor intervals; 0 disables that job. */
  cleanup_interval_ms: number;
  verify_interval_ms: number;
  checkpoint_interval_ms: number;
  /** Label written into lock records and the audit log. */
  owner: string;
}

export const DEFAULT_CONFIG: StoreConfig = {
  max_history: 10,
  lock_timeout_ms: 5000,
  lease_ms: 10_000,
  backoff_max_ms: 8,
  max_state_bytes: 8 * 1024 * 1024,
  fsync: true,
  cleanup_interval_ms: 30_000,
  verify_interval_ms: 60_000,
  checkpoint_interval_ms: 5 * 60_000,
  owner: '',
};

const SECOND = 1000;
const DAY = 24 * 60 * 60 * SECOND;

/**
 * The accepted range of each numeric key. Values outside them are typos or
 * units mistakes (seconds for ms, bytes for KiB), and some break the engine
 * in ways far from the cause: a lease of 1e16 ms is not a valid date, so no
 * lock could ever be taken.
 */
interface NumberRange {
  min: number;
  max: number;
  integer?: boolean;
  /** 0 is also accepted (a monitor job switched off). */
  zeroDisables?: boolean;
  unit?: string;
}

const RANGES: Record<Exclude<keyof StoreConfig, 'fsync' | 'owner'>, NumberRange> = {
  max_history: { min: 0, max: 1_000_000, integer: true },
  lock_timeout_ms: { min: 0, max: DAY, unit: 'ms' },
  lease_ms: { min: 50, max: DAY, unit: 'ms' },
  backoff_max_ms: { min: 1, max: 10 * SECOND, unit: 'ms' },
  max_state_bytes: { min: 1024, max: 1024 ** 3, integer: true, unit: 'bytes' },
  cleanup_interval_ms: { min: 100, max: DAY, zeroDisables: true, unit: 'ms' },
  verify_interval_ms: { min: 100, max: DAY, zeroDisables: true, unit: 'ms' },
  checkpoint_interval_ms: { min: 100, max: DAY, zeroDisables: true, unit: 'ms' },
};

const OWNER_MAX_CHARS = 200;
// C0 and C1 control characters: an owner label is printed in tables and log lines.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

function checkNumber(source: string, key: string, value: unknown, range: NumberRange): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!range.integer || Number.isInteger(value)) &&
    ((value >= range.min && value <= range.max) || (range.zeroDisables === true && value === 0));
  if (ok) return value;
  const kind = range.integer ? 'an integer' : 'a number';
  const span = `between ${range.min} and ${range.max}${range.unit ? ` (${range.unit})` : ''}`;
  throw new InvalidInputError(
    `${source}: ${key} must be ${kind} ${range.zeroDisables ? `0 (off) or ${span}` : span}, got ${JSON.stringify(value) ?? String(value)}`,
    { key, value: typeof value === 'number' ? value : String(value), min: range.min, max: range.max },
  );
}

function checkOwner(source: string, value: unknown): string {
  if (typeof value !== 'string')
    throw new InvalidInputError(`${source}: owner must be a string, got ${JSON.stringify(value)}`, { key: 'owner' });
  if (value.length > OWNER_MAX_CHARS) {
    throw new InvalidInputError(`${source}: owner must be at most ${OWNER_MAX_CHARS} characters, got ${value.length}`, { key: 'owner' });
  }
  if (CONTROL_CHARS.test(value)) {
    throw new InvalidInputError(`${source}: owner must not contain a control character, got ${JSON.stringify(value)}`, { key: 'owner' });
  }
  return value;
}

/** Validates a partial config; unknown keys are refused so typos do not go unnoticed. */
export function parseConfig(input: unknown, source: string): Partial<StoreConfig> {
  if (input === undefined) return {};
  if (!isPlainObject(input)) throw new InvalidInputError(`${source}: config must be a JSON object`);
  const out: Partial<StoreConfig> = {};
  for (const [key, value] of Object.entries(input)) {
    if (Object.hasOwn(RANGES, key)) {
      const range = RANGES[key as keyof typeof RANGES];
      out[key as keyof typeof RANGES] = checkNumber(source, key, value, range);
    } else if (key === 'fsync') {
      if (typeof value !== 'boolean')
        throw new InvalidInputError(`${source}: fsync must be true or false, got ${JSON.stringify(value)}`, { key });
      out.fsync = value;
    } else if (key === 'owner') {
      out.owner = checkOwner(source, value);
    } else {
      throw new InvalidInputError(`${source}: unknown config key "${key}"`, { key });
    }
  }
  return out;
}

/**
 * config.json (if present) overlaid by explicit options. config.json must be
 * a regular file: a symlink is refused, not followed (see safe-files.ts).
 */
export function loadConfig(configFile: string, overrides: Partial<StoreConfig>): StoreConfig {
  const text = readRegularFile(configFile);
  let fromFile: Partial<StoreConfig> = {};
  if (text !== null) {
    const parsed = parseJsonText(text);
    if (!parsed.ok) throw new InvalidInputError(`${configFile}: ${parsed.reason}`, { path: configFile });
    fromFile = parseConfig(parsed.value, configFile);
  }
  const fromOptions = parseConfig(stripUndefined(overrides), 'options');
  return { ...DEFAULT_CONFIG, ...fromFile, ...fromOptions };
}

function parseJsonText(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  if (text.trim() === '') return { ok: false, reason: 'empty file' };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, reason: `malformed JSON (${(err as Error).message})` };
  }
}

function stripUndefined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
