import { InvalidInputError } from './errors.ts';
import { isPlainObject, readJsonFile } from './fsx.ts';

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

const NUMERIC_KEYS = [
  'max_history',
  'lock_timeout_ms',
  'lease_ms',
  'backoff_max_ms',
  'max_state_bytes',
  'cleanup_interval_ms',
  'verify_interval_ms',
  'checkpoint_interval_ms',
] as const;

/** Validates a partial config; unknown keys are refused so typos do not go unnoticed. */
export function parseConfig(input: unknown, source: string): Partial<StoreConfig> {
  if (input === undefined) return {};
  if (!isPlainObject(input)) throw new InvalidInputError(`${source}: config must be a JSON object`);
  const out: Partial<StoreConfig> = {};
  for (const [key, value] of Object.entries(input)) {
    if ((NUMERIC_KEYS as readonly string[]).includes(key)) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw new InvalidInputError(`${source}: ${key} must be a non-negative number, got ${JSON.stringify(value)}`);
      }
      (out as Record<string, number>)[key] = value;
    } else if (key === 'fsync') {
      if (typeof value !== 'boolean') throw new InvalidInputError(`${source}: fsync must be true or false`);
      out.fsync = value;
    } else if (key === 'owner') {
      if (typeof value !== 'string') throw new InvalidInputError(`${source}: owner must be a string`);
      out.owner = value;
    } else {
      throw new InvalidInputError(`${source}: unknown config key "${key}"`);
    }
  }
  if (out.lease_ms !== undefined && out.lease_ms < 50) throw new InvalidInputError(`${source}: lease_ms must be at least 50`);
  if (out.max_history !== undefined && !Number.isInteger(out.max_history)) {
    throw new InvalidInputError(`${source}: max_history must be an integer`);
  }
  return out;
}

/** config.json (if present) overlaid by explicit options. */
export function loadConfig(configFile: string, overrides: Partial<StoreConfig>): StoreConfig {
  const file = readJsonFile(configFile);
  if (file.kind === 'corrupt') throw new InvalidInputError(`${configFile}: ${file.reason}`);
  const fromFile = file.kind === 'ok' ? parseConfig(file.value, configFile) : {};
  const fromOptions = parseConfig(stripUndefined(overrides), 'options');
  return { ...DEFAULT_CONFIG, ...fromFile, ...fromOptions };
}

function stripUndefined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
