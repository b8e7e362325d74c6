// One writer process of the contention benchmark (spawned by engine-bench.ts).
//
// argv[2] is a JSON WorkerConfig. Protocol over the IPC channel:
//   worker → parent  { type: 'ready' }            store open, warm-up done
//   parent → worker  { type: 'start', at }         common start time (epoch ms)
//   worker → parent  { type: 'result', ... }       after `durationMs`
import { openStateStore, VersionConflictError, LockTimeoutError } from '../engine/index.ts';
import { sleep, taskPayload } from './common.ts';
import { askParent, runWorkerJob, tellParent } from './ipc-worker.ts';

export type ContentionMode = 'plain' | 'cas' | 'locked';

export interface WorkerConfig {
  /** The state folder, or (with `etcd`) unused. */
  root: string;
  /** Run on an etcd cluster instead of the folder (engine-bench --backend etcd). */
  etcd?: { endpoints: string[]; namespace: string };
  taskId: string;
  worker: number;
  mode: ContentionMode;
  durationMs: number;
  /** Extra store options (e.g. backoff_max_ms), from engine-bench --store-config. */
  store?: Record<string, unknown>;
}

export interface WorkerResult {
  type: 'result';
  worker: number;
  taskId: string;
  /** Committed updates (for cas/locked: committed increments of `counter`). */
  successes: number;
  /** cas: attempts refused with VersionConflictError (each was retried). */
  conflicts: number;
  timeouts: number;
  /** Time from the call to its successful return (cas: including retries), ms. */
  latencies: number[];
  /** wait_ms of every lock acquisition, from the store's state.lock_acquired event. */
  lockWaits: number[];
  startedAt: number;
  endedAt: number;
}

async function run(config: WorkerConfig): Promise<void> {
  const where = config.etcd ? { etcd: config.etcd } : { root: config.root };
  const store = openStateStore({ ...config.store, ...where, owner: `bench-${config.worker}` });
  const lockWaits: number[] = [];
  let recording = false;
  store.on('state.lock_acquired', (e) => {
    if (recording && e.task_id === config.taskId) lockWaits.push(e.wait_ms);
  });

  // Warm-up on a private task: JIT, file descriptors of the logs, page cache.
  for (let i = 0; i < 30; i++) await store.updateTaskState(`warm-${config.worker}`, taskPayload(i, config.worker));

  const start = await askParent({ type: 'ready' }, (msg) => (msg.type === 'start' && typeof msg.at === 'number' ? msg.at : undefined));
  await sleep(start - Date.now());

  const { taskId, worker } = config;
  const latencies: number[] = [];
  let successes = 0;
  let conflicts = 0;
  let timeouts = 0;
  const deadline = start + config.durationMs;
  recording = true;
  const startedAt = Date.now();
  while (Date.now() < deadline) {
    const t0 = performance.now();
    try {
      if (config.mode === 'plain') {
        // No read, no version: the engine's lock serializes the merge.
        await store.updateTaskState(taskId, { ...taskPayload(successes, worker), [`count_w${worker}`]: successes + 1 });
      } else if (config.mode === 'cas') {
        // Optimistic read → update with expectedVersion, retried on conflict.
        for (;;) {
          const current = await store.getTaskState(taskId);
          const counter = Number(current?.counter ?? 0);
          try {
            await store.updateTaskState(
              taskId,
              { ...taskPayload(successes, worker), counter: counter + 1 },
              {
                expectedVersion: current?.version ?? 0,
              },
            );
            break;
          } catch (err) {
            if (!(err instanceof VersionConflictError)) throw err;
            conflicts++;
          }
        }
      } else {
        // Read → update under an explicitly held write lock.
        const lock = await store.acquireLock(taskId, 'write');
        try {
          const current = await store.getTaskState(taskId);
          const counter = Number(current?.counter ?? 0);
          await store.updateTaskState(taskId, { ...taskPayload(successes, worker), counter: counter + 1 }, { lock });
        } finally {
          await store.releaseLock(lock);
        }
      }
      latencies.push(performance.now() - t0);
      successes++;
    } catch (err) {
      if (!(err instanceof LockTimeoutError)) throw err;
      timeouts++;
    }
  }
  const endedAt = Date.now();
  recording = false;
  await store.close();
  const result: WorkerResult = { type: 'result', worker, taskId, successes, conflicts, timeouts, latencies, lockWaits, startedAt, endedAt };
  await tellParent(result);
}

runWorkerJob('contention-worker', 'engine-bench.ts', run);
