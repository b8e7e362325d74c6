// `npm run fixture -- --tasks N --history H --sessions S --checkpoints C --out DIR`
//
// Writes a realistic state root at DIR (DIR/tasks, DIR/sessions, ...) through
// the engine: S sessions, N tasks spread over them, H versions per task, C
// checkpoints. Large fixtures are written by worker processes with fsync off.
// Prints a one-line JSON summary. Also a library: generateFixture(options).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_CONFIG, openStateStore } from '../engine/index.ts';
import {
  checkpointJobs,
  sessionOptions,
  sessionStatus,
  writeCheckpoints,
  writeTasks,
  type CheckpointJob,
  type FixturePlan,
} from './fixture-data.ts';
import type { WorkerJob } from './fixture-worker.ts';

export interface FixtureOptions {
  tasks: number;
  history: number;
  sessions: number;
  checkpoints: number;
  /** The state root to create; must not exist or be empty. */
  out: string;
  /** Worker processes; 0 writes in this process. Default: in-process for small fixtures, else min(4, cores). */
  workers?: number;
  /** Content seed (default 1): the same seed gives the same content. */
  seed?: number;
  /** Progress lines (phase timings); silent by default. */
  log?: (line: string) => void;
}

export interface FixtureSummary {
  tasks: number;
  history: number;
  sessions: number;
  checkpoints: number;
  out: string;
  seconds: number;
}

/** Invalid options: the CLI exits with code 2. */
export class FixtureOptionsError extends Error {
  override name = 'FixtureOptionsError';
}

export const FULL_SIZE = { tasks: 10_000, history: 10, sessions: 200, checkpoints: 500 } as const;

/** Fixtures with at least this many task versions are written by worker processes. */
const PARALLEL_FROM = 2000;

function checkCount(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new FixtureOptionsError(`--${name} must be ${min === 0 ? 'a non-negative' : 'a positive'} integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

export async function generateFixture(options: FixtureOptions): Promise<FixtureSummary> {
  const started = performance.now();
  const plan: FixturePlan = {
    tasks: checkCount('tasks', options.tasks, 1),
    history: checkCount('history', options.history, 1),
    sessions: checkCount('sessions', options.sessions, 1),
    checkpoints: checkCount('checkpoints', options.checkpoints, 0),
    seed: checkCount('seed', options.seed ?? 1, 0),
  };
  if (typeof options.out !== 'string' || options.out === '') throw new FixtureOptionsError('--out DIR is required');
  const out = resolve(options.out);
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new FixtureOptionsError(`--out ${out} exists and is not a directory`);
    if (readdirSync(out).length > 0) throw new FixtureOptionsError(`--out ${out} is not empty; give a new or empty directory`);
  }
  const cores = availableParallelism();
  const workers =
    options.workers === undefined
      ? plan.tasks * plan.history >= PARALLEL_FROM && cores >= 2
        ? Math.min(4, cores)
        : 0
      : checkCount('workers', options.workers, 0);
  const log = options.log ?? (() => {});
  const lap = (() => {
    let t = performance.now();
    return (what: string) => {
      const now = performance.now();
      log(`fixture: ${what} in ${((now - t) / 1000).toFixed(1)} s`);
      t = now;
    };
  })();

  // History keeps the current version plus max_history earlier ones: keep all H.
  const maxHistory = Math.max(DEFAULT_CONFIG.max_history, plan.history - 1);
  const store = openStateStore({ root: out, fsync: false, max_history: maxHistory, owner: 'fixture' });
  try {
    await store.init();
    const sessionIds: string[] = [];
    for (let s = 0; s < plan.sessions; s++) sessionIds.push((await store.createSession(sessionOptions(plan, s))).id);
    lap(`${plan.sessions} sessions`);

    const jobs = checkpointJobs(plan, sessionIds);
    if (workers === 0) {
      await writeTasks(store, plan, sessionIds, 0, plan.tasks);
      lap(`${plan.tasks} tasks x ${plan.history} versions (in-process)`);
      await writeCheckpoints(store, jobs);
      lap(`${plan.checkpoints} checkpoints`);
    } else {
      await runWorkers(out, plan, sessionIds, jobs, Math.min(workers, plan.tasks), maxHistory, lap);
    }

    // Older sessions end up finished (after their checkpoints, as in real use).
    for (let s = 0; s < plan.sessions; s++) {
      const status = sessionStatus(plan, s);
      if (status !== 'active') await store.updateSession(sessionIds[s]!, { status });
    }
    lap('session statuses');
  } finally {
    store.close();
  }
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  return { tasks: plan.tasks, history: plan.history, sessions: plan.sessions, checkpoints: plan.checkpoints, out, seconds };
}

const WORKER = join(import.meta.dirname, 'fixture-worker.ts');

/** Split the task range over worker processes, then the checkpoints once every task exists. */
async function runWorkers(
  out: string,
  plan: FixturePlan,
  sessionIds: string[],
  jobs: CheckpointJob[],
  workers: number,
  maxHistory: number,
  lap: (what: string) => void,
): Promise<void> {
  const children = Array.from({ length: workers }, (_, w) => {
    const job: WorkerJob = {
      out,
      plan,
      sessionIds,
      from: Math.floor((w * plan.tasks) / workers),
      to: Math.floor(((w + 1) * plan.tasks) / workers),
      maxHistory,
    };
    return spawn(process.execPath, [WORKER, JSON.stringify(job)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  });
  let tasksDone = 0;
  const finished = children.map(
    (child, w) =>
      new Promise<void>((res, rej) => {
        let done = false;
        child.on('message', (msg: { type: string }) => {
          if (msg.type === 'tasks-done' && ++tasksDone === workers) {
            lap(`${plan.tasks} tasks x ${plan.history} versions (${workers} worker processes)`);
            children.forEach((c, k) => c.send({ type: 'checkpoints', jobs: jobs.filter((_, j) => j % workers === k) }));
          } else if (msg.type === 'done') {
            done = true;
          }
        });
        child.on('error', rej);
        child.on('exit', (code, signal) => {
          if (code === 0 && done) res();
          else rej(new Error(`fixture worker ${w} ${code === 0 ? 'exited early' : `failed (exit ${code ?? signal})`}`));
        });
      }),
  );
  // One failure stops the others (they would wait forever for their checkpoints).
  for (const p of finished) p.catch(() => children.forEach((c) => c.exitCode === null && c.kill()));
  const settled = await Promise.allSettled(finished);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  lap(`${plan.checkpoints} checkpoints`);
}

// ---------------------------------------------------------------------------
// Command line

const USAGE = `usage: npm run fixture -- [--tasks N] [--history H] [--sessions S] [--checkpoints C] --out DIR [--workers W] [--seed X]
  Writes a state root at DIR through the engine (fsync off). Defaults: the full size,
  --tasks ${FULL_SIZE.tasks} --history ${FULL_SIZE.history} --sessions ${FULL_SIZE.sessions} --checkpoints ${FULL_SIZE.checkpoints}.
  DIR must not exist or be empty. Prints a one-line JSON summary; exit code 2 for bad arguments.`;

export function parseFixtureArgs(argv: string[]): FixtureOptions {
  const opts: Record<string, string> = {};
  const names = new Set(['tasks', 'history', 'sessions', 'checkpoints', 'out', 'workers', 'seed']);
  for (let k = 0; k < argv.length; k++) {
    const arg = argv[k]!;
    const m = /^--([a-z]+)(?:=(.*))?$/.exec(arg);
    if (!m || !names.has(m[1]!)) throw new FixtureOptionsError(`unknown argument ${JSON.stringify(arg)}`);
    const value = m[2] ?? argv[++k];
    if (value === undefined || (m[2] === undefined && value.startsWith('--'))) throw new FixtureOptionsError(`--${m[1]} needs a value`);
    if (m[1]! in opts) throw new FixtureOptionsError(`--${m[1]} given twice`);
    opts[m[1]!] = value;
  }
  const int = (name: string, fallback?: number): number | undefined => {
    const raw = opts[name];
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw))
      throw new FixtureOptionsError(
        `--${name} must be ${name === 'checkpoints' || name === 'workers' || name === 'seed' ? 'a non-negative' : 'a positive'} integer, got ${JSON.stringify(raw)}`,
      );
    return Number(raw);
  };
  if (opts.out === undefined || opts.out === '') throw new FixtureOptionsError('--out DIR is required');
  return {
    tasks: int('tasks', FULL_SIZE.tasks)!,
    history: int('history', FULL_SIZE.history)!,
    sessions: int('sessions', FULL_SIZE.sessions)!,
    checkpoints: int('checkpoints', FULL_SIZE.checkpoints)!,
    out: opts.out,
    workers: int('workers'),
    seed: int('seed'),
  };
}

async function cli(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    const options = parseFixtureArgs(argv);
    const summary = await generateFixture({ ...options, log: (line) => process.stderr.write(`${line}\n`) });
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof FixtureOptionsError) {
      process.stderr.write(`fixture: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`fixture: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

if (import.meta.filename === resolve(process.argv[1] ?? '')) {
  process.exitCode = await cli(process.argv.slice(2));
}
