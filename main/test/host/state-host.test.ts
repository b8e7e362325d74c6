// The host mirrors the folder: every change made by another process reaches
// subscribers as a patch, bursts are coalesced, and a watcher failure falls
// back to polling visibly.
import { spawn, spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WatchFactory, WatchSource } from '../../engine/public.ts';
import { TreeWatcher } from '../../engine/feed/tree-watcher.ts';
import type { Patch, TaskRow } from '../../../shared/contract.ts';
import { openStateStore } from '../../engine/index.ts';
import { StateHost, type StateHostOptions } from '../../host/state-host.ts';
import { createHandlers } from '../../host/api.ts';
import { DemoRunner } from '../../host/demo.ts';
import { lineLogger } from '../../host/logger.ts';

const CLI = join(import.meta.dirname, '../../cli/bin.ts');

let dir: string;
let root: string;
let host: StateHost | null = null;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-host-'));
  root = join(dir, 'state');
  await openStateStore({ root }).init();
});
afterEach(async () => {
  await host?.close();
  host = null;
  rmSync(dir, { recursive: true, force: true });
});

/** A started host that watches its root; `host` is set first, so afterEach closes it even if starting fails. */
async function watchingHost(options: StateHostOptions): Promise<StateHost> {
  host = new StateHost(options);
  await host.start();
  await host.whenWatching();
  return host;
}

function collect(h: StateHost): Patch[] {
  const patches: Patch[] = [];
  void h
    .subscribe((event, payload) => {
      if (event === 'patch') patches.push(payload as Patch);
    })
    .ready();
  return patches;
}

/** Waits for a condition; the default is generous because the host runs beside real processes on loaded cores. */
async function until(check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function cli(...args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, '--root', root, '--json', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

describe('StateHost', () => {
  it('mirrors tasks, sessions and locks changed by other processes, with increasing seq', async () => {
    host = await watchingHost({ root });
    const patches = collect(host);
    const session = JSON.parse(cli('session', 'create')) as { id: string };
    cli('task', 'update', 'build', '{"status":"in_progress"}', '--session', session.id);
    await until(() => host!.snapshot().tasks.some((t) => t.task_id === 'build'));
    await until(() => host!.snapshot().sessions.find((s) => s.id === session.id)?.metrics.in_progress === 1);
    // Subscribers got the task itself, not only the host's own model.
    await until(() => patches.some((p) => p.tasks?.upsert.some((row) => row.task_id === 'build')));
    expect(patches.flatMap((p) => p.tasks?.upsert ?? []).find((row) => row.task_id === 'build')).toMatchObject({
      version: 1,
      status: 'in_progress',
      session_id: session.id,
    });
    const seqs = patches.map((p) => p.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(host.snapshot().activity.some((a) => a.change_type === 'task_updated' && a.task_id === 'build')).toBe(true);
  });

  it("shows a session's agent running, and stopped within seconds of its kill -9 (which changes no file)", async () => {
    host = await watchingHost({ root });
    const patches = collect(host);
    const agent = spawn(process.execPath, [join(import.meta.dirname, '../workers/session-agent.ts'), '--root', root, '--task', 't'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    try {
      const id = await new Promise<string>((resolve, reject) => {
        agent.stdout.once('data', (d: Buffer) => resolve((JSON.parse(d.toString().split('\n')[0]!) as { id: string }).id));
        agent.once('exit', () => reject(new Error('the agent exited')));
      });
      await until(() => host!.snapshot().sessions.find((s) => s.id === id)?.alive === true);
      const killedAt = Date.now();
      agent.kill('SIGKILL');
      await until(() => host!.snapshot().sessions.find((s) => s.id === id)?.alive === false, 10_000);
      expect(Date.now() - killedAt).toBeLessThan(6000); // read again every 2 s
      // Subscribers were told, and the session itself is unchanged.
      expect(patches.some((p) => p.sessions?.upsert.some((s) => s.id === id && s.alive === false))).toBe(true);
      expect(host.snapshot().sessions.find((s) => s.id === id)).toMatchObject({ status: 'active', task_ids: ['t'] });
    } finally {
      agent.kill('SIGKILL');
    }
  }, 30_000);

  it('sends one lock summary per task (writer, readers, waiters) as real processes hold and wait', async () => {
    cli('task', 'update', 'contended', '{"n":1}');
    host = await watchingHost({ root });
    const patches = collect(host);
    const lockOf = () => host!.snapshot().locks.find((l) => l.task_id === 'contended');
    const acquire = (owner: string, ...extra: string[]) =>
      spawn(process.execPath, [CLI, '--root', root, '--json', 'lock', 'acquire', 'contended', '--owner', owner, ...extra], {
        stdio: 'ignore',
      });
    const holder = acquire('holder-1', '--hold', '30000');
    let waiter: ReturnType<typeof acquire> | null = null;
    try {
      await until(() => lockOf()?.writer?.owner === 'holder-1'); // the waiter queues behind it, not before
      waiter = acquire('waiter-1', '--timeout', '20000', '--hold', '30000');
      await until(() => lockOf()?.writer?.owner === 'holder-1' && lockOf()!.waiters.length === 1);
      expect(lockOf()).toMatchObject({ readers: [], waiters: [{ owner: 'waiter-1', mode: 'write', pid: waiter.pid }] });
      expect(host.snapshot().locks).toHaveLength(1);
      // The patches carried the same summary: one item per task, not one per holder.
      const sent = patches.flatMap((p) => p.locks?.upsert ?? []).filter((l) => l.task_id === 'contended');
      expect(sent.at(-1)).toEqual(lockOf());
      holder.kill('SIGTERM');
      await until(() => lockOf()?.writer?.owner === 'waiter-1' && lockOf()!.waiters.length === 0);
      waiter.kill('SIGTERM');
      await until(() => lockOf() === undefined);
      expect(patches.some((p) => p.locks?.remove.includes('contended'))).toBe(true);
    } finally {
      holder.kill('SIGKILL');
      waiter?.kill('SIGKILL');
    }
  });

  it('logs a refresh that fails, shows it on screen, still sends the tasks, and recovers', async () => {
    const logged: string[] = [];
    host = await watchingHost({ root, logger: lineLogger((l) => logged.push(l)) });
    const events: string[] = [];
    await host.subscribe((event) => events.push(event)).ready();
    await host
      .subscribe(() => {
        throw new Error('a broken window');
      })
      .ready();
    events.length = 0; // the snapshot that answered `ready`: only what follows counts below
    // A folder where a log file should be: reading it fails with EISDIR.
    const broken = join(root, 'logs', 'audit-9999-broken.jsonl');
    mkdirSync(broken);
    cli('task', 'update', 'still-shown', '{"status":"queued"}');
    await until(() => host!.snapshot().watch.error != null);
    expect(host.snapshot().watch.error).toMatch(/EISDIR/);
    expect(host.snapshot().tasks.some((t) => t.task_id === 'still-shown')).toBe(true);
    expect(events).toContain('reset'); // subscribers resynced from a snapshot that carries the error
    expect(logged.join('')).toMatch(/ERROR Dashboard of .*failed; retrying\n {2}Error: EISDIR/);
    expect(logged.join('')).toMatch(/ERROR A subscriber failed on '(patch|reset)'\n {2}Error: a broken window/);
    rmSync(broken, { recursive: true });
    await until(() => host!.snapshot().watch.error == null, 15_000);
    expect(logged.join('')).toMatch(/INFO Dashboard of .*refreshing works again/);
  });

  it('coalesces a burst of 5,000 commits from 4 processes, and drops no final state', async () => {
    host = await watchingHost({ root, coalesceMs: 30 });
    const patches = collect(host);
    const script = `import { openStateStore } from ${JSON.stringify(join(import.meta.dirname, '../../engine/index.ts'))};
      const s = openStateStore({ root: process.argv[1], fsync: false });
      for (let i = 0; i < 1250; i++) await s.updateTaskState('t' + (i % 100) + '-' + process.argv[2], { i });`;
    await Promise.all(
      [1, 2, 3, 4].map(
        (n) =>
          new Promise<void>((resolve, reject) => {
            const child = spawnAsync(['--input-type=module', '-e', script, root, String(n)]);
            child.on('exit', (code: number) => (code === 0 ? resolve() : reject(new Error(`worker exited ${code}`))));
          }),
      ),
    );
    const store = openStateStore({ root });
    const onDisk = new Map((await store.listTasks()).map((t) => [t.task_id, t.version]));
    await until(
      () => host!.snapshot().tasks.length === 400 && host!.snapshot().tasks.every((t: TaskRow) => onDisk.get(t.task_id) === t.version),
    );
    expect([...onDisk.values()].every((v) => v === 12 || v === 13)).toBe(true);
    // Every one of the 400 tasks reached subscribers as patches, ending at its version on disk…
    const taskPatches = patches.filter((p) => p.tasks);
    const lastSeen = new Map<string, number>();
    for (const p of taskPatches) for (const row of p.tasks!.upsert) lastSeen.set(row.task_id, row.version);
    expect(lastSeen.size).toBe(400);
    expect(new Map([...lastSeen].sort())).toEqual(new Map([...onDisk].sort()));
    // …coalesced: far fewer patches than the 5,000 commits.
    expect(taskPatches.length).toBeGreaterThan(0);
    expect(taskPatches.length).toBeLessThan(1000);
  });

  it('falls back to polling when the watch limit is reached, and says so', async () => {
    const failing = () => {
      const w = Object.assign(new EventEmitter(), { close: async () => {} });
      setTimeout(
        () => w.emit('error', Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' })),
        10,
      );
      return w as unknown as WatchSource;
    };
    host = await watchingHost({ root, watchFactory: failing });
    expect(host.snapshot().watch).toMatchObject({ mode: 'polling' });
    expect(host.snapshot().watch.reason).toMatch(/inotify watch limit/);
    cli('task', 'update', 'polled', '{"status":"queued"}');
    // Polling rescans at least a second apart, and three times as long as the last scan took.
    await until(() => host!.snapshot().tasks.some((t) => t.task_id === 'polled'), 20_000);
  });

  it('survives its root being deleted and recreated', async () => {
    host = await watchingHost({ root });
    cli('task', 'update', 'a', '{"n":1}');
    await until(() => host!.snapshot().tasks.length === 1);
    rmSync(root, { recursive: true, force: true });
    await until(() => host!.snapshot().tasks.length === 0 && host!.snapshot().watch.rootPresent === false);
    cli('task', 'update', 'b', '{"n":2}');
    await until(
      () =>
        host!
          .snapshot()
          .tasks.map((t) => t.task_id)
          .join() === 'b',
    );
  });
});

function spawnAsync(args: string[]) {
  return spawn(process.execPath, args, { stdio: 'inherit' });
}

describe('StateHost start-up', () => {
  it('misses no change made after its snapshot but before its watches were in place', async () => {
    cli('task', 'update', 'early', '{"n":1}');
    // Watches that go in only after another process committed: the snapshot
    // was read before that commit, so only the feed's catch-up can bring it.
    let committed = false;
    const late: WatchFactory = (watchRoot, ignored) => {
      const relay = new EventEmitter();
      let real: WatchSource | null = null;
      setTimeout(() => {
        cli('task', 'update', 'early', '{"n":2}');
        cli('task', 'update', 'late', '{"n":1}');
        committed = true;
        real = new TreeWatcher(watchRoot, ignored);
        real.on('all', (event, path) => relay.emit('all', event, path));
        real.on('ready', () => relay.emit('ready'));
      }, 50);
      return {
        on: (event: string, fn: (...args: unknown[]) => void) => relay.on(event, fn),
        close: async () => real?.close(),
      } as WatchSource;
    };
    host = new StateHost({ root, watchFactory: late });
    await host.start();
    expect(host.snapshot().tasks.map((t) => `${t.task_id}@${t.version}`)).toEqual(['early@1']);
    await host.whenWatching();
    expect(committed).toBe(true);
    await until(
      () =>
        host!
          .snapshot()
          .tasks.map((t) => `${t.task_id}@${t.version}`)
          .sort()
          .join() === 'early@2,late@1',
    );
  });
});

describe('StateHost legacy state', () => {
  it('offers a legacy state file as soon as it appears beside the folder, and stops once it is gone', async () => {
    host = await watchingHost({ root });
    expect(host.snapshot().legacyFile).toBeNull();
    const legacy = join(dir, '.parallel-dev-state.json');
    writeFileSync(legacy, JSON.stringify({ sessions: {}, tasks: {} }));
    await until(() => host!.snapshot().legacyFile === legacy, 3000); // the feed, not the 5 s housekeeping
    rmSync(legacy);
    await until(() => host!.snapshot().legacyFile === null, 3000);
  });
});

describe('StateHost switched while it loads', () => {
  /** A root holding tasks named `<prefix>-<n>`. */
  async function rootWithTasks(prefix: string, count: number): Promise<string> {
    const other = join(dir, prefix);
    const store = openStateStore({ root: other });
    for (let i = 0; i < count; i++) await store.updateTaskState(`${prefix}-${i}`, { n: i });
    store.close();
    return other;
  }

  /** Unhandled rejections while `run` runs (a load that outlived its store used to leave one: CI, etcd-secure). */
  async function unhandledDuring(run: () => Promise<void>): Promise<unknown[]> {
    const seen: unknown[] = [];
    const note = (err: unknown) => seen.push(err);
    process.on('unhandledRejection', note);
    try {
      await run();
      await new Promise((r) => setTimeout(r, 300)); // a late rejection surfaces within a few ticks
    } finally {
      process.off('unhandledRejection', note);
    }
    return seen;
  }

  it('opened twice in a row, it shows and watches the second folder only, and nothing goes unhandled', async () => {
    const [b, c] = [await rootWithTasks('b', 40), await rootWithTasks('c', 3)];
    const h = await watchingHost({ root });
    const unhandled = await unhandledDuring(async () => {
      const first = h.switchRoot(b); // superseded while it reads b's 40 tasks
      const second = h.switchRoot(c);
      await Promise.allSettled([first, second]);
      await second;
      await h.whenWatching();
    });
    expect(unhandled).toEqual([]);
    expect(
      h
        .snapshot()
        .tasks.map((t) => t.task_id)
        .sort(),
    ).toEqual(['c-0', 'c-1', 'c-2']);
    // The second folder is watched: a change there arrives; b's tasks never come back.
    const patches = collect(h);
    const store = openStateStore({ root: c });
    await store.updateTaskState('c-3', { n: 3 });
    store.close();
    await until(() => patches.some((p) => p.tasks?.upsert.some((t) => t.task_id === 'c-3')));
    expect(h.snapshot().tasks.some((t) => t.task_id.startsWith('b-'))).toBe(false);
  });
});

describe('StateHost on a root that appears later or moves', () => {
  it('starts on a missing root, reports it, and picks it up once created', async () => {
    const late = join(dir, 'late', '.worktrees', '.state');
    host = await watchingHost({ root: late });
    expect(host.snapshot().watch.rootPresent).toBe(false);
    expect(host.snapshot().tasks).toEqual([]);
    const r = spawnSync(process.execPath, [CLI, '--root', late, 'task', 'update', 'x1', '{"status":"in_progress"}'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    await until(() => host!.snapshot().tasks.some((t) => t.task_id === 'x1'));
    expect(host.snapshot().watch.rootPresent).toBe(true);
  });

  it('notices the root being moved away and moved back', async () => {
    host = await watchingHost({ root });
    cli('task', 'update', 'm', '{"n":1}');
    await until(() => host!.snapshot().tasks.length === 1);
    const { renameSync } = await import('node:fs');
    renameSync(root, `${root}-moved`);
    await until(() => host!.snapshot().tasks.length === 0 && host!.snapshot().watch.rootPresent === false);
    renameSync(`${root}-moved`, root);
    await until(() => host!.snapshot().tasks.length === 1 && host!.snapshot().watch.rootPresent === true);
  });
});

describe('StateHost integrity', () => {
  it('flags a task whose state.json is corrupted as soon as it changes, and clears it once recovered', async () => {
    host = await watchingHost({ root });
    cli('task', 'update', 'fragile', '{"status":"in_progress"}');
    cli('task', 'update', 'fragile', '{"status":"review"}');
    await until(() => host!.snapshot().tasks.some((t) => t.task_id === 'fragile' && t.version === 2));
    // Replaced, not written in place: state.json is a hard link to history/v2.json (see README).
    const { renameSync, writeFileSync } = await import('node:fs');
    const stateFile = join(root, 'tasks', 'task-fragile', 'state.json');
    writeFileSync(`${stateFile}.bad`, '{"trunc');
    renameSync(`${stateFile}.bad`, stateFile);
    await until(() => host!.snapshot().issues.some((i) => i.task_id === 'fragile' && i.kind === 'corrupt_state' && i.recoverable));
    // The row still shows the newest valid version while the file is damaged.
    expect(host.snapshot().tasks.find((t) => t.task_id === 'fragile')).toMatchObject({ version: 2, status: 'review' });
    cli('task', 'recover', 'fragile');
    await until(() => !host!.snapshot().issues.some((i) => i.task_id === 'fragile'));
  });
});

describe('recovering a task from the dashboard', () => {
  it("re-verifies that task alone: its issue goes, every other task's issues stay as they were found", async () => {
    const store = openStateStore({ root });
    for (const id of ['a', 'b', 'c']) {
      await store.updateTaskState(id, { n: 1 });
      await store.updateTaskState(id, { n: 2 });
    }
    // a and b are damaged (state.json unreadable, recoverable from history).
    for (const id of ['a', 'b']) {
      writeFileSync(join(root, 'tasks', `task-${id}`, 'state.json.new'), '{oops');
      renameSync(join(root, 'tasks', `task-${id}`, 'state.json.new'), join(root, 'tasks', `task-${id}`, 'state.json'));
    }
    host = await watchingHost({ root });
    await host.store.verifyAllStates();
    await until(() => host!.snapshot().issues.filter((i) => i.kind === 'corrupt_state').length === 2);
    // Damage that only a full verify would find (history is not watched): it must not appear because of a recover.
    writeFileSync(join(root, 'tasks', 'task-c', 'history', 'v1.json'), 'garbage');
    const handlers = createHandlers(host, new DemoRunner(host, CLI));
    const result = await handlers.recoverTask({ taskId: 'a' });
    expect(result).toMatchObject({ recovered: true });
    const issues = host.snapshot().issues;
    expect(issues.filter((i) => i.task_id === 'a')).toEqual([]);
    expect(issues.filter((i) => i.task_id === 'b').map((i) => i.kind)).toEqual(['corrupt_state']);
    expect(issues.filter((i) => i.task_id === 'c')).toEqual([]);
    store.close();
  });
});
