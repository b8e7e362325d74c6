// The robustness run, in the style of etcd's: worker processes hammer a few
// tasks with every kind of operation while this driver freezes them past
// their lock lease (SIGSTOP … SIGCONT) and kills them (kill -9); then the
// checker proves from the recorded history that nothing acknowledged was
// lost, nothing was applied twice, readers never went backwards, no two
// processes held a write lock at once, and every checkpoint is a real state.
//
// With --backend etcd the same run goes to a 3-member etcd cluster started
// for it, and one more fault joins: a member killed (-9, sometimes the
// leader) and started again on its data (member-faults.ts).
//
//   node main/test/robustness/torture.ts [--backend files|etcd] --seconds N [--seed S] [--workers 8] [--keep] [--report FILE]
//   node main/test/robustness/torture.ts --check RUN_DIR      (judge a kept run again)
//
// Exit status: 0 no violation, 1 violations found, 2 bad usage or a broken run.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { EtcdCluster } from '../etcd/cluster.ts';
import { checkRun, formatReport, type CheckReport } from './checker.ts';
import type { FaultEvent, InvokeEvent, ReturnEvent } from './events.ts';
import { Journal } from './journal.ts';
import { deriveSeed, Random } from './random.ts';
import { loadRun, runPaths, writeJson, type FinalState, type RunMeta } from './run-files.ts';
import { openRawReader, openRunStore, RUN_CONFIG, targetArgs, type BackendName, type Target } from './target.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const USAGE = `usage: node main/test/robustness/torture.ts [--backend files|etcd] --seconds N [--seed S] [--workers 8] [--keep] [--report FILE]
       node main/test/robustness/torture.ts --check RUN_DIR`;

const TASKS = ['t1', 't2', 't3'];
/** Time a worker gets to finish its operation after SIGTERM before it is killed. */
const STOP_GRACE_MS = 20_000;

interface Options {
  backend: BackendName;
  seconds: number;
  seed: number;
  workers: number;
  keep: boolean;
  report?: string;
  check?: string;
}

function parseOptions(argv: string[]): Options {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        backend: { type: 'string', default: 'files' },
        seconds: { type: 'string' },
        seed: { type: 'string' },
        workers: { type: 'string' },
        keep: { type: 'boolean', default: false },
        report: { type: 'string' },
        check: { type: 'string' },
      },
    }));
  } catch (err) {
    fail((err as Error).message); // an unknown option, a missing value, an argument without an option
  }
  const { backend } = values;
  if (backend !== 'files' && backend !== 'etcd') fail(`--backend must be files or etcd, got ${JSON.stringify(backend)}`);
  return {
    backend,
    seconds: integer('--seconds', values.seconds, 1) ?? 30,
    seed: integer('--seed', values.seed, 0) ?? Math.floor(Math.random() * 2 ** 31),
    workers: integer('--workers', values.workers, 2) ?? 8,
    keep: values.keep,
    report: values.report,
    check: values.check,
  };
}

/** The whole number given for `flag` (at least `min`), or undefined when the flag is absent. */
function integer(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) fail(`${flag} must be an integer of at least ${min}, got ${JSON.stringify(value)}`);
  return n;
}

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Worker {
  id: string;
  child: ChildProcess;
  stopped: boolean;
  exited: Promise<void>;
  alive: boolean;
}

/** Starts, freezes, kills and replaces the worker processes, journaling each fault. */
class Fleet {
  readonly workers: Worker[] = [];
  private readonly faults: Journal;
  private readonly contTimers = new Map<Worker, NodeJS.Timeout>();
  private next = 0;
  private readonly spawnArgs: (id: string) => string[];
  private readonly logs: string;

  constructor(faults: Journal, logs: string, spawnArgs: (id: string) => string[]) {
    this.faults = faults;
    this.logs = logs;
    this.spawnArgs = spawnArgs;
  }

  private log(event: FaultEvent): void {
    this.faults.append(event);
  }

  spawn(): Worker {
    const id = `w${++this.next}`;
    const out = openSync(join(this.logs, `worker-${id}.out`), 'a');
    const child = spawn(process.execPath, [join(HERE, 'worker.ts'), ...this.spawnArgs(id)], { stdio: ['ignore', out, out] });
    closeSync(out);
    const worker: Worker = { id, child, stopped: false, alive: true, exited: Promise.resolve() };
    worker.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        worker.alive = false;
        this.log({ type: 'exit', worker: id, pid: child.pid!, t: Date.now(), code, signal });
        resolve();
      });
    });
    this.log({ type: 'spawn', worker: id, pid: child.pid!, t: Date.now() });
    this.workers.push(worker);
    return worker;
  }

  running(): Worker[] {
    return this.workers.filter((w) => w.alive && !w.stopped);
  }

  live(): Worker[] {
    return this.workers.filter((w) => w.alive);
  }

  /** SIGSTOP now, SIGCONT after `ms`. The pause is journaled wide: from before the stop to after the continue. */
  freeze(worker: Worker, ms: number): void {
    worker.stopped = true;
    this.log({ type: 'stop', worker: worker.id, pid: worker.child.pid!, t: Date.now() });
    worker.child.kill('SIGSTOP');
    this.contTimers.set(
      worker,
      setTimeout(() => this.thaw(worker), ms),
    );
  }

  thaw(worker: Worker): void {
    clearTimeout(this.contTimers.get(worker));
    this.contTimers.delete(worker);
    if (!worker.stopped) return;
    worker.child.kill('SIGCONT');
    worker.stopped = false;
    this.log({ type: 'cont', worker: worker.id, pid: worker.child.pid!, t: Date.now() });
  }

  kill(worker: Worker, reason: 'fault' | 'shutdown'): void {
    this.log({ type: 'kill', worker: worker.id, pid: worker.child.pid!, t: Date.now(), reason });
    worker.child.kill('SIGKILL');
    if (worker.stopped) this.thaw(worker); // a SIGKILLed process dies stopped or not; this just closes the pause record
  }

  /** SIGCONT everyone, ask each to finish (SIGTERM), kill the ones that do not within the grace period. */
  async stopAll(): Promise<void> {
    for (const w of [...this.contTimers.keys()]) this.thaw(w);
    const live = this.live();
    for (const w of live) w.child.kill('SIGTERM');
    const deadline = Date.now() + STOP_GRACE_MS;
    for (const w of live) {
      await Promise.race([w.exited, sleep(Math.max(0, deadline - Date.now()))]);
      if (w.alive) this.kill(w, 'shutdown');
    }
    await Promise.all(live.map((w) => w.exited));
  }

  /** Last resort if the driver itself dies: never leave stopped or orphaned workers behind. */
  killAllNow(): void {
    for (const w of this.live()) {
      w.child.kill('SIGCONT');
      w.child.kill('SIGKILL');
    }
  }
}

/** Creates the state (root and config, or the namespace), the session and the tasks; journals the task creations as ops. */
async function setUp(runDir: string, meta: Omit<RunMeta, 'session_id'>): Promise<RunMeta> {
  const paths = runPaths(runDir);
  for (const dir of [paths.root, paths.logs, paths.occ]) mkdirSync(dir, { recursive: true });
  if (meta.target.backend === 'files') writeJson(join(paths.root, 'config.json'), RUN_CONFIG.files);
  const store = openRunStore(meta.target, 'driver');
  await store.init();
  const session = await store.createSession({ purpose: 'robustness run' });
  const journal = new Journal(join(paths.logs, 'driver.jsonl'));
  // Only the first task starts in the session: links of the others (and restores that drop them) are part of the load.
  for (const [i, task] of meta.task_ids.entries()) {
    const op = `init.${task}`;
    const linked = i === 0 ? session.id : undefined;
    journal.append({
      type: 'invoke',
      op,
      worker: 'driver',
      pid: process.pid,
      kind: 'init',
      task,
      t: Date.now(),
      input: linked ? { session: linked } : {},
    } satisfies InvokeEvent);
    const state = await store.updateTaskState(task, { counter: 0, ops: [], last_op: op }, linked ? { session: linked } : {});
    journal.append({ type: 'return', op, t: Date.now(), outcome: 'ok', version: state.version } satisfies ReturnEvent);
  }
  journal.close();
  await store.close();
  const full: RunMeta = { ...meta, session_id: session.id };
  writeJson(paths.meta, full);
  return full;
}

/**
 * What the state looks like once every worker has stopped: getTaskState
 * first (it may finish a cut-short commit), then the stored version as it is.
 * On etcd the stored side comes from the namespace dumped at one revision
 * into the run folder, which the checker then judges.
 */
async function readFinal(runDir: string, meta: RunMeta): Promise<FinalState> {
  const store = openRunStore(meta.target, 'driver');
  const api: Record<string, number | null> = {};
  for (const task of meta.task_ids) api[task] = (await store.getTaskState(task))?.version ?? null;
  await store.close();
  const versions: FinalState['versions'] = {};
  if (meta.target.backend === 'etcd') {
    const { dumpNamespace, loadDump } = await import('./etcd-target.ts');
    const file = runPaths(runDir).dump;
    await dumpNamespace(meta.target, file);
    const dump = loadDump(file, meta.target.namespace, meta.task_ids, meta.session_id);
    for (const task of meta.task_ids) versions[task] = { api: api[task]!, raw: dump.raw_versions[task]! };
    return { versions, session_task_ids: dump.session_task_ids };
  }
  const raw = await openRawReader(meta.target);
  for (const task of meta.task_ids) versions[task] = { api: api[task]!, raw: (await raw.taskVersion(task)).raw };
  const sessionTaskIds = (await raw.sessionTaskIds(meta.session_id)) ?? null;
  raw.close();
  return { versions, session_task_ids: sessionTaskIds };
}

/** Each process opens its journal once it has loaded the engine. */
async function waitForFiles(files: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!files.every((f) => existsSync(f))) {
    if (Date.now() > deadline)
      throw new Error(`processes did not start within ${timeoutMs} ms: ${files.filter((f) => !existsSync(f)).join(', ')}`);
    await sleep(50);
  }
}

function judge(runDir: string, reportFile?: string): CheckReport {
  const report = checkRun(loadRun(runDir));
  writeJson(runPaths(runDir).report, report);
  if (reportFile)
    writeJson(reportFile, { ...report, run_dir: runDir, seed: (JSON.parse(readFileSync(runPaths(runDir).meta, 'utf8')) as RunMeta).seed });
  process.stdout.write(`${formatReport(report)}\n`);
  return report;
}

/** Where the run's state lives: a folder in the run folder, or a namespace on a cluster started for the run. */
async function openTarget(backend: BackendName, runDir: string): Promise<{ target: Target; cluster: EtcdCluster | null }> {
  if (backend === 'files') return { target: { backend, root: runPaths(runDir).root }, cluster: null };
  const { startRunCluster } = await import('./member-faults.ts');
  const cluster = await startRunCluster();
  return { target: { backend, endpoints: cluster.endpoints, namespace: 'torture' }, cluster };
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  if (opts.check) return judge(opts.check, opts.report).violations.length > 0 ? 1 : 0;

  const begun = Date.now();
  const runDir = mkdtempSync(join(tmpdir(), 'lockstep-torture-'));
  const paths = runPaths(runDir);
  const { target, cluster } = await openTarget(opts.backend, runDir);
  const lease = RUN_CONFIG[opts.backend].lease_ms!;
  const meta = await setUp(runDir, {
    target,
    seed: opts.seed,
    lease_ms: lease,
    task_ids: TASKS,
    seconds: opts.seconds,
    workers: opts.workers,
  });
  const where = target.backend === 'etcd' ? `etcd cluster of 3 at ${target.endpoints.join(',')}, ` : '';
  process.stdout.write(
    `robustness run on ${opts.backend}: seed ${opts.seed}, ${opts.workers} workers, ${opts.seconds} s, lease ${lease} ms, ${where}folder ${runDir}\n`,
  );

  const rng = new Random(opts.seed);
  const faults = new Journal(paths.faults, false);
  const fleet = new Fleet(faults, paths.logs, (id) => [
    ...targetArgs(target),
    '--run',
    runDir,
    '--worker',
    id,
    '--session',
    meta.session_id,
    '--tasks',
    meta.task_ids.join(','),
    '--seed',
    String(deriveSeed(opts.seed, id)),
    '--lease',
    String(lease),
  ]);
  process.on('exit', () => fleet.killAllNow());
  const observerOut = openSync(join(paths.logs, 'observer.out'), 'a');
  const observer = spawn(
    process.execPath,
    [join(HERE, 'observer.ts'), ...targetArgs(target), '--run', runDir, '--session', meta.session_id, '--tasks', meta.task_ids.join(',')],
    { stdio: ['ignore', observerOut, observerOut] },
  );
  closeSync(observerOut);
  const observerExit = new Promise((resolve) => observer.once('exit', resolve));
  process.on('exit', () => observer.kill('SIGKILL'));
  const first = Array.from({ length: opts.workers }, () => fleet.spawn());
  // The clock starts once every process is up: on a loaded machine starting Node takes a while.
  await waitForFiles([join(paths.logs, 'observer.jsonl'), ...first.map((w) => join(paths.logs, `worker-${w.id}.jsonl`))], 60_000);
  const loadStarted = Date.now();

  // Faults at random intervals into random running workers; at least half keep running.
  let deadline = Date.now() + opts.seconds * 1000;
  process.once('SIGINT', () => {
    process.stdout.write('interrupted: stopping the workers and checking what was recorded\n');
    deadline = 0;
  });
  const members = cluster
    ? import('./member-faults.ts').then(({ killMembers }) =>
        killMembers(cluster, faults, new Random(deriveSeed(opts.seed, 'members')), () => deadline),
      )
    : Promise.resolve({ kills: 0, leaderKills: 0 });
  members.catch(() => {}); // awaited below; a failed restart must not end this process before the workers are stopped
  let stops = 0;
  let kills = 0;
  let lastProgress = Date.now();
  while (Date.now() < deadline) {
    await sleep(Math.min(rng.between(200, 700), Math.max(0, deadline - Date.now())));
    if (Date.now() >= deadline) break;
    const running = fleet.running();
    if (running.length <= opts.workers / 2) continue;
    const victim = rng.pick(running);
    if (rng.next() < 0.3) {
      fleet.kill(victim, 'fault');
      fleet.spawn();
      kills++;
    } else {
      fleet.freeze(victim, rng.between(1.2, 3) * lease);
      stops++;
    }
    if (Date.now() - lastProgress >= 10_000) {
      lastProgress = Date.now();
      process.stdout.write(`  ${Math.round((deadline - Date.now()) / 1000)} s left: ${stops} SIGSTOP, ${kills} kill -9 so far\n`);
    }
  }

  // A member still down is started again first: the final reads want the whole cluster.
  const memberKills = await members;
  if (cluster) process.stdout.write(`  etcd members killed: ${memberKills.kills} (${memberKills.leaderKills} leaders)\n`);
  const loadEnded = Date.now();
  await fleet.stopAll();
  observer.kill('SIGTERM');
  await Promise.race([observerExit, sleep(10_000)]);
  observer.kill('SIGKILL');
  faults.close();
  writeJson(paths.final, await readFinal(runDir, meta));

  const stopped = Date.now();
  const report = judge(runDir, opts.report);
  const failed = report.violations.length > 0;
  if (cluster) {
    const { keepMemberLogs } = await import('./member-faults.ts');
    keepMemberLogs(cluster, paths.logs);
    await cluster.stop();
  }
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  process.stdout.write(
    `wall time ${s(Date.now() - begun)}: start-up ${s(loadStarted - begun)}, faults ${s(loadEnded - loadStarted)}, stop and final reads ${s(stopped - loadEnded)}, check ${s(Date.now() - stopped)}\n`,
  );
  if (opts.keep || failed) process.stdout.write(`run kept in ${runDir} (check it again with --check ${runDir})\nseed ${opts.seed}\n`);
  else rmSync(runDir, { recursive: true, force: true });
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`robustness run failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
