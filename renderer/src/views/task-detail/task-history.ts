// The task panel's version history, kept current with as little reading as
// possible: the whole list once, then, each time the task gets a new version
// (a live write or a restore alike), only the versions newer than the newest
// one held (getTask's `after`). Pruned versions drop out by the count the
// host reports; a task that went back (deleted and recreated) is read whole.
import { useEffect, useState, useSyncExternalStore } from 'react';
import type { RequestOf, TaskDetail } from '../../../../shared/contract.ts';
import { TASK_HISTORY_LIMIT } from '../../../../shared/limits.ts';
import type { SerializedError } from '../../../../shared/errors.ts';
import type { TaskState } from '../../../../shared/model.ts';
import { toApiError, type ApiError } from '../../bridge/api.ts';
import { useApi } from '../../app/services.ts';

export interface TaskHistory {
  state: TaskState | null;
  /** Newest first, at most TASK_HISTORY_LIMIT. */
  versions: readonly TaskState[];
  /** Retained versions older than those held (a task configured to keep thousands). */
  omitted: number;
  /** Set when the task could not be read: shown in place of the timeline. */
  error: SerializedError | null;
}

/** The version a task is at, as the mirror says (or a restore just made). */
export interface VersionMark {
  version: number;
  updated_at: string;
}

/** What was held, updated by one getTask answer. */
export function mergeHistory(held: TaskHistory | null, answer: TaskDetail): TaskHistory {
  const since = answer.after;
  const kept = since === null || !held ? [] : held.versions.filter((v) => v.version <= since);
  // The task keeps its newest `retained` versions: anything past them was pruned.
  const versions = [...answer.history, ...kept].slice(0, Math.min(answer.retained, TASK_HISTORY_LIMIT));
  return { state: answer.state, versions, omitted: Math.max(0, answer.retained - versions.length), error: answer.error };
}

/** What to ask for to catch up with `target`: nothing (null), only newer versions, or everything ({}). */
export function nextRequest(held: TaskHistory | null, target: VersionMark | null): { after?: number } | null {
  const newest = held?.versions[0];
  if (!held || held.error || !newest || !target) return {};
  if (target.version > newest.version) return { after: newest.version };
  // The history is read from disk, so it can be ahead of the mirror (versions written before the
  // mirror's patch for them arrived): what the mirror reports is then already held.
  const alreadyHeld = held.versions.find((v) => v.version === target.version);
  if (alreadyHeld && alreadyHeld.updated_at === target.updated_at) return null;
  return {}; // the task went back, or was rewritten under the same number: read it whole
}

export interface TaskHistoryView {
  history: TaskHistory | null;
  /** The last request failed (the transport, or the host). */
  loadError: ApiError | null;
  loading: boolean;
}

type GetTask = (request: RequestOf<'getTask'>) => Promise<TaskDetail>;

const markKey = (mark: VersionMark | null): string => (mark ? `${mark.version}@${mark.updated_at}` : 'none');

/** One panel's history: one request at a time, made only when the task's version moved. */
export class TaskHistoryLoader {
  private view: TaskHistoryView = { history: null, loadError: null, loading: false };
  private readonly listeners = new Set<() => void>();
  private target: VersionMark | null = null;
  /** The target the last request was made for; null: read everything next. */
  private askedFor: string | null = null;
  private readonly taskId: string;
  private readonly getTask: GetTask;

  constructor(taskId: string, getTask: GetTask) {
    this.taskId = taskId;
    this.getTask = getTask;
  }

  /** The version the task is at now (the mirror's row; null: not in the mirror). */
  follow = (target: VersionMark | null): void => {
    this.target = target;
    this.pump();
  };

  /** A version this panel just wrote (a restore): shown even while the mirror is paused. */
  wrote = (state: TaskState): void => {
    if (!this.target || state.version > this.target.version) this.target = { version: state.version, updated_at: state.updated_at };
    this.pump();
  };

  /** Try again after a failure: everything is read. */
  reload = (): void => {
    this.askedFor = null;
    this.pump();
  };

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getView = (): TaskHistoryView => this.view;

  private publish(next: Partial<TaskHistoryView>): void {
    this.view = { ...this.view, ...next };
    for (const listener of this.listeners) listener();
  }

  private pump(): void {
    if (this.view.loading) return; // the answer's arrival calls pump again
    const key = markKey(this.target);
    const everything = this.askedFor === null;
    if (!everything && key === this.askedFor) return;
    const request = everything ? {} : nextRequest(this.view.history, this.target);
    this.askedFor = key;
    if (request === null) return;
    this.publish({ loading: true });
    this.getTask({ taskId: this.taskId, ...request })
      .then(
        (answer) => this.publish({ history: mergeHistory(this.view.history, answer), loadError: null, loading: false }),
        (err: unknown) => this.publish({ loadError: toApiError(err), loading: false }),
      )
      .finally(() => this.pump());
  }
}

/** The history of the task shown in a panel, following the mirror's version of it. */
export function useTaskHistory(
  taskId: string,
  row: VersionMark | undefined,
): TaskHistoryView & Pick<TaskHistoryLoader, 'reload' | 'wrote'> {
  const api = useApi();
  const [loader] = useState(() => new TaskHistoryLoader(taskId, (request) => api.getTask(request)));
  const version = row?.version;
  const updatedAt = row?.updated_at;
  useEffect(() => {
    loader.follow(version === undefined || updatedAt === undefined ? null : { version, updated_at: updatedAt });
  }, [loader, version, updatedAt]);
  const view = useSyncExternalStore(loader.subscribe, loader.getView);
  return { ...view, reload: loader.reload, wrote: loader.wrote };
}
