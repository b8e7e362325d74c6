// Shared helpers for the engine and CLI tests: temp roots, real child
// processes (workers and the CLI), line-oriented waiting, tree listings.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname, tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { HOST_TAG } from '../engine/locks/ticket.ts';
import { openStateStore, type FileStateStore, type OpenOptions, type StoreOptions } from '../engine/index.ts';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import type { AuditEntry } from '../../shared/model.ts';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(REPO, 'main', 'cli', 'bin.ts');
export const WORKERS = join(REPO, 'main', 'test', 'workers');

// ---- temp roots -------------------------------------------------------------

const roots = new Set<string>();

/** A fresh temp directory; removed by removeTempDirs() (call it in afterEach). */
export function makeTempDir(prefix = 'lockstep-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  roots.add(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of roots) rmSync(dir, { recursive: true, force: true });
  roots.clear();
}

// ---- stores -------------------------------------------------------------------

const tempStores = new Set<FileStateStore>();

/** A file store on a fresh temp root; cleanUpAfterEach closes it, also after a test that failed half-way. */
export function openTempStore(options: Omit<OpenOptions, 'root'> = {}): { root: string; store: FileStateStore } {
  const root = makeTempDir();
  const store = openStateStore({ ...options, root });
  tempStores.add(store);
  return { root, store };
}

/**
 * Lay out a store (a folder or an etcd namespace) holding these tasks, and
 * close it again: what the app, server or command under test then finds.
 */
export async function seedStore(options: StoreOptions, tasks: Record<string, Record<string, unknown>>): Promise<void> {
  const store = openStateStore(options);
  try {
    await store.init();
    for (const [id, fields] of Object.entries(tasks)) await store.updateTaskState(id, fields);
  } finally {
    await store.close();
  }
}

// ---- trees --------------------------------------------------------------------

/** Every file and folder under `dir`, as sorted relative paths (folders end with '/'). */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const name of names) {
      const full = join(d, name);
      let isDir: boolean;
      try {
        isDir = statSync(full).isDirectory();
      } catch {
        continue; // removed while we listed (another process is working here)
      }
      out.push(relative(dir, full) + (isDir ? '/' : ''));
      if (isDir) walk(full);
    }
  };
  walk(dir);
  return out.sort();
}

/** Files under `dir` whose base name satisfies `match`. */
export function findFiles(dir: string, match: (name: string) => boolean): string[] {
  return listTree(dir).filter((p) => !p.endsWith('/') && match(p.split('/').pop()!));
}

/** Every audit log line under root (all days), parsed; unparseable lines are skipped. */
export function readAuditLines(root: string): AuditEntry[] {
  const logs = join(root, 'logs');
  const out: AuditEntry[] = [];
  let names: string[];
  try {
    names = readdirSync(logs)
      .filter((n) => n.startsWith('audit-') && n.endsWith('.jsonl'))
      .sort();
  } catch {
    return out;
  }
  for (const name of names) {
    for (const line of readFileSync(join(logs, name), 'utf8').split('\n')) {
      if (!line) continue;
      try {
        out.push(JSON.parse(line) as AuditEntry);
      } catch {
        /* torn line */
      }
    }
  }
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---- child processes --------------------------------------------------------

const live = new Set<ChildProcess>();

/** Kill (SIGKILL) every child still running; call in afterEach so no test leaks processes. */
export async function killChildren(): Promise<void> {
  const waits: Promise<unknown>[] = [];
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) {
      waits.push(new Promise((resolve) => child.once('close', resolve)));
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  }
  live.clear();
  await Promise.all(waits);
}

/**
 * For a test file that starts processes and makes temp dirs: after each of
 * its tests, every child still running is killed, every openTempStore store
 * closed and every temp dir removed, so no test leaks into the next.
 */
export function cleanUpAfterEach(): void {
  afterEach(async () => {
    await killChildren();
    for (const store of tempStores) store.close();
    tempStores.clear();
    removeTempDirs();
  });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running child with its stdout split into lines. */
export class Proc {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<Exit>;
  readonly spawnedAt = Date.now();
  private buffered = '';
  private readonly waiters: { test: (line: string) => boolean; resolve: (line: string) => void }[] = [];

  constructor(child: ChildProcess) {
    this.child = child;
    live.add(child);
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      this.buffered += chunk;
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) !== -1) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        this.lines.push(line);
        for (const w of [...this.waiters]) {
          if (w.test(line)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      }
    });
    child.stderr!.on('data', (chunk: string) => (this.stderr += chunk));
    // stdin may be closed by a child that exits: never let EPIPE crash the test runner.
    child.stdin?.on('error', () => {});
    this.exited = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        live.delete(child);
        resolve({ code, signal });
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves with the first line (already printed or future) passing `test`. */
  waitForLine(test: (line: string) => boolean = () => true, timeoutMs = 20_000): Promise<string> {
    const seen = this.lines.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        test,
        resolve: (line: string) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(
          new Error(
            `pid ${this.pid}: no matching line within ${timeoutMs} ms; stdout=${JSON.stringify(this.lines.slice(-5))} stderr=${this.stderr.slice(-2000)}`,
          ),
        );
      }, timeoutMs);
      this.waiters.push(waiter);
      void this.exited.then(() => {
        // Give a last 'data' event a chance to arrive before reporting.
        setTimeout(() => {
          if (this.waiters.includes(waiter)) {
            this.waiters.splice(this.waiters.indexOf(waiter), 1);
            clearTimeout(timer);
            reject(
              new Error(
                `pid ${this.pid} exited before printing a matching line; stdout=${JSON.stringify(this.lines.slice(-5))} stderr=${this.stderr.slice(-2000)}`,
              ),
            );
          }
        }, 50);
      });
    });
  }

  /** The first JSON line passing `test` (lines that are not JSON are skipped). */
  async waitForJson<T = Record<string, unknown>>(test: (value: T) => boolean = () => true, timeoutMs = 20_000): Promise<T> {
    const line = await this.waitForLine((l) => {
      const v = tryJson(l);
      return v !== undefined && test(v as T);
    }, timeoutMs);
    return JSON.parse(line) as T;
  }

  send(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  /** Resolves with the exit, or rejects if the child is still running after `timeoutMs`. */
  async waitExit(timeoutMs = 30_000): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`pid ${this.pid} still running after ${timeoutMs} ms; stderr=${this.stderr.slice(-2000)}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

export function tryJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** Start `main/test/workers/<name>.ts` in a new Node process. */
export function spawnWorker(name: string, args: string[] = [], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [join(WORKERS, `${name}.ts`), ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  return new Proc(child);
}

/** Start the lockstep CLI (long-running commands: lock acquire, log --follow). */
/** Resolves once `proc` (started with LOCKSTEP_TEST_PAUSE) has stopped itself at pause point `name`. */
export async function pausedAt(proc: Proc, name: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!proc.stderr.includes(`lockstep-pause ${name} `)) {
    if (Date.now() > deadline) throw new Error(`pid ${proc.pid} never reached ${name}; stderr=${proc.stderr}`);
    await sleep(10);
  }
  // The SIGSTOP follows the line, but a loaded machine may not run the process again for a while: until it
  // has really stopped, a SIGCONT sent now would be lost (and it would then stop for good).
  while (!isStopped(proc.pid)) {
    if (Date.now() > deadline) throw new Error(`pid ${proc.pid} printed its pause at ${name} but did not stop`);
    await sleep(5);
  }
}

/** Whether process `pid` is stopped (its /proc state is T); without /proc, or once it is gone, taken as stopped. */
function isStopped(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return true; // no /proc (or the process is gone): nothing more to wait for
  }
  // The state follows the command name, which is in parentheses and may itself contain ') '.
  return /^[Tt]$/.test(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '');
}

export function spawnCli(root: string, args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [BIN, '--root', root, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, LOCKSTEP_ROOT: '', ...env },
  });
  return new Proc(child);
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** stdout parsed as one JSON document (undefined if it is not one). */
  json: unknown;
}

/** Run the CLI to completion, optionally feeding stdin. */
export function runCli(root: string, args: string[], options: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<CliResult> {
  return runToExit(spawnCli(root, args), options);
}

/**
 * Run the CLI with exactly `args` (an etcd cluster's options, say) to
 * completion: no store comes from the environment, as LOCKSTEP_ROOT,
 * LOCKSTEP_ETCD and LOCKSTEP_ETCD_PASSWORD are cleared unless `env` sets them.
 */
export function runCliArgs(args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, LOCKSTEP_ROOT: '', LOCKSTEP_ETCD: '', LOCKSTEP_ETCD_PASSWORD: '', ...options.env },
  });
  return runToExit(new Proc(child), options);
}

async function runToExit(proc: Proc, options: { input?: string | Buffer; timeoutMs?: number }): Promise<CliResult> {
  const started = Date.now();
  const stdoutChunks: string[] = [];
  proc.child.stdout!.on('data', (c: string) => stdoutChunks.push(c));
  if (options.input !== undefined) proc.child.stdin!.end(options.input);
  else proc.child.stdin!.end();
  const exit = await proc.waitExit(options.timeoutMs ?? 30_000);
  const stdout = stdoutChunks.join('');
  return { ...exit, stdout, stderr: proc.stderr, ms: Date.now() - started, json: tryJson(stdout) };
}

/** What `promise` rejects with, or null if it resolves: for asserting on an error's class and fields at once. */
export function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => null,
    (e: unknown) => e,
  );
}

/** pid of a process that has exited (and been reaped): nobody owns it now. */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  const pid = child.pid!;
  await new Promise((resolve) => child.once('close', resolve));
  return pid;
}

/** Run several independent CLI invocations, `concurrency` at a time, results in order. */
export async function runCliAll(root: string, runs: { args: string[]; input?: string }[], concurrency = 4): Promise<CliResult[]> {
  const results: CliResult[] = new Array(runs.length);
  let next = 0;
  const lane = async () => {
    while (next < runs.length) {
      const i = next++;
      results[i] = await runCli(root, runs[i]!.args, { input: runs[i]!.input });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, runs.length) }, lane));
  return results;
}

// ---- lock tickets -----------------------------------------------------------

/**
 * Put a lock ticket on disk the way another process would have left it (see
 * main/engine/locks/ticket.ts): `pid` is its owner, `ageMs` how long ago its
 * lease was last refreshed, `raw` replaces the content (garbage tickets).
 */
export function plantTicket(
  lockBase: string,
  options: { seq?: number; mode?: 'read' | 'write'; pid: number; owner?: string; leaseMs?: number; ageMs?: number; raw?: string },
): string {
  const mode = options.mode ?? 'write';
  const name = `${basename(lockBase)}.${String(options.seq ?? 1).padStart(12, '0')}-${mode === 'write' ? 'w' : 'r'}-${HOST_TAG}-${options.pid}-${randomBytes(4).toString('hex')}`;
  const file = join(dirname(lockBase), name);
  const at = new Date(Date.now() - (options.ageMs ?? 0));
  writeFileSync(
    file,
    options.raw ??
      JSON.stringify({
        task_id: '',
        mode,
        token: name,
        pid: options.pid,
        host: hostname(),
        start: null,
        owner: options.owner ?? 'planted',
        since: at.toISOString(),
        acquired_at: at.toISOString(),
        lease_ms: options.leaseMs ?? 10_000,
      }),
  );
  utimesSync(file, at, at);
  return file;
}

/** Lock tickets present for `lockBase` (e.g. <task dir>/state.lock). */
export function ticketsOf(lockBase: string): string[] {
  try {
    return readdirSync(dirname(lockBase)).filter((n) => n.startsWith(`${basename(lockBase)}.`) && /\.\d{12}-[rw]-/.test(n));
  } catch {
    return [];
  }
}

/** The CLI refused with exactly one JSON error line on stderr and nothing on stdout; returns that error. */
export function singleCliError(r: CliResult): { code: string; message: string } {
  if (r.stdout !== '') throw new Error(`expected no stdout, got ${JSON.stringify(r.stdout)}`);
  const lines = r.stderr.trim().split('\n');
  if (lines.length !== 1) throw new Error(`expected one stderr line, got ${lines.length}: ${r.stderr}`);
  return (JSON.parse(lines[0]!) as { error: { code: string; message: string } }).error;
}
