// What a robustness run works on: a folder (the file backend) or a namespace
// on an etcd cluster. The driver, the workers and the observer all go through
// this module, so the load, the faults and the checker are the same on both;
// only the raw reads (what any other tool would see) differ.
//
// Processes get the target as arguments: `--root DIR`, or `--etcd URL,URL --ns NAME`.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StateStore } from '../../engine/backend.ts';
import type { StoreConfig } from '../../engine/config.ts';
import { openStateStore } from '../../engine/index.ts';

export type BackendName = 'files' | 'etcd';

export type Target = { backend: 'files'; root: string } | { backend: 'etcd'; endpoints: string[]; namespace: string };

/**
 * Lease and lock settings of a run. etcd leases count whole seconds and
 * cannot be shorter than 2 s, so its lease is 2 s; the file backend's is 1 s.
 * A long lock time-out, so waiting is never the failure; history is never
 * pruned, so the checker sees every version.
 */
export const RUN_CONFIG: Record<BackendName, Partial<StoreConfig>> = {
  files: { lease_ms: 1000, lock_timeout_ms: 15_000, max_history: 1_000_000, fsync: true },
  etcd: { lease_ms: 2000, lock_timeout_ms: 15_000, max_history: 1_000_000 },
};

export function targetArgs(target: Target): string[] {
  return target.backend === 'files' ? ['--root', target.root] : ['--etcd', target.endpoints.join(','), '--ns', target.namespace];
}

export function targetFromArgs(args: Map<string, string>): Target {
  const etcd = args.get('etcd');
  if (etcd) return { backend: 'etcd', endpoints: etcd.split(','), namespace: args.get('ns') ?? 'torture' };
  const root = args.get('root');
  if (!root) throw new Error('needs --root DIR or --etcd URLS --ns NAME');
  return { backend: 'files', root };
}

/**
 * The store a process of the run uses. On files the settings come from the
 * root's config.json (written by the driver), as for any user; on etcd they
 * are options of each client.
 */
export function openRunStore(target: Target, owner: string): StateStore {
  if (target.backend === 'files') return openStateStore({ root: target.root, owner });
  return openStateStore({ etcd: { endpoints: target.endpoints, namespace: target.namespace }, owner, ...RUN_CONFIG.etcd });
}

/** The first call loads and connects the client; retried while a killed etcd member is the one it tried. */
export async function connect(store: StateStore): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await store.feedCursor();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** One raw read of a task's current version, as another tool would see it. */
export interface RawRead {
  raw: number | null;
  /** missing / torn: what a reader must never see. unreachable: the read itself failed (a member was down), not judged. */
  raw_problem?: 'missing' | 'torn' | 'unreachable';
}

/** Reads that bypass the engine: the stored current version of a task, and the session's task list. */
export interface RawReader {
  taskVersion(task: string): Promise<RawRead>;
  /** null: the session could not be read as a session. undefined: the read failed (etcd member down), not judged. */
  sessionTaskIds(sessionId: string): Promise<string[] | null | undefined>;
  close(): void;
}

export function versionOfJson(text: string, wrapped: boolean): RawRead {
  try {
    const parsed = JSON.parse(text) as { version?: unknown; state?: { version?: unknown } };
    const version = wrapped ? parsed.state?.version : parsed.version;
    return typeof version === 'number' ? { raw: version } : { raw: null, raw_problem: 'torn' };
  } catch {
    return { raw: null, raw_problem: 'torn' };
  }
}

export function taskIdsOfJson(text: string): string[] | null {
  try {
    const ids = (JSON.parse(text) as { task_ids?: unknown }).task_ids;
    return Array.isArray(ids) ? (ids as string[]) : null;
  } catch {
    return null;
  }
}

class FileRawReader implements RawReader {
  private readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  async taskVersion(task: string): Promise<RawRead> {
    let text: string;
    try {
      text = readFileSync(join(this.root, 'tasks', `task-${task}`, 'state.json'), 'utf8');
    } catch {
      return { raw: null, raw_problem: 'missing' };
    }
    return versionOfJson(text, false);
  }

  async sessionTaskIds(sessionId: string): Promise<string[] | null> {
    try {
      return taskIdsOfJson(readFileSync(join(this.root, 'sessions', `${sessionId}.json`), 'utf8'));
    } catch {
      return null;
    }
  }

  close(): void {}
}

export async function openRawReader(target: Target): Promise<RawReader> {
  if (target.backend === 'files') return new FileRawReader(target.root);
  const { EtcdRawReader } = await import('./etcd-target.ts');
  return new EtcdRawReader(target);
}

/** Ids of the checkpoints there are now, for a restore to pick from (an empty list if they cannot be listed now). */
export async function checkpointIds(target: Target, store: StateStore): Promise<string[]> {
  if (target.backend === 'files') {
    return readdirSync(join(target.root, 'checkpoints'))
      .filter((n) => /^checkpoint-.+\.json$/.test(n))
      .map((n) => n.slice('checkpoint-'.length, -'.json'.length));
  }
  try {
    return (await store.listCheckpoints()).map((c) => c.id);
  } catch {
    return [];
  }
}
