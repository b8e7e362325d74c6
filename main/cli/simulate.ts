// `lockstep simulate`: N real agent processes working on M shared tasks.
// Each agent opens a session, then updates tasks optimistically, sometimes
// holds a lock while it "thinks", reads under shared locks, and takes
// checkpoints. Conflicts are retried after a fresh read, as real agents do.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { InvalidInputError, LockTimeoutError, VersionConflictError, sleep, openStateStore, type StateStore } from '../engine/public.ts';
import type { Flags } from './args.ts';
import type { Output } from './output.ts';
import { openTarget, storeOptionsOf, targetArgs, type StoreTarget } from './store-target.ts';

export interface SimulationSummary {
  agents: number;
  tasks: number;
  seconds: number;
  sessions: string[];
  updates: number;
  conflicts: number;
  lock_waits: number;
  timeouts: number;
  checkpoints: number;
  errors: number;
}

type AgentStats = Omit<SimulationSummary, 'agents' | 'tasks' | 'seconds' | 'sessions'> & { session: string };

const STATUSES = ['pending', 'in_progress', 'in_progress', 'review', 'completed', 'failed'] as const;
const NOTES = [
  'refactoring the parser',
  'waiting on CI',
  'fixing flaky test',
  'rebasing onto main',
  'addressing review comments',
  'writing migration',
  'profiling hot path',
  'updating docs',
];

export async function simulateCommand(target: StoreTarget, flags: Flags, out: Output): Promise<number> {
  const agents = flags.int('agents', { min: 1, max: 64 }) ?? 4;
  const tasks = flags.int('tasks', { min: 1, max: 100_000 }) ?? 10;
  const seconds = flags.int('seconds', { min: 1, max: 86_400 }) ?? 10;
  const pace = flags.int('pace-ms', { min: 0, max: 10_000 }) ?? 40;
  flags.assertAllUsed();
  const store = openTarget(target);
  await store.init();
  await store.close();
  // The agents open the same store: the folder's resolved path, or the same cluster options.
  const where = store.location.kind === 'files' ? ['--root', store.location.root] : targetArgs(target);
  const children = Array.from({ length: agents }, (_, i) =>
    runChild([
      ...process.execArgv,
      process.argv[1]!,
      '__agent',
      ...where,
      '--agent',
      String(i + 1),
      '--tasks',
      String(tasks),
      '--seconds',
      String(seconds),
      '--pace-ms',
      String(pace),
    ]),
  );
  const stop = () => children.forEach((c) => c.kill());
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const results = await Promise.all(children.map((c) => c.result));
  const summary: SimulationSummary = {
    agents,
    tasks,
    seconds,
    sessions: [],
    updates: 0,
    conflicts: 0,
    lock_waits: 0,
    timeouts: 0,
    checkpoints: 0,
    errors: 0,
  };
  for (const r of results) {
    if (!r) {
      summary.errors++;
      continue;
    }
    summary.sessions.push(r.session);
    summary.updates += r.updates;
    summary.conflicts += r.conflicts;
    summary.lock_waits += r.lock_waits;
    summary.timeouts += r.timeouts;
    summary.checkpoints += r.checkpoints;
    summary.errors += r.errors;
  }
  out.result(
    summary,
    () =>
      `simulated ${agents} agents on ${tasks} tasks for ${seconds}s: ${summary.updates} updates, ${summary.conflicts} conflicts, ` +
      `${summary.lock_waits} lock waits, ${summary.timeouts} time-outs, ${summary.checkpoints} checkpoints, ${summary.errors} errors`,
  );
  return summary.errors > 0 ? 70 : 0;
}

function runChild(args: string[]): { kill: () => void; result: Promise<AgentStats | null> } {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let last: AgentStats | null = null;
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      last = JSON.parse(line) as AgentStats;
    } catch {
      /* not a stats line */
    }
  });
  const result = new Promise<AgentStats | null>((resolve) => child.on('close', () => resolve(last)));
  return { kill: () => child.kill('SIGTERM'), result };
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

export async function runAgent(target: StoreTarget, flags: Flags): Promise<number> {
  const agent = `agent-${flags.string('agent') ?? '1'}`;
  const taskCount = flags.int('tasks', { min: 1 }) ?? 10;
  const seconds = flags.int('seconds', { min: 1 }) ?? 10;
  const pace = flags.int('pace-ms') ?? 40;
  flags.assertAllUsed();
  if (target.kind === 'files' && !target.root) throw new InvalidInputError('__agent needs --root or --etcd');
  const store = openStateStore({ ...storeOptionsOf(target), owner: agent, lock_timeout_ms: 2000 });
  const session = await store.createSession({ agent, branch: `agents/${agent}`, model: pick(['opus', 'sonnet', 'haiku']) });
  const stats: AgentStats = { session: session.id, updates: 0, conflicts: 0, lock_waits: 0, timeouts: 0, checkpoints: 0, errors: 0 };
  store.on('state.lock_acquired', (e) => {
    if (e.wait_ms > 0) stats.lock_waits++;
  });
  let stopping = false;
  process.once('SIGTERM', () => (stopping = true));
  const deadline = Date.now() + seconds * 1000;
  while (!stopping && Date.now() < deadline) {
    const taskId = `sim-${1 + Math.floor(Math.random() * taskCount)}`;
    const roll = Math.random();
    try {
      if (roll < 0.65) await optimisticUpdate(store, taskId, agent, session.id, stats);
      else if (roll < 0.8) await lockedUpdate(store, taskId, agent, session.id, stats);
      else if (roll < 0.96) {
        const lock = await store.acquireLock(taskId, 'read', { owner: agent });
        await store.getTaskState(taskId);
        await sleep(5 + Math.random() * 30);
        await store.releaseLock(lock);
      } else {
        await store.createCheckpoint(session.id, 'agent milestone');
        stats.checkpoints++;
      }
    } catch (err) {
      if (err instanceof LockTimeoutError) stats.timeouts++;
      else if (err instanceof VersionConflictError) stats.conflicts++;
      else {
        stats.errors++;
        process.stderr.write(`${agent}: ${(err as Error).message}\n`);
      }
    }
    await sleep(pace * (0.5 + Math.random()));
  }
  await store.updateSession(session.id, { status: 'completed' }).catch(() => stats.errors++);
  store.close();
  process.stdout.write(`${JSON.stringify(stats)}\n`);
  return 0;
}

function nextFields(current: Record<string, unknown> | null, agent: string, taskId: string): Record<string, unknown> {
  const progress = Math.min(100, Number(current?.progress ?? 0) + Math.floor(Math.random() * 25));
  const status = progress >= 100 ? pick(['completed', 'completed', 'failed'] as const) : pick(STATUSES.slice(0, 4));
  return {
    status,
    progress,
    agent,
    branch: `feature/${taskId}`,
    notes: pick(NOTES),
    files_changed: Math.floor(Math.random() * 40),
    ...(Math.random() < 0.1 ? { blocked_on: `sim-${1 + Math.floor(Math.random() * 5)}` } : {}),
  };
}

/** Read, think, write with the version read; on conflict read again (at most 3 tries). */
async function optimisticUpdate(store: StateStore, taskId: string, agent: string, sessionId: string, stats: AgentStats): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = await store.getTaskState(taskId);
    await sleep(Math.random() * 10);
    try {
      await store.updateTaskState(taskId, nextFields(current, agent, taskId), {
        expectedVersion: current?.version ?? 0,
        session: sessionId,
        owner: agent,
      });
      stats.updates++;
      return;
    } catch (err) {
      if (!(err instanceof VersionConflictError)) throw err;
      stats.conflicts++;
    }
  }
}

/** Hold the write lock across a slow read-think-write, as an agent editing a task would. */
async function lockedUpdate(store: StateStore, taskId: string, agent: string, sessionId: string, stats: AgentStats): Promise<void> {
  const lock = await store.acquireLock(taskId, 'write', { owner: agent });
  try {
    const current = await store.getTaskState(taskId);
    await sleep(20 + Math.random() * 180);
    await store.updateTaskState(taskId, nextFields(current, agent, taskId), { lock, session: sessionId, owner: agent });
    stats.updates++;
  } finally {
    await store.releaseLock(lock);
  }
}
