// The etcd side of a robustness run: raw reads of the namespace's keys (the
// observer's "any other tool"), and the namespace dumped once the workers
// stopped, read at one revision into the run folder, so the checker judges
// what the cluster held and a kept run can be judged again without it.
//
//   etcd-dump.jsonl   {"revision": R} then one {"key", "value"} per key (values as stored, UTF-8)
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { EtcdConnection } from '../../engine/etcd/connection.ts';
import { KeyLayout, prefixRange } from '../../engine/etcd/keys.ts';
import type { CheckpointFile, HistoryEntry, RunData } from './events.ts';
import { taskIdsOfJson, versionOfJson, type RawRead, type RawReader, type Target } from './target.ts';

type EtcdTarget = Extract<Target, { backend: 'etcd' }>;

export class EtcdRawReader implements RawReader {
  private readonly conn: EtcdConnection;
  private readonly keys: KeyLayout;

  constructor(target: EtcdTarget) {
    this.conn = new EtcdConnection({ endpoints: target.endpoints, namespace: target.namespace });
    this.keys = new KeyLayout(target.namespace);
  }

  /** The value of one key: a string, null if there is none, undefined if no member answered. */
  private async value(key: string): Promise<string | null | undefined> {
    try {
      const { kvs } = await this.conn.range({ key: Buffer.from(key) });
      return kvs[0] ? kvs[0].value.toString('utf8') : null;
    } catch {
      return undefined;
    }
  }

  async taskVersion(task: string): Promise<RawRead> {
    const text = await this.value(this.keys.state(task));
    if (text === undefined) return { raw: null, raw_problem: 'unreachable' };
    if (text === null) return { raw: null, raw_problem: 'missing' };
    return versionOfJson(text, true);
  }

  async sessionTaskIds(sessionId: string): Promise<string[] | null | undefined> {
    const text = await this.value(this.keys.session(sessionId));
    return text === undefined ? undefined : text === null ? null : taskIdsOfJson(text);
  }

  close(): void {
    this.conn.close();
  }
}

/** Page size of the dump: stored versions carry the whole ops list, so pages stay well under gRPC's message limit. */
const PAGE = 200;

/** Every key of the namespace, read at one revision, written to `file`. Returns that revision. */
export async function dumpNamespace(target: EtcdTarget, file: string): Promise<number> {
  const conn = new EtcdConnection({ endpoints: target.endpoints, namespace: target.namespace });
  const fd = openSync(file, 'w');
  try {
    const revision = await conn.revision();
    writeSync(fd, `${JSON.stringify({ revision })}\n`);
    const { key: start, range_end } = prefixRange(new KeyLayout(target.namespace).root);
    let key = start;
    for (;;) {
      const res = await conn.range({ key, range_end, revision, limit: PAGE, sort_target: 'Key', sort_order: 'Ascend' });
      for (const kv of res.kvs) writeSync(fd, `${JSON.stringify({ key: kv.key.toString('utf8'), value: kv.value.toString('utf8') })}\n`);
      if (!res.more || res.kvs.length === 0) return revision;
      key = Buffer.concat([res.kvs[res.kvs.length - 1]!.key, Buffer.from([0])]);
    }
  } finally {
    closeSync(fd);
    conn.close();
  }
}

function parseObject(text: string): { ok: true; value: Record<string, unknown> } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `is not valid JSON (${(err as Error).message})` };
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? { ok: true, value: value as Record<string, unknown> }
    : { ok: false, reason: 'is not a JSON object' };
}

/** A stored version (`{"op", "state"}`, see engine/etcd/codec.ts) as the checker's history entry, and its operation id. */
function historyEntry(text: string): { entry: HistoryEntry; op?: string } {
  const parsed = parseObject(text);
  if (!parsed.ok) return { entry: parsed };
  const { state, op } = parsed.value;
  return typeof state === 'object' && state !== null && !Array.isArray(state)
    ? { entry: { ok: true, state: state as Record<string, unknown> }, ...(typeof op === 'string' ? { op } : {}) }
    : { entry: { ok: false, reason: 'has no state object' } };
}

export interface EtcdDump {
  revision: number;
  history: RunData['history'];
  write_ids: NonNullable<RunData['write_ids']>;
  checkpoints: RunData['checkpoints'];
  raw_versions: Record<string, number | null>;
  session_task_ids: string[] | null;
}

/** What the checker needs from a dump: each task's history and current version, the checkpoints, the session. */
export function loadDump(file: string, namespace: string, taskIds: string[], sessionId: string): EtcdDump {
  const keys = new KeyLayout(namespace);
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const { revision } = JSON.parse(lines[0]!) as { revision: number };
  const out: EtcdDump = {
    revision,
    history: Object.fromEntries(taskIds.map((t) => [t, {}])),
    write_ids: Object.fromEntries(taskIds.map((t) => [t, {}])),
    checkpoints: {},
    raw_versions: Object.fromEntries(taskIds.map((t) => [t, null])),
    session_task_ids: null,
  };
  const checkpointPrefix = `${namespace}/checkpoint-data/`;
  for (const line of lines.slice(1)) {
    const { key, value } = JSON.parse(line) as { key: string; value: string };
    if (key === keys.session(sessionId)) {
      out.session_task_ids = taskIdsOfJson(value);
      continue;
    }
    if (key.startsWith(checkpointPrefix)) {
      const id = key.slice(checkpointPrefix.length);
      const parsed = parseObject(value);
      const session = parsed.ok ? (parsed.value.session as { task_ids?: unknown } | undefined) : undefined;
      const tasks = parsed.ok ? parsed.value.tasks : undefined;
      out.checkpoints[id] =
        Array.isArray(session?.task_ids) && typeof tasks === 'object' && tasks !== null
          ? { id, session_task_ids: session.task_ids as string[], tasks: tasks as CheckpointFile['tasks'] }
          : { invalid: parsed.ok ? 'missing session.task_ids or tasks' : parsed.reason };
      continue;
    }
    for (const task of taskIds) {
      if (key === keys.state(task)) out.raw_versions[task] = versionOfJson(value, true).raw;
      else if (key.startsWith(keys.historyPrefix(task))) {
        const version = Number(key.slice(keys.historyPrefix(task).length));
        if (!Number.isInteger(version)) continue;
        const { entry, op } = historyEntry(value);
        out.history[task]![version] = entry;
        if (op !== undefined) out.write_ids[task]![version] = op;
      }
    }
  }
  return out;
}
