// What the host (dashboard, serve) and the CLI may use of the engine: the
// library API (the StateStore contract and openStateStore, for either
// backend), plus a few helpers. Lint keeps them from importing anything else
// in main/engine, so they work the same on every backend.
export * from './index.ts';
export { sleep } from './fsx.ts';
export { assertTaskId } from './paths.ts';
/** The file backend's watch seam (OpenOptions.watchFactory): tests inject watchers that fail like real ones. */
export type { WatchFactory, WatchSource } from './feed/state-watcher.ts';
export { transferState, type TransferItem, type TransferOutcome, type TransferReport } from './transfer.ts';
