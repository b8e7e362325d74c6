// The robustness run's checker: a pure function from what the run recorded
// (worker journals, injected faults, observer reads, history files,
// checkpoints) to the violations it proves. Every check is stated so that a
// correct engine cannot fail it, whatever the timing and the faults:
//
//   lost-ack               an acknowledged commit is not in history (or a restore's task write is missing)
//   wrong-version          an acknowledged commit sits at another version than the one reported
//   refused-but-landed     an op refused with VersionConflict/LockTimeout was committed anyway
//   lost-update            a commit was not built on the version just before it (v = v-1 + payload)
//   duplicate-apply        an op's content appears twice and no restore explains the second copy,
//                          or (etcd) two versions carry the operation id of one commit Txn
//   phantom-version        a version whose last_op no operation of that task wrote
//   history-gap / history-invalid / current-mismatch   history is not 1..current, valid, ending at state.json
//   bad-content            counter != ops.length in some version
//   went-backwards / stale-read / torn-read            what readers saw over time
//   checkpoint-not-a-state a checkpoint holds a task content that no history version has
//   session-lost-link      an acknowledged link is missing from the session, and no restore removed it
//   two-holders-committed  two locked increments held the lock at the same time and both committed
//   two-live-holders       two processes held the lock at the same time and neither was paused
//   write-under-read-lock  a task changed while a running reader held its read lock, and no paused writer explains it
import type { CheckpointFile, InvokeEvent, OpKind, ReturnEvent, RunData } from './events.ts';
import { UPDATE_KINDS } from './events.ts';

export type ViolationKind =
  | 'lost-ack'
  | 'wrong-version'
  | 'refused-but-landed'
  | 'lost-update'
  | 'duplicate-apply'
  | 'phantom-version'
  | 'history-gap'
  | 'history-invalid'
  | 'current-mismatch'
  | 'bad-content'
  | 'went-backwards'
  | 'stale-read'
  | 'torn-read'
  | 'checkpoint-not-a-state'
  | 'session-lost-link'
  | 'two-holders-committed'
  | 'two-live-holders'
  | 'write-under-read-lock';

export interface Violation {
  kind: ViolationKind;
  message: string;
  ops: string[];
  task?: string;
  /** When it happened (ms since epoch), if known. */
  t?: number;
}

export type OpStatus = 'ok' | 'refused' | 'unknown';

export interface CheckReport {
  started_at: number;
  ops: Partial<Record<OpKind, Record<'ok' | 'refused' | 'error' | 'unknown', number>>>;
  faults: { stops: number; stops_past_lease: number; kills: number; stalls: number; member_kills: number; leader_kills: number };
  observations: number;
  checkpoints: number;
  versions: Record<string, number>;
  violations: Violation[];
  counts: Partial<Record<ViolationKind, number>>;
  /**
   * Not violations, but worth a look: operations that failed while their
   * process was not paused (during them or in the lease before), other than an optimistic write losing a race
   * (a lock lost by a running process, a cluster that did not answer...).
   */
  failures_while_running: { op: string; kind: OpKind; worker: string; code: string; message: string; t: number }[];
}

interface Op {
  id: string;
  worker: string;
  kind: OpKind;
  task?: string;
  input: NonNullable<InvokeEvent['input']>;
  invoke: number;
  ret?: ReturnEvent;
  /** Return time; for an op without one, when its process died (Infinity if it never did). */
  end: number;
  status: OpStatus;
}

type State = Record<string, unknown>;

const ENGINE_FIELDS = ['task_id', 'version', 'updated_at', 'updated_by'];

export function userContent(state: State): State {
  const out: State = { ...state };
  for (const f of ENGINE_FIELDS) delete out[f];
  return out;
}

/** Structural equality of JSON values (object key order does not matter). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((x, i) => sameJson(x, (b as unknown[])[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && sameJson((a as State)[k], (b as State)[k]));
}

function opsArray(state: State | undefined): string[] | null {
  const ops = state?.ops;
  return Array.isArray(ops) && ops.every((x) => typeof x === 'string') ? (ops as string[]) : null;
}

// ---- building the op table ----------------------------------------------------

function buildOps(data: RunData): Map<string, Op> {
  // When the process was gone for sure: its exit as seen by the driver (a kill is
  // only requested; a syscall in progress may still complete after it).
  const deaths = new Map<string, number[]>();
  for (const f of data.faults) if (f.type === 'exit') deaths.set(f.worker, [...(deaths.get(f.worker) ?? []), f.t]);
  const ops = new Map<string, Op>();
  for (const e of data.events) {
    if (e.type === 'invoke') {
      ops.set(e.op, {
        id: e.op,
        worker: e.worker,
        kind: e.kind,
        task: e.task,
        input: e.input ?? {},
        invoke: e.t,
        end: Infinity,
        status: 'unknown',
      });
    } else if (e.type === 'return') {
      const op = ops.get(e.op);
      if (!op) continue;
      op.ret = e;
      op.end = e.t;
      op.status = e.outcome === 'ok' ? 'ok' : e.outcome === 'refused' ? 'refused' : 'unknown';
    }
  }
  for (const op of ops.values()) {
    if (!op.ret) op.end = Math.min(Infinity, ...(deaths.get(op.worker) ?? []).filter((t) => t >= op.invoke));
  }
  return ops;
}

/** Intervals during which a worker did not run: SIGSTOP..SIGCONT, and stalls it recorded itself. */
function pauseIntervals(data: RunData): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  const add = (w: string, a: number, b: number) => out.set(w, [...(out.get(w) ?? []), [a, b]]);
  const stoppedAt = new Map<string, number>();
  for (const f of data.faults) {
    if (f.type === 'stop') stoppedAt.set(f.worker, f.t);
    if ((f.type === 'cont' || f.type === 'kill' || f.type === 'exit') && stoppedAt.has(f.worker)) {
      add(f.worker, stoppedAt.get(f.worker)!, f.t);
      stoppedAt.delete(f.worker);
    }
  }
  for (const [w, t] of stoppedAt) add(w, t, Infinity);
  for (const e of data.events) if (e.type === 'stall') add(e.worker, e.from, e.to);
  return out;
}

// ---- the checks ------------------------------------------------------------------

class Checker {
  readonly violations: Violation[] = [];
  private readonly data: RunData;
  private readonly ops: Map<string, Op>;
  private readonly pauses: Map<string, [number, number][]>;
  /** Per task: op id -> versions whose last_op is that id, ascending. */
  private readonly lastOps = new Map<string, Map<string, number[]>>();
  /** `task:version` -> the op that wrote it (its own commit, or the restore matched to it). */
  private readonly writers = new Map<string, Op>();
  /** How reports name the stored current version read without the engine. */
  private readonly raw: string;

  constructor(data: RunData) {
    this.data = data;
    this.ops = buildOps(data);
    this.pauses = pauseIntervals(data);
    this.raw = data.raw_label ?? 'state.json';
  }

  private flag(kind: ViolationKind, message: string, ops: string[] = [], task?: string, t?: number): void {
    this.violations.push({
      kind,
      message,
      ops,
      ...(task !== undefined ? { task } : {}),
      ...(t !== undefined && Number.isFinite(t) ? { t } : {}),
    });
  }

  private state(task: string, version: number): State | undefined {
    const entry = this.data.history[task]?.[version];
    return entry?.ok ? entry.state : undefined;
  }

  private maxVersion(task: string): number {
    return Math.max(0, ...Object.keys(this.data.history[task] ?? {}).map(Number));
  }

  private landedAt(op: Op): number | undefined {
    return op.task === undefined ? undefined : this.lastOps.get(op.task)?.get(op.id)?.[0];
  }

  run(): void {
    for (const task of this.data.task_ids) this.checkHistory(task);
    this.checkUpdates();
    for (const task of this.data.task_ids) this.checkRepeats(task);
    for (const task of this.data.task_ids) this.checkWriteIds(task);
    this.checkReads();
    this.checkCheckpoints();
    this.checkSession();
    this.checkOccupancy();
    this.checkReadHolds();
  }

  /** Versions 1..current, each a valid file of its own number; current is what state.json holds. */
  private checkHistory(task: string): void {
    const entries = this.data.history[task] ?? {};
    const max = this.maxVersion(task);
    const index = new Map<string, number[]>();
    this.lastOps.set(task, index);
    if (max === 0) this.flag('history-gap', `task ${task} has no history at all`, [], task);
    for (let v = 1; v <= max; v++) {
      const entry = entries[v];
      if (!entry) {
        this.flag('history-gap', `task ${task}: history/v${v}.json is missing (current is v${max})`, [], task);
        continue;
      }
      if (!entry.ok) {
        this.flag('history-invalid', `task ${task}: history/v${v}.json ${entry.reason}`, [], task);
        continue;
      }
      const s = entry.state;
      if (s.version !== v || (s.task_id !== undefined && s.task_id !== task)) {
        this.flag(
          'history-invalid',
          `task ${task}: history/v${v}.json holds version ${String(s.version)} of task ${String(s.task_id)}`,
          [],
          task,
        );
        continue;
      }
      const ops = opsArray(s);
      if (ops === null || s.counter !== ops.length) {
        this.flag('bad-content', `task ${task} v${v}: counter ${String(s.counter)} but ops has ${ops?.length ?? 'no'} entries`, [], task);
      }
      if (typeof s.last_op === 'string') index.set(s.last_op, [...(index.get(s.last_op) ?? []), v]);
    }
    const final = this.data.final_versions[task];
    if (!final || final.api !== max || final.raw !== max) {
      this.flag(
        'current-mismatch',
        `task ${task}: newest history version is v${max}, but getTaskState says ${final?.api ?? 'nothing'} and ${this.raw} ${final?.raw ?? 'nothing'}`,
        [],
        task,
      );
    }
    for (const [opId, versions] of index) {
      const op = this.ops.get(opId);
      if (!op || !UPDATE_KINDS.includes(op.kind) || op.task !== task) {
        this.flag(
          'phantom-version',
          `task ${task} v${versions[0]}: last_op ${opId} is not an update of this task by any recorded operation`,
          [opId],
          task,
        );
      }
    }
  }

  /** Each update: acknowledged ⇒ present at its version; refused ⇒ absent; landed ⇒ built on the version before it. */
  private checkUpdates(): void {
    for (const op of this.ops.values()) {
      if (!UPDATE_KINDS.includes(op.kind) || op.task === undefined) continue;
      const at = this.landedAt(op);
      if (op.status === 'ok' && at === undefined) {
        this.flag(
          'lost-ack',
          `${op.kind} ${op.id} on ${op.task} was acknowledged as v${op.ret?.version} but no version holds it`,
          [op.id],
          op.task,
          op.end,
        );
      } else if (op.status === 'ok' && at !== op.ret?.version) {
        this.flag(
          'wrong-version',
          `${op.kind} ${op.id} on ${op.task} was acknowledged as v${op.ret?.version} but history has it at v${at}`,
          [op.id],
          op.task,
          op.end,
        );
      }
      if (op.status === 'refused' && at !== undefined) {
        this.flag(
          'refused-but-landed',
          `${op.kind} ${op.id} on ${op.task} was refused (${op.ret?.error?.code}: ${op.ret?.error?.message}) yet committed as v${at}`,
          [op.id],
          op.task,
          op.end,
        );
      }
      if (at !== undefined) this.writers.set(`${op.task}:${at}`, op);
      if (at !== undefined && op.kind !== 'init') this.checkBase(op, op.task, at);
    }
  }

  /** Version `at` must equal version at-1 merged with exactly this op's payload. */
  private checkBase(op: Op, task: string, at: number): void {
    const cur = this.state(task, at);
    const prev = this.state(task, at - 1);
    if (!cur) return;
    if (!prev) {
      this.flag('lost-update', `${op.kind} ${op.id} landed as v${at} of ${task}, which has no valid v${at - 1} to build on`, [op.id], task);
      return;
    }
    const base = userContent(prev);
    const payload: State = { last_op: op.id };
    if (op.kind === 'plain') payload.note = op.input.note ?? null;
    if (op.kind === 'link') payload.session_id = op.input.session ?? null;
    if (op.kind === 'optimistic' || op.kind === 'locked') {
      payload.counter = (typeof base.counter === 'number' ? base.counter : NaN) + 1;
      payload.ops = [...(opsArray(base) ?? []), op.id];
    }
    if (sameJson(userContent(cur), { ...base, ...payload })) return;
    let builtOn = '';
    const curOps = opsArray(cur);
    if (curOps && (op.kind === 'optimistic' || op.kind === 'locked')) {
      for (let v = at - 2; v >= 1; v--) {
        if (sameJson(opsArray(this.state(task, v)), curOps.slice(0, -1))) {
          const lost = Array.from({ length: at - 1 - v }, (_, i) => `v${v + 1 + i} (${String(this.state(task, v + 1 + i)?.last_op)})`);
          builtOn = ` (it was built on v${v}: ${lost.length > 3 ? `${lost.slice(0, 3).join(', ')} and ${lost.length - 3} more` : lost.join(', ')} lost)`;
          break;
        }
      }
    }
    this.flag(
      'lost-update',
      `${op.kind} ${op.id} committed v${at} of ${task}, which is not v${at - 1} plus its payload${builtOn}`,
      [op.id],
      task,
      op.ret?.pre_commit_at ?? op.invoke,
    );
  }

  /**
   * A version that repeats an earlier version's last_op is a restore's write:
   * it must match, one to one, a restore of a checkpoint holding exactly that
   * content, written while that restore ran. Otherwise an op was applied twice.
   */
  private checkRepeats(task: string): void {
    const repeats: { v: number; content: State; at: number; op: string; first: number }[] = [];
    for (const [opId, versions] of this.lastOps.get(task) ?? []) {
      for (const v of versions.slice(1)) {
        const s = this.state(task, v)!;
        repeats.push({ v, content: userContent(s), at: Date.parse(String(s.updated_at)), op: opId, first: versions[0]! });
      }
    }
    const slots: { op: Op; content: State }[] = [];
    for (const op of this.ops.values()) {
      if (op.kind !== 'restore' || op.status === 'refused') continue;
      const cp = this.data.checkpoints[op.input.checkpoint ?? ''];
      const content = cp && 'tasks' in cp ? cp.tasks[task] : undefined;
      if (content) slots.push({ op, content: userContent(content) });
    }
    const fits = (r: (typeof repeats)[number], s: (typeof slots)[number]) =>
      s.op.invoke <= r.at && r.at <= s.op.end && sameJson(r.content, s.content);
    // One restore writes a task at most once: a maximum bipartite matching (Kuhn's algorithm).
    const owner = new Array<number>(slots.length).fill(-1);
    const assign = (ri: number, seen: boolean[]): boolean => {
      for (let si = 0; si < slots.length; si++) {
        if (seen[si] || !fits(repeats[ri]!, slots[si]!)) continue;
        seen[si] = true;
        if (owner[si] === -1 || assign(owner[si]!, seen)) {
          owner[si] = ri;
          return true;
        }
      }
      return false;
    };
    repeats.forEach((r, ri) => {
      if (assign(ri, new Array<boolean>(slots.length).fill(false))) return;
      this.flag(
        'duplicate-apply',
        `task ${task} v${r.v} repeats the content of op ${r.op} (first at v${r.first}) and is not the write of any restore running then`,
        [r.op],
        task,
        r.at,
      );
    });
    owner.forEach((ri, si) => {
      if (ri !== -1) this.writers.set(`${task}:${repeats[ri]!.v}`, slots[si]!.op);
    });
    for (const op of this.ops.values()) {
      if (op.kind !== 'restore' || op.status !== 'ok' || !op.ret?.changed?.includes(task)) continue;
      const slot = slots.find((s) => s.op === op);
      if (!slot || !repeats.some((r) => fits(r, slot))) {
        this.flag(
          'lost-ack',
          `restore ${op.id} of ${op.input.checkpoint} reported ${task} changed, but no version written during it holds the checkpoint's content`,
          [op.id],
          task,
          op.end,
        );
      }
    }
  }

  /** etcd: each commit Txn stores a fresh operation id with the version it writes; a resent Txn applied twice would show it twice. */
  private checkWriteIds(task: string): void {
    const seen = new Map<string, number>();
    for (const [v, id] of Object.entries(this.data.write_ids?.[task] ?? {})) {
      const first = seen.get(id);
      if (first === undefined) seen.set(id, Number(v));
      else
        this.flag(
          'duplicate-apply',
          `task ${task}: v${first} and v${v} carry the same operation id ${id}: one commit was applied twice`,
          [],
          task,
        );
    }
  }

  /** Acknowledged versions per task, as [return time, version], sorted by time, with a running maximum. */
  private ackTimeline(task: string): { t: number; max: number; op: string }[] {
    const acks = [...this.ops.values()]
      .filter((op) => op.task === task && op.status === 'ok' && UPDATE_KINDS.includes(op.kind) && op.ret?.version !== undefined)
      .map((op) => ({ t: op.end, v: op.ret!.version!, op: op.id }))
      .sort((a, b) => a.t - b.t);
    let max = 0;
    let maxOp = '';
    return acks.map((a) => {
      if (a.v > max) [max, maxOp] = [a.v, a.op];
      return { t: a.t, max, op: maxOp };
    });
  }

  /** The highest version acknowledged strictly before `t`. */
  private static ackedBefore(timeline: { t: number; max: number; op: string }[], t: number): { max: number; op: string } {
    let lo = 0;
    let hi = timeline.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (timeline[mid]!.t < t) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? { max: 0, op: '' } : timeline[lo - 1]!;
  }

  /** Readers never see a version go backwards, never see less than was already acknowledged, never see a torn file. */
  private checkReads(): void {
    const timelines = new Map(this.data.task_ids.map((t) => [t, this.ackTimeline(t)]));
    const last = new Map<string, { raw: number; api: number; t: number }>();
    for (const o of this.data.observations) {
      if (o.type === 'session') {
        if (o.task_ids === null) this.flag('torn-read', 'the session file could not be read as a session', [], undefined, o.t0);
        continue;
      }
      if (o.raw_problem === 'torn' || o.raw_problem === 'missing')
        this.flag(
          'torn-read',
          `${this.raw} of ${o.task} was ${o.raw_problem === 'torn' ? 'unparseable' : 'missing'} when read`,
          [],
          o.task,
          o.t0,
        );
      const prev = last.get(o.task) ?? { raw: 0, api: 0, t: 0 };
      if (o.raw !== null && o.raw < prev.raw) {
        this.flag('went-backwards', `${this.raw} of ${o.task} went back from v${prev.raw} to v${o.raw}`, [], o.task, o.t0);
      }
      if (o.api !== null && o.api < prev.api) {
        this.flag('went-backwards', `getTaskState(${o.task}) went back from v${prev.api} to v${o.api}`, [], o.task, o.t0);
      }
      last.set(o.task, { raw: Math.max(prev.raw, o.raw ?? 0), api: Math.max(prev.api, o.api ?? 0), t: o.t0 });
      const acked = Checker.ackedBefore(timelines.get(o.task) ?? [], o.t0);
      if (o.raw !== null && o.raw < acked.max) {
        this.flag(
          'stale-read',
          `${this.raw} of ${o.task} read as v${o.raw} after v${acked.max} was acknowledged`,
          [acked.op],
          o.task,
          o.t0,
        );
      }
      if (o.api !== null && o.api < acked.max) {
        this.flag(
          'stale-read',
          `getTaskState(${o.task}) returned v${o.api} after v${acked.max} was acknowledged`,
          [acked.op],
          o.task,
          o.t0,
        );
      }
    }
  }

  /** Every checkpoint holds, for each task, exactly a version in history, no older than what was acknowledged before it started. */
  private checkCheckpoints(): void {
    for (const [id, cp] of Object.entries(this.data.checkpoints)) {
      if ('invalid' in cp) {
        this.flag('checkpoint-not-a-state', `checkpoint ${id} is unreadable: ${cp.invalid}`);
        continue;
      }
      for (const [task, content] of Object.entries(cp.tasks)) {
        const v = Number(content.version);
        const h = this.state(task, v);
        if (!h || !sameJson(h, content)) {
          this.flag(
            'checkpoint-not-a-state',
            `checkpoint ${id} holds ${task} v${v}, which ${h ? 'differs from' : 'is not'} history/v${v}.json`,
            [],
            task,
          );
        }
      }
    }
    const timelines = new Map(this.data.task_ids.map((t) => [t, this.ackTimeline(t)]));
    for (const op of this.ops.values()) {
      if (op.kind !== 'checkpoint' || op.status !== 'ok' || !op.ret?.checkpoint) continue;
      const cp = this.data.checkpoints[op.ret.checkpoint];
      const held = cp && 'tasks' in cp ? Object.fromEntries(Object.entries(cp.tasks).map(([t, s]) => [t, Number(s.version)])) : null;
      if (!held || !sameJson(held, op.ret.tasks ?? {})) {
        this.flag(
          'checkpoint-not-a-state',
          `checkpoint ${op.ret.checkpoint} returned by ${op.id} is not what is on disk`,
          [op.id],
          undefined,
          op.end,
        );
        continue;
      }
      for (const [task, v] of Object.entries(held)) {
        const acked = Checker.ackedBefore(timelines.get(task) ?? [], op.invoke);
        if (v < acked.max)
          this.flag(
            'stale-read',
            `checkpoint ${op.ret.checkpoint} (${op.id}) holds ${task} v${v} after v${acked.max} was acknowledged`,
            [op.id, acked.op],
            task,
            op.invoke,
          );
      }
    }
  }

  /**
   * After an acknowledged link of task T, every later view of the session
   * lists T — unless a restore of a checkpoint without T ran after the link began.
   */
  private checkSession(): void {
    const links = [...this.ops.values()]
      .filter((op) => op.task !== undefined && op.status === 'ok' && (op.kind === 'link' || (op.kind === 'init' && op.input.session)))
      .sort((a, b) => a.end - b.end);
    const restores = [...this.ops.values()]
      .filter((op) => op.kind === 'restore' && op.status !== 'refused')
      .map((op) => ({ op, cp: this.data.checkpoints[op.input.checkpoint ?? ''] }))
      .filter((r): r is { op: Op; cp: CheckpointFile } => r.cp !== undefined && 'tasks' in r.cp);
    const views: { t0: number; t1: number; ids: string[]; what: string }[] = [];
    for (const o of this.data.observations)
      if (o.type === 'session' && o.task_ids) views.push({ t0: o.t0, t1: o.t1, ids: o.task_ids, what: 'the observer read' });
    for (const op of this.ops.values()) {
      const cp = op.kind === 'checkpoint' && op.status === 'ok' ? this.data.checkpoints[op.ret?.checkpoint ?? ''] : undefined;
      if (cp && 'tasks' in cp) views.push({ t0: op.invoke, t1: op.end, ids: cp.session_task_ids, what: `checkpoint ${cp.id} holds` });
    }
    if (this.data.final_session_task_ids)
      views.push({
        t0: Number.MAX_SAFE_INTEGER,
        t1: Number.MAX_SAFE_INTEGER,
        ids: this.data.final_session_task_ids,
        what: 'the final session file has',
      });
    views.sort((a, b) => a.t0 - b.t0);
    const reported = new Set<string>();
    for (const task of this.data.task_ids) {
      // For a view, the link hardest to explain is the latest-started one acknowledged before it.
      const taskLinks = links.filter((l) => l.task === task);
      let latest: Op | undefined;
      let i = 0;
      for (const view of views) {
        for (; i < taskLinks.length && taskLinks[i]!.end < view.t0; i++)
          if (!latest || taskLinks[i]!.invoke > latest.invoke) latest = taskLinks[i];
        if (!latest || view.ids.includes(task) || reported.has(latest.id)) continue;
        const link = latest;
        const explained = restores.some((r) => !r.cp.session_task_ids.includes(task) && r.op.end > link.invoke && r.op.invoke < view.t1);
        if (!explained) {
          reported.add(link.id);
          this.flag(
            'session-lost-link',
            `${link.id} linked ${task} to the session (acknowledged), but ${view.what} task_ids ${JSON.stringify(view.ids)} without it, and no restore explains that`,
            [link.id],
            task,
            view.t0 === Number.MAX_SAFE_INTEGER ? undefined : view.t0,
          );
        }
      }
    }
  }

  private paused(worker: string, from: number, to: number): boolean {
    return (this.pauses.get(worker) ?? []).some(([a, b]) => a <= to && b >= from);
  }

  /**
   * A locked increment writes its op id to the task's marker after acquiring
   * the lock and reads it back before committing. Finding another op's id
   * there means two processes held the lock at once. That is allowed only
   * when one of them was paused long enough to lose its lease — and then the
   * one that lost it must not commit.
   */
  private checkOccupancy(): void {
    const committed = (op: Op) => op.status === 'ok' || this.landedAt(op) !== undefined;
    const reported = new Set<string>();
    for (const x of this.ops.values()) {
      if (x.kind !== 'locked' || x.ret?.marker_seen === undefined || x.ret.marker_seen === x.id) continue;
      const y = this.ops.get(x.ret.marker_seen);
      if (!y || y.kind !== 'locked' || y.task !== x.task) {
        this.flag(
          'two-live-holders',
          `${x.id} read back the marker of ${x.task} and found ${JSON.stringify(x.ret.marker_seen)}, not a locked op on that task`,
          [x.id],
          x.task,
          x.ret.marker_read_at,
        );
        continue;
      }
      reported.add([x.id, y.id].sort().join());
      if (committed(x) && committed(y)) {
        this.flag(
          'two-holders-committed',
          `${x.id} and ${y.id} held the lock on ${x.task} at the same time (${x.id} read ${y.id}'s marker) and both committed`,
          [x.id, y.id],
          x.task,
          x.ret.marker_read_at,
        );
      } else if (
        !this.paused(x.worker, x.invoke, x.ret.marker_read_at ?? x.end) &&
        !this.paused(y.worker, y.invoke, y.ret?.marker_at ?? y.end)
      ) {
        this.flag(
          'two-live-holders',
          `${x.id} (${x.worker}) and ${y.id} (${y.worker}) held the lock on ${x.task} at the same time (${x.id} read ${y.id}'s marker), and neither process was paused or stalled`,
          [x.id, y.id],
          x.task,
          x.ret.marker_read_at,
        );
      }
    }
    // Clock-based: acknowledged holders' [acquired, about to commit] intervals never overlap.
    for (const task of this.data.task_ids) {
      const held = [...this.ops.values()]
        .filter(
          (op) =>
            op.kind === 'locked' &&
            op.task === task &&
            op.status === 'ok' &&
            op.ret?.acquired_at !== undefined &&
            op.ret.pre_commit_at !== undefined,
        )
        .sort((a, b) => a.ret!.acquired_at! - b.ret!.acquired_at!);
      let longest: Op | undefined;
      for (const op of held) {
        if (longest && op.ret!.acquired_at! < longest.ret!.pre_commit_at! && !reported.has([op.id, longest.id].sort().join())) {
          this.flag(
            'two-holders-committed',
            `${longest.id} and ${op.id} both held the lock on ${task} between ${op.ret!.acquired_at} and ${longest.ret!.pre_commit_at} and both committed`,
            [longest.id, op.id],
            task,
            op.ret!.acquired_at,
          );
        }
        if (!longest || op.ret!.pre_commit_at! > longest.ret!.pre_commit_at!) longest = op;
      }
    }
  }

  /**
   * While a reader holds a task's read lock, the task does not change — unless
   * the reader was paused past its lease, or the change came from a writer
   * that was paused mid-commit (a stale writer's last step cannot be undone).
   */
  private checkReadHolds(): void {
    for (const op of this.ops.values()) {
      const r = op.ret;
      if (
        op.kind !== 'read_hold' ||
        op.task === undefined ||
        r?.read_version === undefined ||
        r.end_version === undefined ||
        r.held_until === undefined
      )
        continue;
      if (r.end_version === r.read_version || this.paused(op.worker, op.invoke, r.held_until)) continue;
      const changes: Op[] = [];
      let unknown = false;
      for (let v = r.read_version + 1; v <= r.end_version; v++) {
        const writer = this.writers.get(`${op.task}:${v}`);
        if (writer) changes.push(writer);
        else unknown = true; // reported as a phantom or duplicate version already
      }
      if (unknown || changes.some((w) => this.paused(w.worker, w.invoke, w.end))) continue;
      this.flag(
        'write-under-read-lock',
        `${op.task} went from v${r.read_version} to v${r.end_version} (${changes.map((w) => w.id).join(', ')}) while ${op.id} held its read lock, and none of them was paused`,
        [op.id, ...changes.map((w) => w.id)],
        op.task,
        r.held_until,
      );
    }
  }

  report(): CheckReport {
    const ops: CheckReport['ops'] = {};
    for (const op of this.ops.values()) {
      const row = (ops[op.kind] ??= { ok: 0, refused: 0, error: 0, unknown: 0 });
      row[op.ret ? op.ret.outcome : 'unknown']++;
    }
    const faults = { stops: 0, stops_past_lease: 0, kills: 0, stalls: 0, member_kills: 0, leader_kills: 0 };
    const stoppedAt = new Map<string, number>();
    for (const f of this.data.faults) {
      if (f.type === 'stop') {
        faults.stops++;
        stoppedAt.set(f.worker, f.t);
      } else if (f.type === 'cont' && stoppedAt.has(f.worker)) {
        if (f.t - stoppedAt.get(f.worker)! > this.data.lease_ms) faults.stops_past_lease++;
        stoppedAt.delete(f.worker);
      } else if (f.type === 'kill' && f.reason === 'fault') faults.kills++;
      else if (f.type === 'member-kill') {
        faults.member_kills++;
        if (f.leader) faults.leader_kills++;
      }
    }
    faults.stalls = this.data.events.filter((e) => e.type === 'stall').length;
    const counts: CheckReport['counts'] = {};
    for (const v of this.violations) counts[v.kind] = (counts[v.kind] ?? 0) + 1;
    // Times in the report count from the first worker's start (the set-up before it is not load).
    const firstSpawn = this.data.faults.find((f) => f.type === 'spawn')?.t;
    const invokes = [...this.ops.values()].map((op) => op.invoke);
    const failures = [...this.ops.values()]
      // A pause past the lease that ended just before the op dooms its lease all the same (on etcd a leader change can delay the end).
      .filter((op) => op.ret && op.ret.outcome !== 'ok' && !this.paused(op.worker, op.invoke - this.data.lease_ms, op.end))
      .filter((op) => !(op.ret?.error?.code === 'VERSION_CONFLICT' && /expected version/.test(op.ret.error.message)))
      .map((op) => ({
        op: op.id,
        kind: op.kind,
        worker: op.worker,
        code: op.ret?.error?.code ?? '',
        message: op.ret?.error?.message ?? '',
        t: op.end,
      }));
    return {
      started_at: firstSpawn ?? (invokes.length ? Math.min(...invokes) : 0),
      ops,
      faults,
      observations: this.data.observations.length,
      checkpoints: Object.keys(this.data.checkpoints).length,
      versions: Object.fromEntries(this.data.task_ids.map((t) => [t, this.maxVersion(t)])),
      violations: this.violations,
      counts,
      failures_while_running: failures,
    };
  }
}

export function checkRun(data: RunData): CheckReport {
  const checker = new Checker(data);
  checker.run();
  return checker.report();
}

/** The report for people: counts, faults, then each violation with its ops and time. */
export function formatReport(report: CheckReport, maxPerKind = 15): string {
  const lines: string[] = [];
  const at = (t?: number) => (t === undefined ? '' : ` [t+${((t - report.started_at) / 1000).toFixed(3)}s]`);
  lines.push('operations (ok / refused / error / unknown):');
  for (const [kind, row] of Object.entries(report.ops)) {
    lines.push(`  ${kind.padEnd(11)} ${row.ok} / ${row.refused} / ${row.error} / ${row.unknown}`);
  }
  const f = report.faults;
  const members = f.member_kills > 0 ? `, ${f.member_kills} etcd member kill -9 (${f.leader_kills} of the leader)` : '';
  lines.push(
    `faults: ${f.stops} SIGSTOP (${f.stops_past_lease} longer than the lease), ${f.kills} kill -9${members}; ${f.stalls} pauses seen by the workers`,
  );
  lines.push(
    `observer reads: ${report.observations}; checkpoints: ${report.checkpoints}; versions: ${Object.entries(report.versions)
      .map(([t, v]) => `${t}=${v}`)
      .join(' ')}`,
  );
  const failures = report.failures_while_running;
  if (failures.length > 0) {
    lines.push(`failed while running (not paused), not a lost optimistic race: ${failures.length}`);
    for (const f of failures.slice(0, maxPerKind)) lines.push(`    - ${f.kind} ${f.op}: ${f.code || 'error'} ${f.message}${at(f.t)}`);
  }
  if (report.violations.length === 0) {
    lines.push('no violations');
    return lines.join('\n');
  }
  lines.push(
    `VIOLATIONS: ${report.violations.length} (${Object.entries(report.counts)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')})`,
  );
  const byKind = new Map<string, Violation[]>();
  for (const v of report.violations) byKind.set(v.kind, [...(byKind.get(v.kind) ?? []), v]);
  for (const [kind, list] of byKind) {
    lines.push(`  ${kind}:`);
    for (const v of list.slice(0, maxPerKind)) lines.push(`    - ${v.message}${at(v.t)}`);
    if (list.length > maxPerKind) lines.push(`    … and ${list.length - maxPerKind} more`);
  }
  return lines.join('\n');
}
