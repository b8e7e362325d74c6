// A checkpoint as lists show it: everything but the session and the task
// states it holds. One mapping for the engine's backends and the host, so a
// summary field is added in one place.
import type { Checkpoint, CheckpointSummary } from './model.ts';

export function summarizeCheckpoint(c: Checkpoint): CheckpointSummary {
  return {
    id: c.id,
    session_id: c.session_id,
    created_at: c.created_at,
    reason: c.reason,
    task_count: Object.keys(c.tasks).length,
    ...(typeof c.undo_of === 'string' ? { undo_of: c.undo_of } : {}),
  };
}
