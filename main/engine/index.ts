// The library entry point: `import { openStateStore } from 'lockstep'`.
export { openStateStore, isEtcdOptions, type StoreOptions, type EtcdOpenOptions } from './open.ts';
export { FileStateStore, type OpenOptions } from './store.ts';
export type {
  StateStore,
  StoreLocation,
  UpdateOptions,
  LockOptions,
  Lock,
  AuditQuery,
  TaskInspection,
  StoreChange,
  FeedCallbacks,
  FeedCursor,
  ChangeFeed,
  LogReader,
  LockEventQuery,
  LockEventRange,
} from './backend.ts';
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
