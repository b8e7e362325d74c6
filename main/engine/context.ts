// What every engine module needs: paths, config, locks, logs and events.
import type { AuditEntry, ChangeType } from '../../shared/model.ts';
import type { StoreConfig } from './config.ts';
import type { AppendLog } from './audit-log.ts';
import type { EventHub } from './events.ts';
import { HOST } from './identity.ts';
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
  fields: Partial<Omit<AuditEntry, 'change_type' | 'description'>> = {},
  owner = ctx.config.owner,
): void {
  const entry: AuditEntry = {
    timestamp: new Date().toISOString(),
    process_id: process.pid,
    host: HOST,
    owner,
    change_type: changeType,
    ...fields,
    description,
  };
  try {
    ctx.log.appendAudit(entry);
  } catch (err) {
    ctx.events.emit('state.log_error', { message: (err as Error).message });
  }
}
