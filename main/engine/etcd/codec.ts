// How a task version is stored: `{"op": <operation id>, "state": <TaskState>}`.
// The operation id lets a writer whose Txn was resent after a time-out tell
// its own commit from someone else's (an "ambiguous commit").
import type { IKeyValue } from 'etcd3';
import type { TaskState } from '../../../shared/model.ts';
import { isPlainObject } from '../fsx.ts';

export interface StoredVersion {
  state: TaskState;
  op: string;
  /** The key's mod_revision: what the next commit compares. */
  modRevision: string;
}

export type Decoded = { ok: true; value: StoredVersion } | { ok: false; reason: string };

export function encodeVersion(state: TaskState, op: string): string {
  return JSON.stringify({ op, state });
}

export function decodeVersion(kv: IKeyValue, taskId: string, version?: number): Decoded {
  let parsed: unknown;
  try {
    parsed = JSON.parse(kv.value.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `malformed JSON (${(err as Error).message})` };
  }
  if (!isPlainObject(parsed) || !isPlainObject(parsed.state)) return { ok: false, reason: 'not a stored task version' };
  const state = parsed.state as TaskState;
  if (state.task_id !== taskId) return { ok: false, reason: `task_id is ${JSON.stringify(state.task_id)}, not ${JSON.stringify(taskId)}` };
  if (!Number.isInteger(state.version) || state.version < 1)
    return { ok: false, reason: `invalid version ${JSON.stringify(state.version)}` };
  if (version !== undefined && state.version !== version) return { ok: false, reason: `holds version ${state.version}, not ${version}` };
  if (typeof state.updated_at !== 'string') return { ok: false, reason: 'missing updated_at' };
  return { ok: true, value: { state, op: typeof parsed.op === 'string' ? parsed.op : '', modRevision: kv.mod_revision } };
}

export function historyVersionOf(key: string): number {
  return Number(key.slice(key.lastIndexOf('/') + 1));
}
