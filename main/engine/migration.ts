// One-time migration from the old single-file state
// (<root>/../.parallel-dev-state.json, format {version:"2.0", sessions:[…]}).
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import type { JsonObject, Session } from '../../shared/model.ts';
import { isSessionId, isTaskId } from '../../shared/ids.ts';
import type { EngineContext } from './context.ts';
import { audit } from './context.ts';
import { CorruptStateError } from './errors.ts';
import { isPlainObject, readJsonFile } from './fsx.ts';
import { replaceSession } from './sessions.ts';
import { readTask } from './task-files.ts';
import { commitTask, userContent } from './tasks.ts';
import { hasChanges, diffFields } from '../../shared/diff.ts';

interface LegacySession {
  id: string;
  status: string;
  started_at: string;
  updated_at: string;
  options: JsonObject;
  tasks: Record<string, JsonObject>;
}

/** Parse and fully validate the legacy file before anything is written. */
function parseLegacy(file: string): LegacySession[] {
  const read = readJsonFile(file);
  const fail = (why: string) =>
    new CorruptStateError(`cannot migrate ${file}: ${why}. The file was left in place; fix or remove it and run init again.`, {
      path: file,
    });
  if (read.kind === 'missing') return [];
  if (read.kind === 'corrupt') throw fail(read.reason);
  const v = read.value;
  if (!isPlainObject(v) || !Array.isArray(v.sessions)) throw fail('expected an object with a "sessions" array');
  return v.sessions.map((s: unknown, i: number): LegacySession => {
    if (!isPlainObject(s) || !isSessionId(s.id)) throw fail(`sessions[${i}] has no valid "id"`);
    const tasks = isPlainObject(s.tasks) ? s.tasks : {};
    for (const [taskId, task] of Object.entries(tasks)) {
      if (!isTaskId(taskId)) throw fail(`session ${s.id}: invalid task id ${JSON.stringify(taskId)}`);
      if (!isPlainObject(task)) throw fail(`session ${s.id}: task ${taskId} is not an object`);
    }
    const now = new Date().toISOString();
    return {
      id: s.id,
      status: typeof s.status === 'string' ? s.status : 'active',
      started_at: typeof s.started_at === 'string' ? s.started_at : now,
      updated_at: typeof s.updated_at === 'string' ? s.updated_at : now,
      options: isPlainObject(s.options) ? (s.options as JsonObject) : {},
      tasks: tasks as Record<string, JsonObject>,
    };
  });
}

/**
 * Migrate if a legacy file exists. Idempotent: tasks that already hold the
 * legacy content are not written again, so a migration interrupted by a
 * crash can simply be run again. Returns null when there is nothing to do.
 */
export async function migrateLegacy(ctx: EngineContext): Promise<{ sessions: number; tasks: number; from: string } | null> {
  const file = ctx.layout.legacyFile;
  if (!existsSync(file)) return null;
  const sessions = parseLegacy(file);
  mkdirSync(ctx.layout.sessionsDir, { recursive: true });
  let taskCount = 0;
  for (const legacy of sessions) {
    for (const [taskId, task] of Object.entries(legacy.tasks)) {
      const content = { ...userContent(task), session_id: legacy.id };
      const read = readTask(ctx.layout, taskId);
      if (read.kind === 'ok' && !hasChanges(diffFields(userContent(read.state), content))) continue;
      await commitTask(
        ctx,
        taskId,
        {
          changeType: 'task_updated',
          next: () => content,
          describe: () => `migrated task ${taskId} from ${file}`,
        },
        { owner: ctx.config.owner || 'migration' },
      );
      taskCount++;
    }
    const session: Session = {
      id: legacy.id,
      status: legacy.status,
      started_at: legacy.started_at,
      updated_at: legacy.updated_at,
      options: legacy.options,
      task_ids: Object.keys(legacy.tasks),
      metrics: { total_tasks: 0, completed: 0, in_progress: 0, failed: 0 },
    };
    await replaceSession(ctx, session, `migrated session ${legacy.id} from ${file}`);
  }
  let target = `${file}.migrated`;
  if (existsSync(target)) target = `${file}.${Date.now()}.migrated`;
  renameSync(file, target);
  const summary = { sessions: sessions.length, tasks: taskCount, from: file };
  audit(ctx, 'migrated', `migrated ${sessions.length} sessions and ${taskCount} tasks from ${file}`);
  ctx.events.emit('state.migrated', summary);
  return summary;
}
