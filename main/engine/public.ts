// What the host (dashboard, serve) and the CLI may use of the engine: the
// library API plus the few helpers they need to read logs, name the layout
// and watch it. Lint keeps them from importing anything else in main/engine.
export * from './index.ts';
export { logFiles, parseJsonLines } from './audit-log.ts';
export { sleep } from './fsx.ts';
export { assertTaskId } from './paths.ts';
export { TEMP_PREFIX, type LayoutChange } from './layout.ts';
export type { WatchFactory, WatchSource } from './feed/state-watcher.ts';
export { transferState, type TransferItem, type TransferOutcome, type TransferReport } from './transfer.ts';
