// Small utilities for worker processes: command-line options, stdin lines, output.
import { createInterface, type Interface } from 'node:readline';
import type { Lock, StateStore } from '../../engine/backend.ts';
import type { StoreConfig } from '../../engine/config.ts';
import { openStateStore, VersionConflictError } from '../../engine/index.ts';

/** `--key value` pairs from argv (values are strings). */
export function options(argv = process.argv.slice(2)): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]!;
    if (!key.startsWith('--')) throw new Error(`bad worker argument ${key}`);
    out.set(key.slice(2), argv[i + 1] ?? '');
  }
  return out;
}

export function required(opts: Map<string, string>, key: string): string {
  const v = opts.get(key);
  if (v === undefined) throw new Error(`worker needs --${key}`);
  return v;
}

export function print(value: unknown): void {
  process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value)}\n`);
}

// stdin is only read by workers that ask for lines, so the others can exit on their own.
let rl: Interface | null = null;
const queued: string[] = [];
const pending: ((line: string | null) => void)[] = [];
let closed = false;

function reader(): Interface {
  if (rl) return rl;
  rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const next = pending.shift();
    if (next) next(line);
    else queued.push(line);
  });
  rl.on('close', () => {
    closed = true;
    for (const p of pending.splice(0)) p(null);
  });
  return rl;
}

/** The next line on stdin, or null at end of input. */
export function nextLine(): Promise<string | null> {
  reader();
  const line = queued.shift();
  if (line !== undefined) return Promise.resolve(line);
  if (closed) return Promise.resolve(null);
  return new Promise((resolve) => pending.push(resolve));
}

/** Stop reading stdin so the process can exit once its work is done. */
export function stopReading(): void {
  rl?.close();
  process.stdin.destroy();
}

/**
 * Say "ready", wait for the test's go-ahead line and return it, then stop
 * reading stdin: a test starts all its workers at the same moment this way,
 * and a worker that has finished can exit.
 */
export async function readyThenGo(): Promise<string | null> {
  print('ready');
  const line = await nextLine();
  stopReading();
  return line;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function errorInfo(err: unknown): { name: string; code: string; message: string } {
  const e = err as { name?: string; code?: string; message?: string };
  return { name: e?.name ?? 'Error', code: e?.code ?? '', message: e?.message ?? String(err) };
}

/** The store a worker runs on: `--root DIR` (files) or `--etcd URL[,URL] --ns NAME` (etcd; see test/backends.ts). */
export function openWorkerStore(opts: Map<string, string>, config: Partial<StoreConfig> = {}): StateStore {
  const etcd = opts.get('etcd');
  if (etcd) return openStateStore({ etcd: { endpoints: etcd.split(','), namespace: required(opts, 'ns') }, ...config });
  return openStateStore({ root: required(opts, 'root'), ...config });
}

/**
 * Optimistic read-increment-write `count` times: read the task, write
 * counter+1 with the version read as expectedVersion, retry on
 * VersionConflictError. Prints {done, conflicts} (and the error, if another
 * one stopped it).
 */
export async function runIncrements(store: StateStore, taskId: string, count: number): Promise<void> {
  let conflicts = 0;
  let done = 0;
  try {
    while (done < count) {
      const current = await store.getTaskState(taskId);
      const counter = typeof current?.counter === 'number' ? current.counter : 0;
      try {
        await store.updateTaskState(taskId, { counter: counter + 1, last_writer: process.pid }, { expectedVersion: current?.version ?? 0 });
        done++;
      } catch (err) {
        if (!(err instanceof VersionConflictError)) throw err;
        conflicts++;
      }
    }
    print({ done, conflicts });
  } catch (err) {
    print({ done, conflicts, error: errorInfo(err) });
    process.exitCode = 1;
  }
}

/**
 * The paused holder's last act: waits for "commit", then writes under `lock`
 * (which it may no longer own) with expectedVersion `version`, prints the
 * outcome (and the versions a conflict names), then whether the lock still refreshes.
 */
export async function commitOnCue(store: StateStore, taskId: string, lock: Lock, version: number): Promise<void> {
  await nextLine();
  stopReading();
  try {
    const state = await store.updateTaskState(taskId, { by: 'paused-holder' }, { lock, expectedVersion: version });
    print({ result: 'committed', version: state.version });
  } catch (err) {
    const e = err as { expectedVersion?: number | null; actualVersion?: number | null };
    print({ result: 'error', ...errorInfo(err), expected: e.expectedVersion ?? null, actual: e.actualVersion ?? null });
  }
  print({ refreshed: await store.refreshLock(lock) });
}
