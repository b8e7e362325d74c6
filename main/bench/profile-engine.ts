// Where does a durable engine update spend its time? Wraps the synchronous
// node:fs calls the engine makes (all of its I/O is synchronous), counts them
// and times them, for the engine and for the bare floor loop, and splits the
// engine's update into phases (lock acquire, commit, release, logs, events)
// by wrapping those methods from outside (nothing is added to the engine).
//
//   node main/bench/profile-engine.ts [--updates N] [--no-fsync]
//
// Counts are exact; times include the wrapper's own overhead (~0.1 µs/call).
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { makeTempDir, removeDir, taskPayload } from './common.ts';

const WRAPPED = [
  'openSync',
  'writeSync',
  'closeSync',
  'fsyncSync',
  'linkSync',
  'renameSync',
  'unlinkSync',
  'readFileSync',
  'readdirSync',
  'mkdirSync',
  'existsSync',
  'statSync',
  'copyFileSync',
  'lstatSync',
  'fstatSync',
  'readSync',
  'utimesSync',
  'futimesSync',
  'ftruncateSync',
  'realpathSync',
] as const;
type Name = (typeof WRAPPED)[number];

const stats = new Map<string, { calls: number; ms: number }>();
/** Time per phase of an update (outermost phase only), and the fs calls made inside each. */
const phases = new Map<string, { calls: number; ms: number }>();
let phase = 'commit (the rest)';
let depth = 0;
const fsAny = fs as unknown as Record<Name, (...args: unknown[]) => unknown>;
for (const name of WRAPPED) {
  const original = fsAny[name];
  fsAny[name] = function wrapped(this: unknown, ...args: unknown[]) {
    if (depth > 0) return original.apply(this, args); // readFileSync calls openSync etc. internally
    depth++;
    const t0 = performance.now();
    try {
      return original.apply(this, args);
    } finally {
      const ms = performance.now() - t0;
      depth--;
      // Split writes by target: the audit/lock logs are appended through long-lived descriptors.
      const key = name === 'writeSync' && typeof args[1] === 'string' ? 'writeSync (log line)' : name;
      const s = stats.get(key) ?? { calls: 0, ms: 0 };
      s.calls++;
      s.ms += ms;
      stats.set(key, s);
      const ps = phases.get(`${phase} · ${key}`) ?? { calls: 0, ms: 0 };
      ps.calls++;
      ps.ms += ms;
      phases.set(`${phase} · ${key}`, ps);
    }
  };
}
syncBuiltinESMExports(); // so `import { openSync } from 'node:fs'` in the engine sees the wrappers

const args = process.argv.slice(2);
const updatesArg = args.indexOf('--updates');
const N = updatesArg >= 0 ? Number(args[updatesArg + 1]) : 2000;
const fsync = !args.includes('--no-fsync');
if (!Number.isInteger(N) || N <= 0) {
  process.stderr.write('usage: node main/bench/profile-engine.ts [--updates N] [--no-fsync]\n');
  process.exit(2);
}

const { openStateStore } = await import('../engine/index.ts');
const { LockManager } = await import('../engine/locks.ts');
const { AppendLog } = await import('../engine/audit-log.ts');
const { EventHub } = await import('../engine/events.ts');

/** Attribute the time of `proto[method]` (synchronous, or a promise that settles) to `label`. */
function timePhase(proto: object, method: string, label: string): void {
  const p = proto as Record<string, (...args: unknown[]) => unknown>;
  const original = p[method]!;
  p[method] = function phased(this: unknown, ...args: unknown[]) {
    if (phase !== 'commit (the rest)') return original.apply(this, args); // nested: the outer phase keeps it
    phase = label;
    const t0 = performance.now();
    const done = () => {
      const t = phases.get(label) ?? { calls: 0, ms: 0 };
      t.calls++;
      t.ms += performance.now() - t0;
      phases.set(label, t);
      phase = 'commit (the rest)';
    };
    let result: unknown;
    try {
      result = original.apply(this, args);
    } catch (err) {
      done();
      throw err;
    }
    if (result instanceof Promise) return result.finally(done);
    done();
    return result;
  };
}
timePhase(LockManager.prototype, 'acquire', 'lock acquire');
timePhase(LockManager.prototype, 'release', 'lock release');
timePhase(AppendLog.prototype, 'appendAudit', 'audit line');
timePhase(EventHub.prototype, 'emit', 'events');

function report(label: string, totalMs: number): void {
  const fsMs = [...stats.values()].reduce((s, v) => s + v.ms, 0);
  console.log(`\n${label}: ${N} updates, ${(totalMs / N).toFixed(3)} ms/update (${((N / totalMs) * 1000).toFixed(0)} ops/s)`);
  console.log(`  ${'call'.padEnd(22)} ${'per update'.padStart(10)} ${'µs/update'.padStart(10)} ${'µs/call'.padStart(9)}`);
  for (const [name, s] of [...stats.entries()].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(
      `  ${name.padEnd(22)} ${(s.calls / N).toFixed(2).padStart(10)} ${((s.ms / N) * 1000).toFixed(1).padStart(10)} ${((s.ms / s.calls) * 1000).toFixed(1).padStart(9)}`,
    );
  }
  const calls = [...stats.values()].reduce((s, v) => s + v.calls, 0);
  console.log(`  ${'all fs calls'.padEnd(22)} ${(calls / N).toFixed(2).padStart(10)} ${((fsMs / N) * 1000).toFixed(1).padStart(10)}`);
  console.log(`  ${'JS outside fs calls'.padEnd(22)} ${''.padStart(10)} ${(((totalMs - fsMs) / N) * 1000).toFixed(1).padStart(10)}`);
  const whole = [...phases.entries()].filter(([k]) => !k.includes(' · '));
  if (whole.length === 0) return;
  const timed = whole.reduce((s, [, v]) => s + v.ms, 0);
  whole.push(['commit (the rest)', { calls: N, ms: totalMs - timed }]);
  console.log(`  phases (µs/update; fs calls inside each, per update × µs/update):`);
  for (const [label, v] of whole.sort((a, b) => b[1].ms - a[1].ms)) {
    const inside = [...phases.entries()]
      .filter(([k]) => k.startsWith(`${label} · `))
      .sort((a, b) => b[1].ms - a[1].ms)
      .map(([k, c]) => `${k.slice(label.length + 3)} ${(c.calls / N).toFixed(2)}×${((c.ms / N) * 1000).toFixed(0)}`);
    console.log(`    ${label.padEnd(20)} ${((v.ms / N) * 1000).toFixed(1).padStart(8)}  ${inside.join(', ')}`);
  }
}

// Engine.
{
  const dir = makeTempDir('profile-engine');
  const store = openStateStore({ root: dir, fsync });
  await store.init();
  for (let i = 0; i < 200; i++) await store.updateTaskState('bench', taskPayload(i));
  stats.clear();
  phases.clear();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await store.updateTaskState('bench', taskPayload(i));
  report(`engine (fsync ${fsync ? 'on' : 'off'})`, performance.now() - t0);
  store.close();
  removeDir(dir);
}

// Floor, with the same stored bytes.
{
  const dir = makeTempDir('profile-floor');
  const once = (i: number) => {
    const data = Buffer.from(
      JSON.stringify(
        {
          ...taskPayload(i),
          task_id: 'bench',
          version: i,
          updated_at: new Date().toISOString(),
          updated_by: { owner: '', pid: process.pid, host: 'h' },
        },
        null,
        2,
      ),
    );
    const tmp = join(dir, `.tmp-${i}`);
    const fd = fs.openSync(tmp, 'wx', 0o644);
    fs.writeSync(fd, data);
    if (fsync) fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, join(dir, 'state.json'));
  };
  for (let i = 0; i < 200; i++) once(i);
  stats.clear();
  phases.clear();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) once(i);
  report(`floor (fsync ${fsync ? 'on' : 'off'})`, performance.now() - t0);
  removeDir(dir);
}
