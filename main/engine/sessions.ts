import type { Session } from '../../shared/model.ts';
import { computeSessionMetrics } from '../../shared/metrics.ts';
import type { EngineContext } from './context.ts';
import { audit, sessionLockTarget } from './context.ts';
import { CorruptStateError, InvalidInputError, NotFoundError } from './errors.ts';
import { FencedError, lostLockError, writeFenced } from './fenced-write.ts';
import { isPlainObject, publishExclusive, readJsonFile, safeReaddir } from './fsx.ts';
import type { HeldLock } from './locks.ts';
import { assertSessionId } from './paths.ts';
import { readTask } from './task-files.ts';
import { checkPayload } from './tasks.ts';
import {
  checkSession,
  checkSessionUpdate,
  mergeSessionUpdate,
  newSession,
  sessionUpdateDescription,
  withoutDerived,
} from './session-rules.ts';

/** The session as stored, without live metrics. Throws NotFound or CorruptState. */
export function readSessionFile(ctx: EngineContext, id: string): Session {
  const file = ctx.layout.sessionFile(id);
  const read = readJsonFile(file);
  if (read.kind === 'missing') throw new NotFoundError(`session ${id} does not exist`, { session_id: id });
  if (read.kind === 'corrupt') throw new CorruptStateError(`session file ${file}: ${read.reason}`, { path: file });
  const session = checkSession(read.value, id);
  if (typeof session === 'string') throw new CorruptStateError(`session file ${file}: ${session}`, { path: file });
  return session;
}

/** Metrics from the tasks' current `status`. */
export function withMetrics(ctx: EngineContext, session: Session): Session {
  const metrics = computeSessionMetrics(session.task_ids, (taskId) => {
    const read = readTask(ctx.layout, taskId);
    return read.kind === 'ok' ? read.state.status : read.kind === 'damaged' ? read.best?.status : undefined;
  });
  return { ...session, metrics };
}

/**
 * Rewrite a session file under its write lock, fenced like a task commit
 * (fenced-write.ts): a writer stopped past its lease finds its temp fenced or
 * its ticket gone, and writes nothing, so it cannot put back an old copy.
 */
function writeSession(ctx: EngineContext, session: Session, held: HeldLock): void {
  try {
    writeFenced({
      target: ctx.layout.sessionFile(session.id),
      data: JSON.stringify(session, null, 2),
      durable: ctx.config.fsync,
      stillHeld: () => ctx.locks.stillHeld(held),
      pause: 'session.after-lock-check',
    });
  } catch (err) {
    if (err instanceof FencedError) throw lostLockError(`session ${session.id}`, null, { session_id: session.id });
    throw err;
  }
}

export function createSession(ctx: EngineContext, options: unknown = {}): Session {
  if (!isPlainObject(options)) throw new InvalidInputError('session options must be a JSON object');
  const opts = checkPayload(ctx, options).updates;
  const now = new Date().toISOString();
  const date = now.slice(0, 10);
  let n = 1;
  for (const name of safeReaddir(ctx.layout.sessionsDir)) {
    const m = /^(\d{4}-\d{2}-\d{2})-(\d{3,})\.json$/.exec(name);
    if (m && m[1] === date) n = Math.max(n, Number(m[2]) + 1);
  }
  // Many processes may pick the same number: the exclusive publish decides, losers take the next.
  for (; ; n++) {
    const session = newSession(now, n, opts);
    if (publishExclusive(ctx.layout.sessionFile(session.id), JSON.stringify(session, null, 2), ctx.config.fsync)) {
      ctx.marks.mark(session.id);
      const created = { ...session, alive: true };
      audit(ctx, 'session_created', `created session ${session.id}`, { session_id: session.id });
      ctx.events.emit('state.session_created', { session: created });
      return created;
    }
  }
}

export async function updateSession(ctx: EngineContext, id: string, updates: unknown, timeout?: number): Promise<Session> {
  assertSessionId(id);
  const payload = checkPayload(ctx, updates).updates;
  checkSessionUpdate(payload);
  readSessionFile(ctx, id); // NotFound before taking a lock
  return mutateSession(ctx, id, timeout, (current) => mergeSessionUpdate(current, payload), sessionUpdateDescription(id, payload));
}

/** Add a task to a session's task_ids (no-op when already there). */
export async function linkTaskToSession(ctx: EngineContext, sessionId: string, taskId: string, timeout?: number): Promise<void> {
  if (readSessionFile(ctx, sessionId).task_ids.includes(taskId)) return;
  await mutateSession(
    ctx,
    sessionId,
    timeout,
    (current) => (current.task_ids.includes(taskId) ? null : { ...current, task_ids: [...current.task_ids, taskId] }),
    `linked task ${taskId} to session ${sessionId}`,
  );
}

/** Write a whole session back (checkpoint restore, migration). */
export async function replaceSession(ctx: EngineContext, session: Session, description: string, timeout?: number): Promise<Session> {
  assertSessionId(session.id);
  return mutateSession(ctx, session.id, timeout, () => withoutDerived(session) as Session, description, true);
}

async function mutateSession(
  ctx: EngineContext,
  id: string,
  timeout: number | undefined,
  change: (current: Session) => Session | null,
  description: string,
  mayCreate = false,
): Promise<Session> {
  const held = await ctx.locks.acquire(sessionLockTarget(ctx, id), 'write', { timeout, owner: ctx.config.owner });
  let next: Session | null;
  try {
    let current: Session;
    try {
      current = readSessionFile(ctx, id);
    } catch (err) {
      if (!(mayCreate && (err instanceof NotFoundError || err instanceof CorruptStateError))) throw err;
      current = change({} as Session) as Session;
    }
    next = change(current);
    if (next === null) return withMetrics(ctx, current);
    next = withMetrics(ctx, { ...next, id, updated_at: new Date().toISOString() });
    writeSession(ctx, next, held);
    // An update or a link marks the session alive; a restore or an import does not.
    if (!mayCreate) {
      ctx.marks.mark(id);
      next = { ...next, alive: true };
    }
  } finally {
    ctx.locks.release(held);
  }
  audit(ctx, 'session_updated', description, { session_id: id });
  ctx.events.emit('state.session_updated', { session: next });
  return next;
}

export function getSession(ctx: EngineContext, id: string): Session {
  assertSessionId(id);
  return withMetrics(ctx, readSessionLive(ctx, id));
}

/** The session as stored, with `alive` (session-marks.ts). */
export function readSessionLive(ctx: EngineContext, id: string): Session {
  return { ...readSessionFile(ctx, id), alive: ctx.marks.alive(id) };
}

/**
 * All readable sessions; corrupt files are skipped here and reported by
 * verify. `liveMetrics: false` skips reading every task, for hosts that
 * already hold the tasks in memory.
 */
export function listSessions(ctx: EngineContext, liveMetrics = true): Session[] {
  const out: Session[] = [];
  for (const name of safeReaddir(ctx.layout.sessionsDir)) {
    if (!name.endsWith('.json') || name.startsWith('.')) continue;
    try {
      const id = assertSessionId(name.slice(0, -5));
      out.push(liveMetrics ? getSession(ctx, id) : readSessionLive(ctx, id));
    } catch (err) {
      if (!(err instanceof CorruptStateError || err instanceof NotFoundError || err instanceof InvalidInputError)) throw err;
    }
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

export function getActiveSessions(ctx: EngineContext): Session[] {
  return listSessions(ctx)
    .filter((s) => s.status === 'active')
    .sort((a, b) => b.updated_at.localeCompare(a.updated_at));
}
