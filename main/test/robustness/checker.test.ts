// The checker proven on small hand-made histories: a clean one passes, and
// each kind of damage a broken engine could leave is reported.
import { describe, expect, it } from 'vitest';
import { checkRun, formatReport, type ViolationKind } from './checker.ts';
import type { OpKind, ReturnEvent, RunData } from './events.ts';

type State = Record<string, unknown>;

/** Builds a run record the way a correct engine and honest workers would, one step at a time. */
class Run {
  readonly data: RunData = {
    lease_ms: 1000,
    session_id: 'S',
    task_ids: [],
    events: [],
    faults: [],
    observations: [],
    history: {},
    final_versions: {},
    final_session_task_ids: [],
    checkpoints: {},
  };
  t = 1_000_000;

  /** Advance the clock; returns the new time. */
  tick(ms = 5): number {
    this.t += ms;
    return this.t;
  }

  current(task: string): State {
    const h = this.data.history[task]!;
    const entry = h[Math.max(...Object.keys(h).map(Number))]!;
    if (!entry.ok) throw new Error('bad entry');
    return entry.state;
  }

  version(task: string): number {
    return Math.max(0, ...Object.keys(this.data.history[task] ?? {}).map(Number));
  }

  /** Append a version whose user content is `content`, committed now. */
  commit(task: string, content: State): number {
    const v = this.version(task) + 1;
    this.data.history[task]![v] = {
      ok: true,
      state: {
        ...content,
        task_id: task,
        version: v,
        updated_at: new Date(this.tick(1)).toISOString(),
        updated_by: { owner: 'w', pid: 1, host: 'h' },
      },
    };
    return v;
  }

  invoke(
    op: string,
    kind: OpKind,
    task?: string,
    input: { note?: string; session?: string; checkpoint?: string } = {},
    worker = op.split('.')[0]!,
  ): void {
    this.data.events.push({ type: 'invoke', op, worker, pid: 1, kind, task, t: this.tick(), input });
  }

  ret(op: string, ret: Partial<ReturnEvent> = {}, outcome: ReturnEvent['outcome'] = 'ok'): void {
    this.data.events.push({ type: 'return', op, t: this.tick(), outcome, ...ret });
  }

  task(task: string, session = false): this {
    this.data.task_ids.push(task);
    this.data.history[task] = {};
    const op = `init.${task}`;
    this.invoke(op, 'init', task, session ? { session: 'S' } : {}, 'driver');
    const v = this.commit(task, { counter: 0, ops: [], last_op: op, ...(session ? { session_id: 'S' } : {}) });
    this.ret(op, { version: v });
    if (session) this.data.final_session_task_ids!.push(task);
    return this;
  }

  /** A locked increment built on `base` (default: the current version), marker read back as `seen`. */
  locked(
    op: string,
    task: string,
    opts: { base?: number; seen?: string; outcome?: ReturnEvent['outcome'] | 'none'; land?: boolean } = {},
  ): void {
    this.invoke(op, 'locked', task);
    const acquired = this.tick();
    const marker = this.tick();
    const prev = this.data.history[task]![opts.base ?? this.version(task)]!;
    if (!prev.ok) throw new Error('bad base');
    const readAt = this.tick(10);
    const pre = this.tick();
    const landed = opts.land ?? (opts.outcome ?? 'ok') === 'ok';
    const v = landed ? this.commit(task, this.incremented(prev.state, op)) : undefined;
    if (opts.outcome === 'none') return;
    this.ret(
      op,
      { version: v, acquired_at: acquired, marker_at: marker, marker_read_at: readAt, pre_commit_at: pre, marker_seen: opts.seen ?? op },
      opts.outcome ?? 'ok',
    );
  }

  optimistic(op: string, task: string): void {
    this.invoke(op, 'optimistic', task);
    const prev = this.current(task);
    this.ret(op, { read_version: prev.version as number, version: this.commit(task, this.incremented(prev, op)) });
  }

  plain(op: string, task: string, note: string): void {
    this.invoke(op, 'plain', task, { note });
    this.ret(op, { version: this.commit(task, { ...user(this.current(task)), note, last_op: op }) });
  }

  link(op: string, task: string): void {
    this.invoke(op, 'link', task, { session: 'S' });
    this.ret(op, { version: this.commit(task, { ...user(this.current(task)), last_op: op, session_id: 'S' }) });
    if (!this.data.final_session_task_ids!.includes(task)) this.data.final_session_task_ids!.push(task);
  }

  checkpoint(op: string, cid: string): void {
    this.invoke(op, 'checkpoint', undefined, { session: 'S' });
    const ids = [...this.data.final_session_task_ids!];
    const tasks = Object.fromEntries(ids.map((t) => [t, { ...this.current(t) }]));
    this.data.checkpoints[cid] = { id: cid, session_task_ids: ids, tasks };
    this.ret(op, { checkpoint: cid, tasks: Object.fromEntries(ids.map((t) => [t, tasks[t]!.version as number])) });
  }

  restore(op: string, cid: string): void {
    this.invoke(op, 'restore', undefined, { checkpoint: cid });
    const cp = this.data.checkpoints[cid]!;
    if (!('tasks' in cp)) throw new Error('bad checkpoint');
    this.data.final_session_task_ids = [...cp.session_task_ids];
    const changed: string[] = [];
    for (const [task, content] of Object.entries(cp.tasks)) {
      this.commit(task, user(content));
      changed.push(task);
    }
    this.ret(op, { checkpoint: cid, changed });
  }

  /** A read lock held while `during` runs; the versions at both ends are recorded. */
  readHold(op: string, task: string, during: () => void = () => {}): void {
    this.invoke(op, 'read_hold', task);
    const acquired = this.tick();
    const first = this.version(task);
    during();
    this.ret(op, { acquired_at: acquired, read_version: first, end_version: this.version(task), held_until: this.tick() });
  }

  observe(task: string, raw: number, api = raw): void {
    const t0 = this.tick();
    this.data.observations.push({ type: 'task', task, t0, t1: this.tick(1), raw, api });
  }

  /** A raw read of `task` that found no state to parse (`problem`), while the API read `api`. */
  unreadable(task: string, problem: 'torn' | 'missing' | 'unreachable', api: number | null): void {
    const t0 = this.tick();
    this.data.observations.push({ type: 'task', task, t0, t1: this.tick(1), raw: null, raw_problem: problem, api });
  }

  incremented(prev: State, op: string): State {
    return { ...user(prev), counter: (prev.counter as number) + 1, ops: [...(prev.ops as string[]), op], last_op: op };
  }

  /** Final versions as a correct engine leaves them; then judge. */
  check(): { kinds: ViolationKind[]; text: string } {
    for (const task of this.data.task_ids) {
      this.data.final_versions[task] ??= { api: this.version(task), raw: this.version(task) };
    }
    const report = checkRun(this.data);
    return { kinds: [...new Set(report.violations.map((v) => v.kind))].sort(), text: formatReport(report) };
  }
}

function user(state: State): State {
  const { task_id: _t, version: _v, updated_at: _u, updated_by: _b, ...rest } = state;
  return rest;
}

/** A run with every kind of operation, correct throughout. */
function cleanRun(): Run {
  const run = new Run().task('a', true).task('b');
  run.locked('w1.1', 'a');
  run.optimistic('w2.1', 'a');
  run.plain('w3.1', 'b', 'hello');
  run.checkpoint('w4.1', 'c1');
  run.locked('w1.2', 'b');
  run.link('w2.2', 'b');
  run.observe('a', 3);
  run.optimistic('w3.2', 'a');
  run.restore('w4.2', 'c1');
  run.locked('w1.3', 'a');
  run.observe('a', 6);
  run.readHold('w5.1', 'b');
  return run;
}

describe('robustness checker', () => {
  it('passes a correct history with every kind of operation, including a restore and a killed op', () => {
    const run = cleanRun();
    // An op whose worker was killed: it may have landed (here it did, once)…
    run.locked('w5.2', 'a', { outcome: 'none', land: true });
    // …and a refused one that did not.
    run.locked('w6.1', 'b', { outcome: 'refused', seen: 'w6.1' });
    const { kinds, text } = run.check();
    expect(kinds, text).toEqual([]);
    expect(text).toContain('no violations');
    expect(text).toMatch(/locked\s+3 \/ 1 \/ 0 \/ 1/);
  });

  it('reports an op applied twice (a duplicate version that no restore explains)', () => {
    const run = cleanRun();
    run.plain('w7.1', 'b', 'x');
    const dup = run.current('b');
    run.commit('b', user(dup)); // the same plain update lands again
    expect(run.check().kinds).toEqual(['duplicate-apply']);
  });

  it('reports an acknowledged increment that was lost (a later commit built on an older version)', () => {
    const run = cleanRun();
    const base = run.version('a');
    run.locked('w7.1', 'a');
    run.locked('w8.1', 'a', { base }); // read before w7.1 committed, committed after: w7.1's increment is gone
    const { kinds, text } = run.check();
    expect(kinds).toEqual(['lost-update']);
    expect(text).toContain(`built on v${base}`);
  });

  it('reports an acknowledged commit missing from history, and one at another version than reported', () => {
    const run = cleanRun();
    run.invoke('w7.1', 'plain', 'a', { note: 'n' });
    run.ret('w7.1', { version: run.version('a') + 1 });
    run.plain('w8.1', 'a', 'm');
    run.data.events.find((e): e is ReturnEvent => e.type === 'return' && e.op === 'w8.1')!.version! += 5;
    expect(run.check().kinds).toEqual(['lost-ack', 'wrong-version']);
  });

  it('reports a refused op that landed anyway', () => {
    const run = cleanRun();
    run.locked('w7.1', 'a', { outcome: 'refused', land: true });
    expect(run.check().kinds).toEqual(['refused-but-landed']);
  });

  it('reports state.json moving backwards and a read older than an acknowledged version', () => {
    const backwards = cleanRun();
    backwards.observe('a', 5);
    expect(backwards.check().kinds).toEqual(['stale-read', 'went-backwards']);

    const stale = new Run().task('a');
    stale.locked('w1.1', 'a');
    stale.locked('w1.2', 'a');
    stale.observe('a', 2); // v3 was acknowledged before this read started
    expect(stale.check().kinds).toEqual(['stale-read']);
  });

  it('reports a torn state.json', () => {
    const run = cleanRun();
    run.unreadable('a', 'torn', run.version('a'));
    expect(run.check().kinds).toEqual(['torn-read']);
  });

  it('reports a missing stored state, but not a raw read that failed because no etcd member answered', () => {
    const run = cleanRun();
    run.unreadable('a', 'unreachable', null);
    expect(run.check().kinds).toEqual([]);
    run.unreadable('a', 'missing', run.version('a'));
    expect(run.check().kinds).toEqual(['torn-read']);
  });

  it('reports two versions carrying the operation id of one etcd commit (a resent Txn applied twice)', () => {
    const run = cleanRun();
    run.data.write_ids = { a: Object.fromEntries(Array.from({ length: run.version('a') }, (_, i) => [i + 1, `op${i + 1}`])) };
    expect(run.check().kinds).toEqual([]);
    run.data.write_ids.a![2] = 'op1';
    expect(run.check().kinds).toEqual(['duplicate-apply']);
  });

  it('lists operations that failed while their process ran (not a lost optimistic race), without calling them violations', () => {
    const run = cleanRun();
    run.invoke('w7.1', 'optimistic', 'a');
    run.ret(
      'w7.1',
      {
        error: {
          name: 'VersionConflictError',
          code: 'VERSION_CONFLICT',
          message: 'task a: expected version 1, but the current version is 2',
        },
      },
      'refused',
    );
    run.invoke('w8.1', 'plain', 'a');
    run.ret(
      'w8.1',
      { error: { name: 'ClusterUnavailableError', code: 'CLUSTER_UNAVAILABLE', message: 'etcd cluster unreachable' } },
      'error',
    );
    run.invoke('w9.1', 'locked', 'b');
    run.data.faults.push({ type: 'stop', worker: 'w9', pid: 9, t: run.tick() }, { type: 'cont', worker: 'w9', pid: 9, t: run.tick(3000) });
    run.ret(
      'w9.1',
      {
        error: {
          name: 'VersionConflictError',
          code: 'VERSION_CONFLICT',
          message: 'task b: the lock lease ran out while this process was stopped',
        },
      },
      'refused',
    );
    const { kinds, text } = run.check();
    expect(kinds).toEqual([]);
    expect(checkRun(run.data).failures_while_running.map((f) => f.op)).toEqual(['w8.1']);
    expect(text).toContain('plain w8.1: CLUSTER_UNAVAILABLE etcd cluster unreachable');
  });

  it('counts etcd member kills, and those of the leader, among the faults', () => {
    const run = cleanRun();
    run.data.faults.push(
      { type: 'member-kill', member: 'm1', pid: 11, leader: true, t: run.tick() },
      { type: 'member-restart', member: 'm1', pid: 12, t: run.tick(), healthy_ms: 700 },
      { type: 'member-kill', member: 'm3', pid: 13, leader: false, t: run.tick() },
    );
    const report = checkRun(run.data);
    expect(report.faults).toMatchObject({ member_kills: 2, leader_kills: 1 });
    expect(run.check().text).toContain('2 etcd member kill -9 (1 of the leader)');
  });

  it('reports two lock holders that both committed (occupancy marker), and holders that overlap in time', () => {
    const run = new Run().task('a');
    run.locked('w1.1', 'a');
    run.locked('w2.1', 'a', { seen: 'w1.1' }); // w2.1 found w1.1's marker while it held the lock
    expect(run.check().kinds).toEqual(['two-holders-committed']);

    const clock = new Run().task('a');
    clock.locked('w1.1', 'a');
    clock.locked('w2.1', 'a');
    // w2.1 acquired before w1.1 was about to commit: both held the lock over the same interval.
    const ret = (op: string) => clock.data.events.find((e): e is ReturnEvent => e.type === 'return' && e.op === op)!;
    ret('w2.1').acquired_at = ret('w1.1').pre_commit_at! - 3;
    expect(clock.check().kinds).toEqual(['two-holders-committed']);
  });

  it('accepts a lock taken over from a paused holder whose commit was refused, even by the holder that saw the other marker', () => {
    // w1.1 acquires, is frozen past its lease, w2.1 takes the lock over and writes its marker;
    // w1.1 wakes, writes its own marker over it (it cannot know), w2.1 reads w1.1's marker.
    // w2.1's lock was valid, so its commit is fine; w1.1's must be refused — and is.
    const run = new Run().task('a');
    run.invoke('w1.1', 'locked', 'a');
    const stopAt = run.tick();
    run.data.faults.push({ type: 'stop', worker: 'w1', pid: 1, t: stopAt });
    run.locked('w2.1', 'a', { seen: 'w1.1' });
    run.data.faults.push({ type: 'cont', worker: 'w1', pid: 1, t: run.tick() });
    run.ret(
      'w1.1',
      { acquired_at: stopAt, marker_at: run.tick(), marker_read_at: run.tick(), pre_commit_at: run.tick(), marker_seen: 'w1.1' },
      'refused',
    );
    expect(run.check().kinds).toEqual([]);

    // Without the pause, the same overlap means the lock was held twice by running processes.
    run.data.faults = [];
    expect(run.check().kinds).toEqual(['two-live-holders']);
  });

  it('reports a task that changed under a running reader, unless the writer was paused mid-commit', () => {
    const run = new Run().task('a');
    run.readHold('w1.1', 'a', () => run.locked('w2.1', 'a'));
    expect(run.check().kinds).toEqual(['write-under-read-lock']);

    // w2.1 passed its checks, froze past its lease (the reader got in), then finished its commit.
    run.data.faults.push({ type: 'stop', worker: 'w2', pid: 2, t: run.t - 20 }, { type: 'cont', worker: 'w2', pid: 2, t: run.t - 10 });
    expect(run.check().kinds).toEqual([]);
  });

  it('reports a checkpoint that is not a state that existed', () => {
    const run = cleanRun();
    const cp = run.data.checkpoints.c1!;
    if (!('tasks' in cp)) throw new Error('bad checkpoint');
    cp.tasks.a = { ...cp.tasks.a!, counter: 99 };
    expect(run.check().kinds).toContain('checkpoint-not-a-state');
  });

  it('reports a gap in history and a state.json that is not the newest version', () => {
    const run = cleanRun();
    delete run.data.history.a![2];
    run.data.final_versions.b = { api: run.version('b'), raw: run.version('b') - 1 };
    expect(run.check().kinds).toEqual(expect.arrayContaining(['history-gap', 'current-mismatch']));
  });

  it('reports a link lost from the session, unless a restore of an older checkpoint removed it', () => {
    const lost = new Run().task('a', true).task('b');
    lost.link('w1.1', 'b');
    lost.data.final_session_task_ids = ['a']; // a paused session writer put back its old copy
    expect(lost.check().kinds).toEqual(['session-lost-link']);

    const rewound = new Run().task('a', true).task('b');
    rewound.checkpoint('w1.1', 'c1'); // holds a session without b
    rewound.link('w2.1', 'b');
    rewound.restore('w3.1', 'c1');
    expect(rewound.check().kinds).toEqual([]);
  });

  it('reports a restore acknowledged as changing a task that got no such version', () => {
    const run = cleanRun();
    run.checkpoint('w7.1', 'c2');
    run.locked('w8.1', 'a');
    run.invoke('w9.1', 'restore', undefined, { checkpoint: 'c2' });
    run.ret('w9.1', { checkpoint: 'c2', changed: ['a'] });
    expect(run.check().kinds).toEqual(['lost-ack']);
  });

  it('reports a killed op that landed twice', () => {
    const run = cleanRun();
    run.locked('w7.1', 'b', { outcome: 'none', land: true });
    run.commit('b', user(run.current('b')));
    expect(run.check().kinds).toEqual(['duplicate-apply']);
  });
});
