// The library entry point: `import { openStateStore } from 'lockstep'`.
export { openStateStore, StateStore } from './store.ts';
export type { OpenOptions, UpdateOptions, LockOptions, Lock, AuditQuery } from './store.ts';
export type { StoreConfig } from './config.ts';
export { DEFAULT_CONFIG } from './config.ts';
export type { EngineEvents, EngineEventName } from './events.ts';
export {
  LockstepError,
  NotFoundError,
  InvalidInputError,
  VersionConflictError,
  LockTimeoutError,
  CorruptStateError,
  StateIOError,
  PartialRestoreError,
} from './errors.ts';
export { defaultRoot } from './paths.ts';
export type * from '../../shared/model.ts';
