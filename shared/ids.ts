// Id grammar shared by the engine (which enforces it on disk paths) and the
// renderer (which validates user input before sending it).

export const TASK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const SESSION_ID_PATTERN = /^\d{4}-\d{2}-\d{2}-\d{3,}$/;
export const CHECKPOINT_ID_PATTERN = /^\d{4}-\d{2}-\d{2}-\d{6}(-\d+)?$/;

export function isTaskId(id: unknown): id is string {
  return typeof id === 'string' && TASK_ID_PATTERN.test(id);
}
export function isSessionId(id: unknown): id is string {
  // Sessions migrated from the legacy file may carry any safe id.
  return typeof id === 'string' && (SESSION_ID_PATTERN.test(id) || TASK_ID_PATTERN.test(id));
}
export function isCheckpointId(id: unknown): id is string {
  return typeof id === 'string' && (CHECKPOINT_ID_PATTERN.test(id) || TASK_ID_PATTERN.test(id));
}
