// `npm run bench -- --backend etcd [--members 1,3] [--quick] [--json]`: the
// etcd backend on a real cluster started for the run (the test harness,
// loopback ports, data in a temp folder), 1 and 3 members, each figure next
// to its baseline measured in the same run:
//
//   [1] single-process commits vs a raw etcd3 Txn loop doing the same puts
//       (the floor for this backend) and vs the file backend;
//   [2] 4 processes on one task: plain, cas and locked increments, lost updates;
//   [3] 16 commits in flight on 16 tasks, vs the file backend doing the same;
//   [4] a write lock handed over after kill -9 of its holder (lease 2 s);
//   [5] CLI start-up with --etcd and with --root, vs `node -e 0`.
//
// Started by engine-bench.ts (it owns the command line).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { hostname, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Etcd3 } from 'etcd3';
import { openStateStore, type StateStore } from '../engine/index.ts';
import { startCluster, type EtcdCluster } from '../test/etcd/cluster.ts';
import { machineInfo, makeTempDir, median, percentile, removeDir, taskPayload } from './common.ts';
import type { ContentionMode, WorkerConfig, WorkerResult } from './contention-worker.ts';
import { fmt, log, pad, pairedRatio, runSingle, type Runner, type SingleResult } from './rounds.ts';

export interface EtcdBenchOptions {
  quick: boolean;
  json: boolean;
  members: number[];
}

const PROJECT = resolve(import.meta.dirname, '..', '..');
const WORKER = join(import.meta.dirname, 'contention-worker.ts');
const MAX_HISTORY = 10;
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

/** The prototype's figures on this kind of machine (issue 10), printed as the ones to beat. */
const PROTOTYPE: Record<number, { sequential: string; sixteen: string; handover: string }> = {
  1: { sequential: '650–965 ops/s', sixteen: '1,674 ops/s', handover: '1.8–1.9 s' },
  3: { sequential: '370–510 ops/s', sixteen: '747 ops/s', handover: '1.7–2.4 s' },
};

interface Target {
  figure: string;
  target: string;
  measured: string;
  pass: boolean | null;
}

let namespaces = 0;
const freshNamespace = (label: string) => `bench-${label}-${process.pid}-${++namespaces}`;

// ---------------------------------------------------------------------------
// [1] single-process commits

function etcdRunner(endpoints: string[], iterations: number): Runner {
  let store: StateStore | null = null;
  const runner: Runner = {
    name: 'etcd',
    iterations,
    warmup: Math.round(iterations / 10),
    async setup() {
      store = openStateStore({ etcd: { endpoints, namespace: freshNamespace('single') }, max_history: MAX_HISTORY });
      await store.init();
    },
    async op(i) {
      const state = await store!.updateTaskState('bench', taskPayload(i));
      runner.bytes ??= Buffer.byteLength(JSON.stringify(state));
    },
    async teardown() {
      await store?.close();
    },
  };
  return runner;
}

/**
 * The floor: what one commit must send at least, with etcd3 and nothing
 * else. One Txn per update: compare the state key's mod_revision with the
 * last one seen, put the state and its history key, delete the version that
 * falls out of the kept history, append an audit key.
 */
function rawTxnRunner(endpoints: string[], iterations: number): Runner {
  let client: Etcd3 | null = null;
  const ns = freshNamespace('raw');
  let revision = '0';
  let version = 0;
  const key = (suffix: string) => Buffer.from(`${ns}/tasks/bench/${suffix}`);
  const historyKey = (v: number) => key(`history/${String(v).padStart(10, '0')}`);
  const runner: Runner = {
    name: 'raw etcd3 Txn',
    iterations,
    warmup: Math.round(iterations / 10),
    async setup() {
      const { Etcd3 } = await import('etcd3');
      client = new Etcd3({ hosts: endpoints });
    },
    async op(i) {
      version++;
      const value = Buffer.from(
        JSON.stringify({
          ...taskPayload(i),
          task_id: 'bench',
          version,
          updated_at: new Date().toISOString(),
          updated_by: { owner: '', pid: process.pid, host: hostname() },
        }),
      );
      runner.bytes ??= value.length;
      const audit = Buffer.from(
        JSON.stringify({ timestamp: new Date().toISOString(), change_type: 'task_updated', task_id: 'bench', new_version: version }),
      );
      const pruned = version - MAX_HISTORY - 1;
      const res = await client!.kv.txn({
        compare: [{ key: key('state'), target: 'Mod', result: 'Equal', mod_revision: revision }],
        success: [
          { request_put: { key: key('state'), value } },
          { request_put: { key: historyKey(version), value } },
          ...(pruned >= 1 ? [{ request_delete_range: { key: historyKey(pruned) } }] : []),
          { request_put: { key: Buffer.from(`${ns}/audit/${String(Date.now()).padStart(13, '0')}-${version}`), value: audit } },
        ],
        failure: [],
      });
      if (!res.succeeded) throw new Error('raw Txn: compare failed (nothing else writes this key)');
      revision = res.header.revision;
    },
    teardown() {
      client?.close();
    },
  };
  return runner;
}

function fileRunner(iterations: number): Runner {
  let store: StateStore | null = null;
  const runner: Runner = {
    name: 'file backend',
    iterations,
    warmup: Math.round(iterations / 10),
    async setup(dir) {
      store = openStateStore({ root: dir, fsync: true, max_history: MAX_HISTORY });
      await store.init();
    },
    async op(i) {
      await store!.updateTaskState('bench', taskPayload(i));
    },
    async teardown() {
      await store?.close();
    },
  };
  return runner;
}

// ---------------------------------------------------------------------------
// [2] several processes on one task

interface ContentionFigures {
  mode: ContentionMode;
  throughput: number;
  updates: number;
  conflicts: number;
  timeouts: number;
  update_p50_ms: number;
  update_p99_ms: number;
  lock_wait_p99_ms: number;
  lost: number;
}

async function runContention(endpoints: string[], mode: ContentionMode, processes: number, durationMs: number): Promise<ContentionFigures> {
  const namespace = freshNamespace(`contention-${mode}`);
  const store = openStateStore({ etcd: { endpoints, namespace } });
  try {
    await store.init();
    const initial = await store.updateTaskState('hot', { counter: 0, status: 'pending' });
    const children = Array.from({ length: processes }, (_, worker) => {
      const config: WorkerConfig = { root: '', etcd: { endpoints, namespace }, taskId: 'hot', worker, mode, durationMs };
      return spawn(process.execPath, [WORKER, JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    });
    const results = await collectWorkers(children);
    const final = (await store.getTaskState('hot'))!;
    const committed = results.reduce((s, r) => s + r.successes, 0);
    // plain: each commit is one version and each writer's own field holds its count; cas/locked: one increment each.
    const found =
      mode === 'plain'
        ? final.version -
          initial.version -
          results.reduce((s, r) => s + Math.max(0, r.successes - Number(final[`count_w${r.worker}`] ?? 0)), 0)
        : Number(final.counter);
    const seconds = (Math.max(...results.map((r) => r.endedAt)) - Math.min(...results.map((r) => r.startedAt))) / 1000;
    const lat = results.flatMap((r) => r.latencies);
    const waits = results.flatMap((r) => r.lockWaits);
    return {
      mode,
      throughput: committed / seconds,
      updates: committed,
      conflicts: results.reduce((s, r) => s + r.conflicts, 0),
      timeouts: results.reduce((s, r) => s + r.timeouts, 0),
      update_p50_ms: percentile(lat, 50),
      update_p99_ms: percentile(lat, 99),
      lock_wait_p99_ms: waits.length ? percentile(waits, 99) : 0,
      lost: committed - found,
    };
  } finally {
    await store.close();
  }
}

/** Start the workers together once all are warm; their results, or the first failure. */
async function collectWorkers(children: ChildProcess[]): Promise<WorkerResult[]> {
  let ready = 0;
  const perChild = children.map(
    (child, w) =>
      new Promise<WorkerResult>((res, rej) => {
        let result: WorkerResult | null = null;
        child.on('message', (msg: { type: string }) => {
          if (msg.type === 'ready' && ++ready === children.length) {
            const at = Date.now() + 200;
            for (const c of children) c.send({ type: 'start', at });
          } else if (msg.type === 'result') result = msg as WorkerResult;
        });
        child.on('error', rej);
        child.on('exit', (code, signal) =>
          code === 0 && result
            ? res(result)
            : rej(new Error(`contention worker ${w} exited with ${code ?? signal}${result ? '' : ', no result'}`)),
        );
      }),
  );
  for (const p of perChild) p.catch(() => children.forEach((c) => c.exitCode === null && c.kill()));
  return Promise.all(perChild);
}

// ---------------------------------------------------------------------------
// [3] 16 commits in flight

async function inFlight(store: StateStore, tasks: number, durationMs: number): Promise<number> {
  const ids = Array.from({ length: tasks }, (_, k) => `flight-${k}`);
  await Promise.all(ids.map((id) => store.updateTaskState(id, taskPayload(0)))); // warm: every task exists
  let done = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  // Each task has its own loop: a commit starts as soon as the previous one on that task returns.
  await Promise.all(
    ids.map(async (id, k) => {
      for (let i = 1; performance.now() < deadline; i++) {
        await store.updateTaskState(id, taskPayload(i, k));
        done++;
      }
    }),
  );
  return (done / (performance.now() - started)) * 1000;
}

// ---------------------------------------------------------------------------
// [4] lock hand-over after kill -9

const HOLDER = `
import { openStateStore } from ${JSON.stringify(join(PROJECT, 'main', 'engine', 'index.ts'))};
const [endpoints, namespace] = process.argv.slice(1);
const store = openStateStore({ etcd: { endpoints: endpoints.split(','), namespace }, lease_ms: 2000 });
await store.acquireLock('handover', 'write', { heartbeat: true, owner: 'doomed' });
process.stdout.write('held\\n');
setInterval(() => {}, 1 << 30);
`;

async function handover(endpoints: string[]): Promise<number> {
  const namespace = freshNamespace('handover');
  const holder = spawn(process.execPath, ['--input-type=module', '-e', HOLDER, endpoints.join(','), namespace], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((res, rej) => {
      createInterface({ input: holder.stdout! }).once('line', () => res());
      holder.once('exit', (code) => rej(new Error(`lock holder exited with ${code}`)));
    });
    const waiter = openStateStore({ etcd: { endpoints, namespace }, lease_ms: 2000 });
    try {
      const acquired = waiter.acquireLock('handover', 'write', { timeout: 20_000, owner: 'next' });
      await new Promise((r) => setTimeout(r, 300)); // queued behind the holder
      const killedAt = performance.now();
      holder.kill('SIGKILL');
      const lock = await acquired;
      const ms = performance.now() - killedAt;
      await waiter.releaseLock(lock);
      return ms;
    } finally {
      await waiter.close();
    }
  } finally {
    if (holder.exitCode === null) holder.kill('SIGKILL');
  }
}

// ---------------------------------------------------------------------------
// [5] CLI start-up

async function cliStartup(endpoints: string[], runs: number): Promise<{ node: number; files: number; etcd: number }> {
  const cli = join(PROJECT, 'out', 'cli', 'lockstep.js');
  if (!existsSync(cli)) throw new Error('out/cli/lockstep.js is missing: run npm run build:node first');
  const root = makeTempDir('cli');
  const namespace = freshNamespace('cli');
  try {
    for (const where of [{ root }, { etcd: { endpoints, namespace } }]) {
      const store = openStateStore(where);
      await store.init();
      await store.updateTaskState('cli-task', taskPayload(1));
      await store.close();
    }
    const time = (args: string[]) => {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed (${r.status}): ${r.stderr.toString()}`);
      return performance.now() - t0;
    };
    const cases = {
      node: ['-e', '0'],
      files: [cli, '--root', root, 'task', 'get', 'cli-task'],
      etcd: [cli, '--etcd', endpoints.join(','), '--namespace', namespace, 'task', 'get', 'cli-task'],
    };
    const samples: Record<keyof typeof cases, number[]> = { node: [], files: [], etcd: [] };
    for (const args of Object.values(cases)) time(args); // warm the compile cache and the page cache
    for (let i = 0; i < runs; i++) for (const [name, args] of Object.entries(cases)) samples[name as keyof typeof cases].push(time(args));
    return { node: median(samples.node), files: median(samples.files), etcd: median(samples.etcd) };
  } finally {
    removeDir(root);
  }
}

// ---------------------------------------------------------------------------

export async function etcdBench(options: EtcdBenchOptions): Promise<void> {
  const started = performance.now();
  const info = machineInfo();
  const scale = options.quick ? 0.2 : 1;
  const iterations = Math.max(60, Math.round(1500 * scale));
  const durationMs = Math.round(3000 * Math.max(scale, 0.5));
  log('Lockstep etcd backend benchmark');
  log(`  machine: ${info.cpus} CPU (${info.cpu_model}), ${info.platform}, node ${info.node}, load average ${info.load_1m} at start`);
  log(
    `  etcd: ${spawnSync('/usr/bin/etcd', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? 'unknown'}, clusters of ${options.members.join(' and ')} member(s) on loopback, data in ${info.tmpdir} (${info.filesystem})`,
  );
  log();
  const targets: Target[] = [];
  const json: Record<string, unknown> = { machine: info, quick: options.quick, clusters: {} };

  for (const members of options.members) {
    log(`== ${members} member${members === 1 ? '' : 's'} ==`);
    const t0 = performance.now();
    const cluster: EtcdCluster = await startCluster({ members });
    log(`  cluster healthy in ${fmt((performance.now() - t0) / 1000, 1)} s: ${cluster.endpoints.join(', ')}`);
    const figures: Record<string, unknown> = {};
    try {
      const endpoints = cluster.endpoints;
      log(`[1] single-process commits (updateTaskState), ${iterations} per runner in interleaved rounds`);
      const single = await runSingle([etcdRunner(endpoints, iterations), rawTxnRunner(endpoints, iterations), fileRunner(iterations)], 10);
      const etcd = single.get('etcd')!;
      const raw = single.get('raw etcd3 Txn')!;
      const file = single.get('file backend')!;
      const row = (r: SingleResult, note: string) =>
        log(
          `  ${pad(r.name, 16)} ${pad(fmt(r.throughput, 0), 7)} ops/s  p50 ${pad(fmt(r.p50_ms, 2), 6)} ms  p99 ${pad(fmt(r.p99_ms, 2), 6)} ms  ${note}`,
        );
      row(etcd, '');
      row(raw, `etcd/raw ${fmt(etcd.throughput / raw.throughput)} (paired ${fmt(pairedRatio(etcd, raw))})`);
      row(file, `etcd/file ${fmt(etcd.throughput / file.throughput)} (paired ${fmt(pairedRatio(etcd, file))})`);
      const vsRaw = pairedRatio(etcd, raw);
      targets.push(
        {
          figure: `${members}m: sequential commits`,
          target: `prototype ${PROTOTYPE[members]?.sequential ?? '-'}`,
          measured: `${fmt(etcd.throughput, 0)} ops/s, p50 ${fmt(etcd.p50_ms, 2)} ms, p99 ${fmt(etcd.p99_ms, 2)} ms`,
          pass: null,
        },
        { figure: `${members}m: commits / raw etcd3 Txn`, target: '>= 0.70', measured: fmt(vsRaw), pass: vsRaw >= 0.7 },
        {
          figure: `${members}m: commits / file backend`,
          target: '(reported)',
          measured: `${fmt(pairedRatio(etcd, file))} (${fmt(file.throughput, 0)} ops/s on files)`,
          pass: null,
        },
      );
      figures.single = Object.fromEntries(
        [...single.values()].map((r) => [r.name, { ops_s: round(r.throughput, 1), p50_ms: round(r.p50_ms), p99_ms: round(r.p99_ms) }]),
      );
      figures.ratios = { etcd_vs_raw: round(vsRaw), etcd_vs_file: round(pairedRatio(etcd, file)) };

      log(`[2] 4 processes on one task, ${durationMs / 1000} s each`);
      const contention: ContentionFigures[] = [];
      for (const mode of ['plain', 'cas', 'locked'] as const) {
        const c = await runContention(endpoints, mode, 4, durationMs);
        contention.push(c);
        log(
          `  ${pad(mode, 7)} ${pad(`${fmt(c.throughput, 0)} upd/s`, 12)} update p50 ${pad(`${fmt(c.update_p50_ms, 1)} ms`, 9)} p99 ${pad(`${fmt(c.update_p99_ms, 1)} ms`, 10)} conflicts ${pad(String(c.conflicts), 5)} timeouts ${c.timeouts}  lost ${c.lost} of ${c.updates}`,
        );
      }
      const lost = contention.reduce((s, c) => s + Math.abs(c.lost), 0);
      targets.push({
        figure: `${members}m: 4 procs, 1 task, lost updates`,
        target: '0',
        measured: `${lost} (cas ${fmt(contention[1]!.throughput, 0)} upd/s)`,
        pass: lost === 0,
      });
      figures.contention = contention.map((c) => ({
        ...c,
        throughput: round(c.throughput, 1),
        update_p50_ms: round(c.update_p50_ms),
        update_p99_ms: round(c.update_p99_ms),
        lock_wait_p99_ms: round(c.lock_wait_p99_ms),
      }));

      log(`[3] 16 commits in flight on 16 tasks, one process, ${durationMs / 1000} s`);
      const onEtcd = openStateStore({ etcd: { endpoints, namespace: freshNamespace('flight') } });
      const flightDir = makeTempDir('flight');
      const onFiles = openStateStore({ root: flightDir, fsync: true });
      let sixteen: number;
      let sixteenFiles: number;
      try {
        sixteen = await inFlight(onEtcd, 16, durationMs);
        sixteenFiles = await inFlight(onFiles, 16, durationMs);
      } finally {
        await onEtcd.close();
        await onFiles.close();
        removeDir(flightDir);
      }
      log(`  etcd ${fmt(sixteen, 0)} ops/s; file backend ${fmt(sixteenFiles, 0)} ops/s (etcd/file ${fmt(sixteen / sixteenFiles)})`);
      targets.push({
        figure: `${members}m: 16 tasks in flight`,
        target: `prototype ${PROTOTYPE[members]?.sixteen ?? '-'}`,
        measured: `${fmt(sixteen, 0)} ops/s (files ${fmt(sixteenFiles, 0)})`,
        pass: null,
      });
      figures.in_flight_16 = { etcd_ops_s: round(sixteen, 1), file_ops_s: round(sixteenFiles, 1) };

      log('[4] write lock handed over after kill -9 of its holder (lease 2 s; etcd counts whole seconds), 3 times');
      const handovers: number[] = [];
      for (let k = 0; k < 3; k++) handovers.push(await handover(endpoints));
      log(`  ${handovers.map((ms) => `${fmt(ms / 1000, 2)} s`).join(', ')}`);
      const worst = Math.max(...handovers);
      targets.push({
        figure: `${members}m: lock free after kill -9`,
        target: '<= 2.5 s (lease + 0.5 s)',
        measured: `${handovers.map((ms) => fmt(ms / 1000, 2)).join(' / ')} s (prototype ${PROTOTYPE[members]?.handover ?? '-'})`,
        pass: worst <= 2500,
      });
      figures.handover_ms = handovers.map((ms) => round(ms, 0));

      if (members === options.members[0]) {
        log('[5] CLI start-up: task get, median of 10 interleaved runs after a warm-up');
        const cli = await cliStartup(endpoints, 10);
        log(
          `  node -e 0 ${fmt(cli.node, 0)} ms; --root ${fmt(cli.files, 0)} ms (${fmt(cli.files / cli.node)}x); --etcd ${fmt(cli.etcd, 0)} ms (${fmt(cli.etcd / cli.node)}x, +${fmt(cli.etcd - cli.files, 0)} ms over --root)`,
        );
        targets.push({
          figure: 'CLI start-up --etcd / --root',
          target: '(reported)',
          measured: `${fmt(cli.etcd, 0)} / ${fmt(cli.files, 0)} ms (node -e 0: ${fmt(cli.node, 0)} ms)`,
          pass: null,
        });
        json.cli_ms = { node: round(cli.node, 1), files: round(cli.files, 1), etcd: round(cli.etcd, 1) };
      }
    } finally {
      await cluster.stop();
    }
    (json.clusters as Record<string, unknown>)[String(members)] = figures;
    log();
  }

  log('Summary');
  log(`  ${pad('figure', 34)} ${pad('target', 26)} ${pad('measured', 56)} result`);
  for (const t of targets)
    log(`  ${pad(t.figure, 34)} ${pad(t.target, 26)} ${pad(t.measured, 56)} ${t.pass === null ? '-' : t.pass ? 'PASS' : 'MISS'}`);
  const seconds = (performance.now() - started) / 1000;
  log(
    `  bench took ${fmt(seconds, 1)} s; load average ${fmt(loadavg()[0]!, 2)} at the end (other processes on the machine skew the figures)`,
  );
  if (options.json) {
    json.targets = targets.map((t) => ({ ...t, result: t.pass === null ? null : t.pass ? 'PASS' : 'MISS' }));
    json.seconds = round(seconds, 1);
    log();
    log(JSON.stringify(json, null, 2));
  }
}
