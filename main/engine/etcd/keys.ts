// Where everything lives in the cluster, under one namespace prefix:
//
//   <ns>/tasks/<id>/state               the current version (JSON, see codec.ts)
//   <ns>/tasks/<id>/history/<v:010>     every kept version, the current one included
//   <ns>/tasks/<id>/locks/<lease>-<n>   one key per holder or waiter, ordered by create_revision
//   <ns>/sessions/<id>                  a session
//   <ns>/session-alive/<id>/<lease>     a process working on the session, on its lease: gone when it dies
//   <ns>/checkpoints/<id>               a checkpoint's summary (listing reads only these)
//   <ns>/checkpoint-data/<id>           the whole checkpoint
//   <ns>/audit/<ms:013>-<op>            one audit entry
//   <ns>/locklog/<ms:013>-<op>          one lock acquisition or time-out
//   <ns>/meta                           written by init(): the layout version
import type { StoreChange } from '../backend.ts';
import { InvalidInputError } from '../errors.ts';

/** The key prefix when none is given. */
export const DEFAULT_NAMESPACE = 'lockstep';

const NAMESPACE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** The first key after every key that starts with `prefix` (etcd's range_end for a prefix). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/** What a key's change means: one of the feed's changes, or nothing the feed reports. */
export type KeyKind = Extract<StoreChange, { kind: 'task' | 'lock' | 'session' | 'checkpoint' | 'log' }> | { kind: 'other' };

export class KeyLayout {
  readonly ns: string;
  readonly root: string;

  constructor(namespace: string) {
    if (!NAMESPACE_PATTERN.test(namespace)) {
      throw new InvalidInputError(`invalid etcd namespace ${JSON.stringify(namespace)}: must match ${NAMESPACE_PATTERN.source}`);
    }
    this.ns = namespace;
    this.root = `${namespace}/`;
  }

  get tasks(): string {
    return `${this.ns}/tasks/`;
  }
  taskPrefix(id: string): string {
    return `${this.ns}/tasks/${id}/`;
  }
  state(id: string): string {
    return `${this.ns}/tasks/${id}/state`;
  }
  historyPrefix(id: string): string {
    return `${this.ns}/tasks/${id}/history/`;
  }
  history(id: string, version: number): string {
    return `${this.historyPrefix(id)}${pad(version, 10)}`;
  }
  locksPrefix(id: string): string {
    return `${this.ns}/tasks/${id}/locks/`;
  }
  get sessions(): string {
    return `${this.ns}/sessions/`;
  }
  session(id: string): string {
    return `${this.sessions}${id}`;
  }
  get sessionsAlive(): string {
    return `${this.ns}/session-alive/`;
  }
  sessionAlivePrefix(id: string): string {
    return `${this.sessionsAlive}${id}/`;
  }
  /** The liveness mark of session `id` held by the process whose lease is `leaseId` (decimal). */
  sessionAlive(id: string, leaseId: string): string {
    return `${this.sessionAlivePrefix(id)}${BigInt(leaseId).toString(16)}`;
  }
  get checkpoints(): string {
    return `${this.ns}/checkpoints/`;
  }
  checkpoint(id: string): string {
    return `${this.checkpoints}${id}`;
  }
  checkpointData(id: string): string {
    return `${this.ns}/checkpoint-data/${id}`;
  }
  get audit(): string {
    return `${this.ns}/audit/`;
  }
  get lockLog(): string {
    return `${this.ns}/locklog/`;
  }
  /** A log entry's key: time first, so a range from a time is a `since` query. */
  logKey(prefix: string, ms: number, op: string): string {
    return `${prefix}${pad(ms, 13)}-${op}`;
  }
  get meta(): string {
    return `${this.ns}/meta`;
  }

  /** What a changed key means to a watcher. */
  classify(key: string): KeyKind {
    if (!key.startsWith(this.root)) return { kind: 'other' };
    const rest = key.slice(this.root.length);
    const m = /^tasks\/([^/]+)\/(state|history|locks)(?:\/|$)/.exec(rest);
    if (m) return m[2] === 'locks' ? { kind: 'lock', taskId: m[1]! } : { kind: 'task', taskId: m[1]! };
    const s = /^sessions\/([^/]+)$/.exec(rest) ?? /^session-alive\/([^/]+)\/[^/]+$/.exec(rest);
    if (s) return { kind: 'session', sessionId: s[1]! };
    const c = /^checkpoints\/([^/]+)$/.exec(rest);
    if (c) return { kind: 'checkpoint', checkpointId: c[1]! };
    if (rest.startsWith('audit/') || rest.startsWith('locklog/')) return { kind: 'log' };
    return { kind: 'other' };
  }
}

/** Range request fields for every key under `prefix`. */
export function prefixRange(prefix: string): { key: Buffer; range_end: Buffer } {
  const key = Buffer.from(prefix);
  return { key, range_end: prefixEnd(key) };
}
