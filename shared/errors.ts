// Error codes cross process boundaries (CLI exit codes, IPC responses), so
// they are defined once here; the engine's error classes carry them.

export const ERROR_CODES = [
  'NOT_FOUND',
  'INVALID_INPUT',
  'VERSION_CONFLICT',
  'LOCK_TIMEOUT',
  'CORRUPT_STATE',
  'IO_ERROR',
  'PARTIAL_RESTORE',
  'UNAVAILABLE',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** CLI exit code for each error code (the CLI contract in the README). */
export const EXIT_CODES: Record<ErrorCode, number> = {
  NOT_FOUND: 1,
  INVALID_INPUT: 2,
  VERSION_CONFLICT: 3,
  LOCK_TIMEOUT: 4,
  CORRUPT_STATE: 5,
  IO_ERROR: 6,
  PARTIAL_RESTORE: 7,
  /** The etcd cluster could not be reached; like IO_ERROR, the store itself failed. */
  UNAVAILABLE: 6,
  INTERNAL: 70,
};

/** How an error travels over IPC: never a raw Error object. */
export interface SerializedError {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}
