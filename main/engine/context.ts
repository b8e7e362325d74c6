// What every engine module needs: paths, config, locks, logs and events.
import type { ChangeType } from '../../shared/model.ts';
import { newAuditEntry, type AuditFields } from './audit-entry.ts';
import type { StoreConfig } from './config.ts';
import type { AppendLog } from './audit-log.ts';
import type { EventHub } from './events.ts';
import type { SessionMarks } from './session-marks.ts';
import type { LockManager, LockTarget } from './locks.ts';
import { join } from 'node:path';
import { LOCK_FILE } from './layout.ts';
import type { StateLayout } from './paths.ts';

export interface EngineContext {
  readonly layout: StateLayout;
  readonly config: StoreConfig;
  readonly locks: LockManager;
  readonly log: AppendLog;
  readonly events: EventHub;
  /** Which sessions this store works on: their `alive` (session-marks.ts). */
  readonly marks: SessionMarks;
}

export function taskLockTarget(ctx: EngineContext, taskId: string): LockTarget {
  return { resourceId: taskId, lockFile: join(ctx.layout.taskDir(taskId), LOCK_FILE), fences: ctx.layout.stateFile(taskId) };
}

export function sessionLockTarget(ctx: EngineContext, sessionId: string): LockTarget {
  const sessionFile = ctx.layout.sessionFile(sessionId);
  return { resourceId: `session:${sessionId}`, lockFile: `${sessionFile.slice(0, -5)}.lock`, fences: sessionFile };
}

/** Append one audit line. Logging never fails a change that already happened. */
export function audit(
  ctx: EngineContext,
  changeType: ChangeType,
  description: string,
  fields: AuditFields = {},
  owner = ctx.config.owner,
): void {
  try {
    ctx.log.appendAudit(newAuditEntry(changeType, description, fields, owner));
  } catch (err) {
    ctx.events.emit('state.log_error', { message: (err as Error).message });
  }
}
