// Reading task files: validation, roll-forward and finding the newest good
// version. Nothing here writes.
import { existsSync, readdirSync, statSync } from 'node:fs';
import type { IntegrityIssue, IntegrityIssueKind, TaskState } from '../../shared/model.ts';
import { isPlainObject, readJsonFile, readJsonFileAsNamed, type ReadResult } from './fsx.ts';
import { versionFromHistoryName } from './layout.ts';
import type { StateLayout } from './paths.ts';

export type TaskFileCheck = { ok: true; state: TaskState; bytes: number } | { ok: false; reason: string };

/** A valid version: an object with a positive integer version and a parseable updated_at. */
export function checkTaskValue(value: unknown, taskId: string, expectVersion?: number): TaskFileCheck {
  if (!isPlainObject(value)) return { ok: false, reason: 'not a JSON object' };
  const v = value.version;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) return { ok: false, reason: 'missing or invalid "version"' };
  if (typeof value.updated_at !== 'string' || Number.isNaN(Date.parse(value.updated_at))) {
    return { ok: false, reason: 'missing or invalid "updated_at"' };
  }
  if (value.task_id !== undefined && String(value.task_id) !== taskId) {
    return { ok: false, reason: `belongs to task ${JSON.stringify(value.task_id)}` };
  }
  if (expectVersion !== undefined && v !== expectVersion) {
    return { ok: false, reason: `holds version ${v}, expected ${expectVersion}` };
  }
  return { ok: true, state: { ...value, task_id: taskId } as TaskState, bytes: 0 };
}

export function readTaskFile(path: string, taskId: string, expectVersion?: number): TaskFileCheck | null {
  return checkTaskFile(readJsonFile(path), taskId, expectVersion);
}

/**
 * history/v<version>.json, or null when it is not there, including when it was
 * pruned while being read (its inode may be recycled: fsx.readJsonFileAsNamed).
 */
export function readHistoryVersion(layout: StateLayout, taskId: string, version: number): TaskFileCheck | null {
  return checkTaskFile(readJsonFileAsNamed(layout.historyFile(taskId, version)), taskId, version);
}

function checkTaskFile(file: ReadResult, taskId: string, expectVersion?: number): TaskFileCheck | null {
  if (file.kind === 'missing') return null;
  if (file.kind === 'corrupt') return { ok: false, reason: file.reason };
  const check = checkTaskValue(file.value, taskId, expectVersion);
  return check.ok ? { ...check, bytes: file.raw.length } : check;
}

/** Version numbers present in history/, newest first. */
export function historyVersions(layout: StateLayout, taskId: string): number[] {
  let names: string[];
  try {
    names = readdirSync(layout.historyDir(taskId));
  } catch {
    return [];
  }
  const versions: number[] = [];
  for (const name of names) {
    const version = versionFromHistoryName(name);
    if (version !== null) versions.push(version);
  }
  return versions.sort((a, b) => b - a);
}

/** The newest history version that parses and validates. */
export function newestValidHistory(layout: StateLayout, taskId: string): TaskState | null {
  for (const v of historyVersions(layout, taskId)) {
    const check = readHistoryVersion(layout, taskId, v);
    if (check?.ok) return check.state;
  }
  return null;
}

/**
 * A committed version is linked into history before it is renamed over
 * state.json. If history/v<N+1> exists beside a state.json at N, that commit
 * happened (or is finishing right now): follow it.
 */
export function rollForward(layout: StateLayout, taskId: string, state: TaskState): TaskState {
  let current = state;
  for (;;) {
    if (!existsSync(layout.historyFile(taskId, current.version + 1))) return current;
    const check = readHistoryVersion(layout, taskId, current.version + 1);
    if (!check?.ok) return current;
    current = check.state;
  }
}

/** Why state.json cannot be used as it is; also the kind of integrity issue reported for it. */
export type DamageCause = Extract<IntegrityIssueKind, 'missing_state' | 'corrupt_state' | 'state_behind_history'>;

export type TaskRead =
  /** `rolledForward`: state.json itself is behind history (a commit finishing now, or one cut short by a crash). */
  | { kind: 'ok'; state: TaskState; rolledForward: boolean; /** Size of state.json (UTF-16 units ≈ bytes for ASCII JSON). */ bytes: number }
  | { kind: 'missing' }
  /**
   * state.json is unusable or behind. `cause` says which (typed: never guessed
   * from `reason`, the text shown to people); `best` is what recovery would
   * restore (null: nothing valid).
   */
  | { kind: 'damaged'; cause: DamageCause; reason: string; best: TaskState | null };

/**
 * The current state of a task, without writing anything. `thorough`: also
 * check that no newer version sits in history beyond the one state.json
 * rolls forward to (a state.json put back by hand, older than its history).
 * `trustLinked`: skip that check's listing of history/ when state.json is
 * still the hard link a commit leaves (its history copy is the other name),
 * because every commit made that check before linking its version, and
 * links it exclusively; a state.json copied or moved back has one link only.
 */
export function readTask(layout: StateLayout, taskId: string, thorough = false, trustLinked = false): TaskRead {
  const check = readTaskFile(layout.stateFile(taskId), taskId);
  if (check === null) {
    const best = newestValidHistory(layout, taskId);
    return best ? { kind: 'damaged', cause: 'missing_state', reason: 'state.json is missing', best } : { kind: 'missing' };
  }
  if (!check.ok) {
    return { kind: 'damaged', cause: 'corrupt_state', reason: `state.json: ${check.reason}`, best: newestValidHistory(layout, taskId) };
  }
  const state = rollForward(layout, taskId, check.state);
  // Only files named above the current version can hold a newer one: most
  // reads list history/ and parse nothing more.
  const linked =
    trustLinked && thorough && state === check.state && (statSync(layout.stateFile(taskId), { throwIfNoEntry: false })?.nlink ?? 0) >= 2;
  if (thorough && !linked && (historyVersions(layout, taskId)[0] ?? 0) > state.version) {
    const newest = newestValidHistory(layout, taskId);
    if (newest && newest.version > state.version) {
      return {
        kind: 'damaged',
        cause: 'state_behind_history',
        reason: `state.json is at version ${state.version} but history holds version ${newest.version}`,
        best: newest,
      };
    }
  }
  return { kind: 'ok', state, rolledForward: state.version !== check.state.version, bytes: check.bytes };
}

/** The integrity issue a damaged read reveals (verify and the dashboard report the same thing). */
export function damageIssue(layout: StateLayout, taskId: string, read: Extract<TaskRead, { kind: 'damaged' }>): IntegrityIssue {
  return {
    kind: read.cause,
    task_id: taskId,
    path: layout.stateFile(taskId),
    message: `${read.reason}${read.best ? `; version ${read.best.version} can be recovered from history` : '; no valid version in history'}`,
    recoverable: read.best !== null,
  };
}
