import type { ErrorCode, SerializedError } from '../../shared/errors.ts';

/** Base class: every error the engine throws on purpose has a stable `code`. */
export class LockstepError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
  toJSON(): SerializedError {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/**
 * The base for an error that is only its code: `new NotFoundError(message, details)`.
 * Each is still its own class, so `instanceof` and `name` tell them apart.
 */
function withCode(code: ErrorCode) {
  return class extends LockstepError {
    constructor(message: string, details: Record<string, unknown> = {}) {
      super(code, message, details);
    }
  };
}

export class NotFoundError extends withCode('NOT_FOUND') {}

export class InvalidInputError extends withCode('INVALID_INPUT') {}

export class VersionConflictError extends LockstepError {
  readonly expectedVersion: number | null;
  readonly actualVersion: number | null;
  constructor(message: string, expectedVersion: number | null, actualVersion: number | null, details: Record<string, unknown> = {}) {
    super('VERSION_CONFLICT', message, { ...details, expected_version: expectedVersion, actual_version: actualVersion });
    this.expectedVersion = expectedVersion;
    this.actualVersion = actualVersion;
  }
}

export class LockTimeoutError extends withCode('LOCK_TIMEOUT') {}

export class CorruptStateError extends withCode('CORRUPT_STATE') {}

/** A filesystem failure (permission denied, disk full…); the message names the path. */
export class StateIOError extends withCode('IO_ERROR') {}

/** The etcd cluster did not answer within the deadline; the message names the endpoints. */
export class ClusterUnavailableError extends withCode('UNAVAILABLE') {}

/** A checkpoint restore that stopped part-way; running it again is safe. */
export class PartialRestoreError extends LockstepError {
  readonly restored: string[];
  constructor(message: string, restored: string[], details: Record<string, unknown> = {}) {
    super('PARTIAL_RESTORE', message, { ...details, restored });
    this.restored = restored;
  }
}

const IO_CODES: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only filesystem',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EMFILE: 'too many open files',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EIO: 'I/O error',
};

/** Turns a Node fs error into a StateIOError that names the path; passes everything else through. */
export function asStateError(err: unknown, fallbackPath?: string): unknown {
  if (err instanceof LockstepError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && e.code in IO_CODES) {
    const path = e.path ?? fallbackPath ?? '(unknown path)';
    return new StateIOError(`${IO_CODES[e.code]}: ${path} (${e.code}${e.syscall ? ` in ${e.syscall}` : ''})`, {
      path,
      errno: e.code,
    });
  }
  return err;
}
