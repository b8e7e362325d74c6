// The checkpoint restore flow as a small state machine, kept pure so its
// transitions are tested without a DOM.
import type { RestoreProgress, Responses } from '../../../../shared/contract.ts';
import type { RestoreResult } from '../../../../shared/model.ts';
import type { ApiError } from '../../bridge/api.ts';

export type RestoreFlow =
  | { step: 'loading' }
  | { step: 'preview'; preview: Responses['previewRestore'] }
  | { step: 'running'; preview: Responses['previewRestore']; done: number; total: number; current: string | null }
  | { step: 'done'; result: RestoreResult }
  | { step: 'failed'; error: ApiError; during: 'preview' | 'restore'; preview: Responses['previewRestore'] | null };

export function startRunning(flow: RestoreFlow): RestoreFlow {
  if (flow.step !== 'preview') return flow;
  const changing = flow.preview.items.filter((i) => !i.unchanged).length;
  return { step: 'running', preview: flow.preview, done: 0, total: changing || flow.preview.items.length, current: null };
}

/** Progress events for this checkpoint advance the bar; others are ignored. */
export function onProgress(flow: RestoreFlow, checkpointId: string, event: RestoreProgress): RestoreFlow {
  if (flow.step !== 'running' || event.checkpoint_id !== checkpointId) return flow;
  return { ...flow, done: Math.max(flow.done, event.done), total: event.total, current: event.task_id };
}

export function previewCounts(preview: Responses['previewRestore']): { changing: number; unchanged: number; missing: number } {
  let changing = 0;
  let unchanged = 0;
  let missing = 0;
  for (const item of preview.items) {
    if (item.unchanged) unchanged++;
    else changing++;
    if (item.current_version === null) missing++;
  }
  return { changing, unchanged, missing };
}
