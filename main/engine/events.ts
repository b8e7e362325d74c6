import type { FieldChanges, IntegrityIssue, LockMode, RestoreResult, Session, TaskState } from '../../shared/model.ts';

/** Every event the engine emits, with its payload. */
export interface EngineEvents {
  'state.task_updated': { task_id: string; previous_version: number | null; new_version: number; changes: FieldChanges; state: TaskState };
  'state.task_recovered': { task_id: string; version: number; reason: string };
  'state.session_created': { session: Session };
  'state.session_updated': { session: Session };
  'state.checkpoint_created': { checkpoint_id: string; session_id: string; reason: string; task_count: number };
  'state.checkpoint_restore_progress': { checkpoint_id: string; task_id: string; done: number; total: number };
  'state.checkpoint_restored': RestoreResult;
  'state.integrity_issues': { issues: IntegrityIssue[] };
  'state.lock_acquired': { task_id: string; mode: LockMode; wait_ms: number; owner: string };
  'state.lock_released': { task_id: string; mode: LockMode };
  'state.lock_timeout': { task_id: string; mode: LockMode; wait_ms: number };
  'state.lock_broken': { task_id: string; reason: string };
  /** A held lock was found taken over (its lease ran out while the holder was stopped); its heartbeat stopped. */
  'state.lock_lost': { task_id: string; mode: LockMode; token: string };
  'state.migrated': { sessions: number; tasks: number; from: string };
  'state.log_error': { message: string };
  'state.monitor_error': { job: string; message: string };
}
export type EngineEventName = keyof EngineEvents;
export type EngineListener<E extends EngineEventName> = (payload: EngineEvents[E]) => void;

export class EventHub {
  private readonly listeners = new Map<EngineEventName, Set<(payload: never) => void>>();

  on<E extends EngineEventName>(event: E, fn: EngineListener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as (payload: never) => void);
    return () => this.off(event, fn);
  }

  off<E extends EngineEventName>(event: E, fn: EngineListener<E>): void {
    this.listeners.get(event)?.delete(fn as (payload: never) => void);
  }

  emit<E extends EngineEventName>(event: E, payload: EngineEvents[E]): void {
    for (const fn of this.listeners.get(event) ?? []) {
      try {
        (fn as EngineListener<E>)(payload);
      } catch {
        // A listener's bug must not break the change that already happened.
      }
    }
  }
}
