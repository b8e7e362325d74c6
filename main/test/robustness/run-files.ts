// Where a robustness run keeps its records, and loading them back for the
// checker. A run folder holds:
//   meta.json              lease, session id, task ids, seed
//   state/                 the state root the engine worked in (file backend)
//   etcd-dump.jsonl        the namespace as the cluster held it after the run (etcd backend, see etcd-target.ts)
//   logs/worker-*.jsonl    one journal per worker process (driver.jsonl: the setup)
//   logs/observer.jsonl    the observer's reads
//   faults.jsonl           spawns, SIGSTOP/SIGCONT, kill -9, exits, etcd member kills and restarts, from the driver
//   final.json             versions and session read after every worker stopped
//   occ/                   the occupancy markers
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDump } from './etcd-target.ts';
import type { CheckpointFile, FaultEvent, HistoryEntry, Observation, RunData, WorkerEvent } from './events.ts';
import { readJournal } from './journal.ts';
import type { Target } from './target.ts';

export interface RunMeta {
  target: Target;
  seed: number;
  lease_ms: number;
  session_id: string;
  task_ids: string[];
  seconds: number;
  workers: number;
}

export interface FinalState {
  versions: RunData['final_versions'];
  session_task_ids: string[] | null;
}

export const runPaths = (runDir: string) => ({
  meta: join(runDir, 'meta.json'),
  root: join(runDir, 'state'),
  logs: join(runDir, 'logs'),
  faults: join(runDir, 'faults.jsonl'),
  final: join(runDir, 'final.json'),
  occ: join(runDir, 'occ'),
  report: join(runDir, 'report.json'),
  dump: join(runDir, 'etcd-dump.jsonl'),
});

export function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function parseEntry(path: string): HistoryEntry {
  let value: unknown;
  try {
    value = readJson(path);
  } catch (err) {
    return { ok: false, reason: `is not valid JSON (${(err as Error).message})` };
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? { ok: true, state: value as Record<string, unknown> }
    : { ok: false, reason: 'is not a JSON object' };
}

/** Entries of a folder; none if it does not exist (yet). */
function namesIn(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function loadHistory(root: string, task: string): Record<number, HistoryEntry> {
  const dir = join(root, 'tasks', `task-${task}`, 'history');
  const out: Record<number, HistoryEntry> = {};
  for (const name of namesIn(dir)) {
    const m = /^v(\d+)\.json$/.exec(name);
    if (m) out[Number(m[1])] = parseEntry(join(dir, name));
  }
  return out;
}

function loadCheckpoints(root: string): RunData['checkpoints'] {
  const dir = join(root, 'checkpoints');
  const out: RunData['checkpoints'] = {};
  for (const name of namesIn(dir)) {
    const m = /^checkpoint-(.+)\.json$/.exec(name);
    if (!m) continue;
    try {
      const c = readJson(join(dir, name)) as { session?: { task_ids?: unknown }; tasks?: unknown };
      const taskIds = c.session?.task_ids;
      if (!Array.isArray(taskIds) || typeof c.tasks !== 'object' || c.tasks === null) throw new Error('missing session.task_ids or tasks');
      out[m[1]!] = { id: m[1]!, session_task_ids: taskIds as string[], tasks: c.tasks as CheckpointFile['tasks'] };
    } catch (err) {
      out[m[1]!] = { invalid: (err as Error).message };
    }
  }
  return out;
}

export function loadRun(runDir: string): RunData {
  const paths = runPaths(runDir);
  const meta = readJson(paths.meta) as RunMeta;
  const final = readJson(paths.final) as FinalState;
  const events: WorkerEvent[] = [];
  let observations: Observation[] = [];
  for (const name of readdirSync(paths.logs).sort()) {
    if (name === 'observer.jsonl') observations = readJournal<Observation>(join(paths.logs, name));
    else if (name.endsWith('.jsonl')) events.push(...readJournal<WorkerEvent>(join(paths.logs, name)));
  }
  const target = meta.target;
  const dump = target.backend === 'etcd' ? loadDump(paths.dump, target.namespace, meta.task_ids, meta.session_id) : null;
  return {
    ...(target.backend === 'etcd' ? { raw_label: `the state key (${target.namespace}/tasks/<id>/state)` } : {}),
    lease_ms: meta.lease_ms,
    session_id: meta.session_id,
    task_ids: meta.task_ids,
    events,
    faults: readJournal<FaultEvent>(paths.faults),
    observations,
    ...(dump ? { write_ids: dump.write_ids } : {}),
    history: dump?.history ?? Object.fromEntries(meta.task_ids.map((t) => [t, loadHistory(paths.root, t)])),
    final_versions: final.versions,
    final_session_task_ids: final.session_task_ids,
    checkpoints: dump?.checkpoints ?? loadCheckpoints(paths.root),
  };
}
