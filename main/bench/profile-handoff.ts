// Where does a contended lock hand-off spend its time? 4 processes update one
// task (plain updates, fsync on). Each process wraps the lock manager's
// acquire and release and the waker from outside (nothing is added to the
// engine) and records, on a clock shared by processes, when each lock was
// requested, granted and released (CLOCK_MONOTONIC), how often the waiter woke, and how many
// times it listed the folder. The parent merges the holds in time order:
//
//   hand-off = next holder's grant − previous holder's release (the lock is idle)
//   hold     = grant → release (the commit itself, under the lock)
//
//   node main/bench/profile-handoff.ts [--seconds S] [--processes P] [--store-config '{…}']
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { makeTempDir, percentile, removeDir, taskPayload } from './common.ts';

interface Hold {
  worker: number;
  requestedAt: number;
  grantedAt: number;
  releasedAt: number;
  /** Times the waiter slept and woke before it was granted. */
  wakes: number;
  /** Wakes that ended on the waker's timer rather than a change it watched. */
  timerWakes: number;
  /** Folder listings made while acquiring. */
  listings: number;
  /** Time spent in fsync while holding (the commit's durable part, when it was not contended). */
  fsyncMs: number;
  /** Time spent in fsync after the release (a contended commit hands its lock on first: tasks.ts). */
  syncAfterMs: number;
  /** CPU (user + system) this process used from request to grant: queueing, waking, looking. */
  acquireCpuMs: number;
}

/** CLOCK_MONOTONIC, one clock for every process of the machine (performance.timeOrigin differs by up to a millisecond). */
const now = () => Number(process.hrtime.bigint()) / 1e6;
const args = process.argv.slice(2);
const argOf = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);

if (args[0] === '--child') await child(JSON.parse(args[1]!) as ChildConfig);
else await parent();

interface ChildConfig {
  root: string;
  worker: number;
  durationMs: number;
  store: Record<string, unknown>;
}

async function child(config: ChildConfig): Promise<void> {
  let listings = 0;
  const fsAny = fs as unknown as Record<string, (...a: unknown[]) => unknown>;
  const readdir = fsAny.readdirSync!;
  fsAny.readdirSync = function counted(this: unknown, ...a: unknown[]) {
    listings++;
    return readdir.apply(this, a);
  };
  const fsync = fsAny.fsyncSync!;
  fsAny.fsyncSync = function timed(this: unknown, ...a: unknown[]) {
    const t0 = now();
    try {
      return fsync.apply(this, a);
    } finally {
      if (current && current.grantedAt > 0) current.fsyncMs += now() - t0;
      else if (!current && lastReleased) lastReleased.syncAfterMs += now() - t0;
    }
  };
  syncBuiltinESMExports();
  const { openStateStore } = await import('../engine/index.ts');
  const { LockManager } = await import('../engine/locks.ts');
  // The waker's class (FolderWaker before it watched single tickets), so the profile also runs on older trees.
  const wakerModule = (await import('../engine/locks/waker.ts')) as Record<string, { prototype: object }>;
  const Waker = (wakerModule.LockWaker ?? wakerModule.FolderWaker)!;
  const holds: Hold[] = [];
  let current: Hold | null = null;
  let lastReleased: Hold | null = null;
  const manager = LockManager.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const acquire = manager.acquire!;
  manager.acquire = async function timed(this: unknown, ...a: unknown[]) {
    const hold: Hold = {
      worker: config.worker,
      requestedAt: now(),
      grantedAt: 0,
      releasedAt: 0,
      wakes: 0,
      timerWakes: 0,
      listings: 0,
      fsyncMs: 0,
      syncAfterMs: 0,
      acquireCpuMs: 0,
    };
    const cpu0 = process.cpuUsage();
    current = hold;
    const before = listings;
    const held = await acquire.apply(this, a);
    hold.grantedAt = now();
    const cpu = process.cpuUsage(cpu0);
    hold.acquireCpuMs = (cpu.user + cpu.system) / 1000;
    hold.listings = listings - before;
    return held;
  };
  const release = manager.release!;
  manager.release = function timed(this: unknown, ...a: unknown[]) {
    // Taken before the ticket's unlink: taken after, a preempted releaser would look like it overlapped the next holder.
    const releasedAt = now();
    const result = release.apply(this, a);
    if (current) {
      current.releasedAt = releasedAt;
      holds.push(current);
      lastReleased = current;
      current = null;
    }
    return result;
  };
  const waker = Waker.prototype as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  const wait = waker.wait!;
  waker.wait = async function timed(this: unknown, ...a: unknown[]) {
    const ms = Number(a[0]);
    const t0 = now();
    const r = await wait.apply(this, a);
    if (current) {
      current.wakes++;
      if (now() - t0 >= ms - 0.05) current.timerWakes++;
    }
    return r;
  };

  const store = openStateStore({ ...config.store, root: config.root, owner: `w${config.worker}` });
  for (let i = 0; i < 30; i++) await store.updateTaskState(`warm-${config.worker}`, taskPayload(i, config.worker));
  // A common start once every process is warm (the parent sends it when all are ready).
  const startAt = await new Promise<number>((resolve) => {
    process.on('message', (at: number) => resolve(at));
    process.send!('ready');
  });
  await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())));
  const end = startAt + config.durationMs;
  holds.length = 0;
  const cpuBefore = process.cpuUsage();
  let i = 0;
  while (Date.now() < end) await store.updateTaskState('hot', taskPayload(i++, config.worker));
  store.close();
  const cpu = process.cpuUsage(cpuBefore);
  process.stdout.write(JSON.stringify({ holds, cpuMs: (cpu.user + cpu.system) / 1000 }));
  process.disconnect();
}

async function parent(): Promise<void> {
  const seconds = Number(argOf('--seconds', '3'));
  const processes = Number(argOf('--processes', '4'));
  const storeConfig = JSON.parse(argOf('--store-config', '{}')) as Record<string, unknown>;
  const { openStateStore } = await import('../engine/index.ts');
  const root = makeTempDir('profile-handoff');
  try {
    const store = openStateStore({ root });
    await store.init();
    await store.updateTaskState('hot', { counter: 0 });
    store.close();
    let ready = 0;
    const children: ReturnType<typeof spawn>[] = [];
    const outputs = await Promise.all(
      Array.from({ length: processes }, (_, worker) => {
        const config: ChildConfig = { root, worker, durationMs: seconds * 1000, store: storeConfig };
        const c = spawn(process.execPath, [import.meta.filename, '--child', JSON.stringify(config)], {
          stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
        });
        children.push(c);
        c.on('message', () => {
          if (++ready === processes) for (const each of children) each.send(Date.now() + 200);
        });
        let out = '';
        c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
        return new Promise<{ holds: Hold[]; cpuMs: number }>((res, rej) =>
          c.on('exit', (code) => (code === 0 ? res(JSON.parse(out) as { holds: Hold[]; cpuMs: number }) : rej(new Error(`child ${code}`)))),
        );
      }),
    );
    const holds = outputs.flatMap((o) => o.holds).sort((a, b) => a.grantedAt - b.grantedAt);
    const cpuMs = outputs.reduce((s, o) => s + o.cpuMs, 0);
    const handoffs: number[] = [];
    const holdMs: number[] = [];
    let overlaps = 0;
    for (let k = 0; k < holds.length; k++) {
      holdMs.push(holds[k]!.releasedAt - holds[k]!.grantedAt);
      if (k === 0) continue;
      const gap = holds[k]!.grantedAt - holds[k - 1]!.releasedAt;
      if (gap < 0) overlaps++;
      // Only hand-offs to a process that was already waiting: otherwise the lock was simply idle.
      else if (holds[k]!.requestedAt < holds[k - 1]!.releasedAt) handoffs.push(gap);
    }
    const span = (holds.at(-1)!.releasedAt - holds[0]!.grantedAt) / 1000;
    const q = (xs: number[]) =>
      `p50 ${percentile(xs, 50).toFixed(3)} p90 ${percentile(xs, 90).toFixed(3)} p99 ${percentile(xs, 99).toFixed(3)} ms`;
    const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
    const waits = holds.map((h) => h.grantedAt - h.requestedAt);
    console.log(`${processes} processes, 1 task, ${seconds} s, fsync on, store ${JSON.stringify(storeConfig)}`);
    console.log(
      `  commits ${holds.length} (${(holds.length / span).toFixed(0)}/s); per process ${[...Array(processes).keys()].map((w) => holds.filter((h) => h.worker === w).length).join('/')}`,
    );
    console.log(`  hold (under the lock)   ${q(holdMs)}; ${((sum(holdMs) / 1000 / span) * 100).toFixed(0)}% of the time`);
    console.log(`    of which fsync        ${q(holds.map((h) => h.fsyncMs))}`);
    const handedOnFirst = holds.filter((h) => h.syncAfterMs > 0);
    console.log(
      `  fsync after release     ${q(handedOnFirst.map((h) => h.syncAfterMs))}; ${handedOnFirst.length} of ${holds.length} commits handed the lock on first`,
    );
    console.log(
      `  hand-off (lock idle)    ${q(handoffs)}; ${((sum(handoffs) / 1000 / span) * 100).toFixed(0)}% of the time (${handoffs.length} hand-offs to a waiter)`,
    );
    console.log(`  lock wait               ${q(waits)}`);
    console.log(
      `  per acquisition: wakes ${(sum(holds.map((h) => h.wakes)) / holds.length).toFixed(2)} (timer ${(sum(holds.map((h) => h.timerWakes)) / holds.length).toFixed(2)}), folder listings ${(sum(holds.map((h) => h.listings)) / holds.length).toFixed(2)}`,
    );
    console.log(
      `  CPU (user + system, every process, while running): ${((cpuMs / holds.length) * 1000).toFixed(0)} µs per commit, ${(cpuMs / 1000 / span).toFixed(2)} cores; of which acquiring ${((sum(holds.map((h) => h.acquireCpuMs)) / holds.length) * 1000).toFixed(0)} µs`,
    );
    if (overlaps > 0) console.log(`  OVERLAPPING HOLDS: ${overlaps} (exclusion broken!)`);
  } finally {
    removeDir(root);
  }
}
