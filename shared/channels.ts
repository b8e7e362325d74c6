// The IPC channel names, one map for main, preload and renderer (as Electron
// Fiddle does). Plain constants: the sandboxed preload imports only this.

/** Request methods of the domain API → their IPC channel. */
export const REQUEST_CHANNELS = {
  /** The renderer is ready for data: the host pushes a `reset`, then every `patch` after it. */
  ready: 'lockstep:ready',
  getTask: 'lockstep:task.get',
  restoreTaskVersion: 'lockstep:task.restore-version',
  recoverTask: 'lockstep:task.recover',
  breakLock: 'lockstep:lock.break',
  getContention: 'lockstep:lock.contention',
  getLockEvents: 'lockstep:lock.events',
  createCheckpoint: 'lockstep:checkpoint.create',
  previewRestore: 'lockstep:checkpoint.preview',
  restoreCheckpoint: 'lockstep:checkpoint.restore',
  getActivity: 'lockstep:activity.get',
  runVerify: 'lockstep:verify.run',
  migrateLegacy: 'lockstep:root.migrate',
  startDemo: 'lockstep:demo.start',
} as const;

export type RequestMethod = keyof typeof REQUEST_CHANNELS;

/** Events main pushes to the renderer → their IPC channel. */
export const EVENT_CHANNELS = {
  /** A full snapshot: the answer to `ready`, and after a root change or a failed refresh. */
  reset: 'lockstep:event.reset',
  /** Coalesced changes since the last patch. */
  patch: 'lockstep:event.patch',
  /** Progress of a checkpoint restore. */
  restoreProgress: 'lockstep:event.restore-progress',
} as const;

export type EventName = keyof typeof EVENT_CHANNELS;
