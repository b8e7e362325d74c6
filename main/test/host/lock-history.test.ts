// The lock timeline's data: the host keeps the lock log's recent lines, answers
// getLockEvents for a window, and pushes new lines in patches as they are read.
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Patch } from '../../../shared/contract.ts';
import type { LockEvent } from '../../../shared/model.ts';
import { openStateStore } from '../../engine/index.ts';
import { createHandlers, dispatch } from '../../host/api.ts';
import { DemoRunner } from '../../host/demo.ts';
import { LockHistory } from '../../host/lock-history.ts';
import { StateHost } from '../../host/state-host.ts';

const CLI = join(import.meta.dirname, '../../cli/bin.ts');
const ev = (ts: number, task_id = 't', outcome: LockEvent['outcome'] = 'acquired'): LockEvent => ({
  ts: new Date(ts).toISOString(),
  task_id,
  mode: 'write',
  pid: 1,
  owner: 'a',
  wait_ms: 0,
  outcome,
});

describe('LockHistory', () => {
  it('answers a window oldest first, keeping the newest when over the limit, and sorts interleaved lines', () => {
    const h = new LockHistory();
    const now = Date.now();
    h.add([ev(now - 5000), ev(now - 3000, 'u'), ev(now - 4000)]); // two processes' lines, out of order
    h.add([ev(now - 1000)]);
    expect(h.since(now - 4500, 10).events.map((e) => Date.parse(e.ts))).toEqual([now - 4000, now - 3000, now - 1000]);
    expect(h.since(now - 10_000, 2)).toMatchObject({
      total: 4,
      events: [{ ts: new Date(now - 3000).toISOString() }, { ts: new Date(now - 1000).toISOString() }],
    });
    expect(h.since(now - 10_000, 10, 'u').events).toHaveLength(1);
  });

  it('merges a late batch among the lines it belongs to, keeping the read order of equal times, in time linear in the lines it passes', () => {
    const h = new LockHistory();
    const now = Date.now() - 200_000;
    h.add(Array.from({ length: 100_000 }, (_, i) => ev(now + i, `old-${i}`)));
    // Two processes' lines, read a little out of order: 10 ms back, one at an existing time, one newest.
    const started = performance.now();
    for (let round = 0; round < 200; round++) h.add([ev(now + 99_990, `late-${round}`), ev(now + 100_000 + round, `new-${round}`)]);
    const tookMs = performance.now() - started;
    const { events, total } = h.since(0, Number.POSITIVE_INFINITY);
    expect(total).toBe(100_400);
    const times = events.map((e) => Date.parse(e.ts));
    expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
    // At one time: the line read first stays first (old-99990, then late-0, late-1, … in arrival order).
    const at = events.filter((e) => Date.parse(e.ts) === now + 99_990).map((e) => e.task_id);
    expect(at.slice(0, 3)).toEqual(['old-99990', 'late-0', 'late-1']);
    expect(at.at(-1)).toBe('late-199');
    // Sorting all 100,000 lines for each of the 200 batches took seconds; merging the tail takes milliseconds.
    expect(tookMs).toBeLessThan(1000);
  });

  it('stays bounded: the oldest lines go first', () => {
    const h = new LockHistory(10_000);
    const now = Date.now();
    for (let i = 0; i < 30; i++) h.add(Array.from({ length: 1000 }, (_, j) => ev(now - 60_000 + i * 1000 + j)));
    const { total, events } = h.since(0, 100_000);
    expect(total).toBeLessThan(10_000 + 4096);
    expect(Date.parse(events[events.length - 1]!.ts)).toBe(now - 60_000 + 29 * 1000 + 999);
  });

  it('skips a line whose time cannot be read', () => {
    const h = new LockHistory();
    h.add([{ ...ev(Date.now()), ts: 'garbage' }]);
    expect(h.since(0, 10).total).toBe(0);
  });
});

describe('StateHost lock events', () => {
  let dir = '';
  let host: StateHost | null = null;
  afterEach(async () => {
    await host?.close();
    host = null;
    rmSync(dir, { recursive: true, force: true });
  });

  /** A new, empty state root in this test's folder, with its logs folder made. */
  async function emptyRootWithLogs(prefix: string): Promise<{ root: string; logs: string }> {
    dir = mkdtempSync(join(tmpdir(), prefix));
    const root = join(dir, 'state');
    const store = openStateStore({ root });
    await store.init();
    store.close();
    const logs = join(root, 'logs');
    mkdirSync(logs, { recursive: true });
    return { root, logs };
  }

  it('serves the lock log over getLockEvents and pushes new holds in patches', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lockstep-lock-events-'));
    const root = join(dir, 'state');
    const store = openStateStore({ root });
    await store.init();
    await store.updateTaskState('before', { n: 1 }); // logged before the host starts
    store.close();

    host = new StateHost({ root });
    const patches: Patch[] = [];
    await host.start();
    await host.whenWatching();
    await host
      .subscribe((event, payload) => {
        if (event === 'patch') patches.push(payload as Patch);
      })
      .ready();
    const handlers = createHandlers(host, new DemoRunner(host, CLI));
    const first = await dispatch(handlers, 'getLockEvents', { windowMs: 60_000 });
    expect(first).toMatchObject({
      ok: true,
      value: {
        total: 2,
        events: [
          { task_id: 'before', outcome: 'acquired' },
          { task_id: 'before', outcome: 'released' },
        ],
      },
    });

    const r = spawnSync(
      process.execPath,
      [CLI, '--root', root, '--json', 'lock', 'acquire', 'live', '--hold', '150', '--owner', 'agent-7'],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(0);
    const deadline = Date.now() + 10_000;
    const pushed = () => patches.flatMap((p) => p.lockEvents ?? []).filter((e) => e.task_id === 'live');
    while (pushed().length < 2 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    const [acquired, released] = pushed();
    expect(acquired).toMatchObject({ outcome: 'acquired', owner: 'agent-7' });
    expect(released).toMatchObject({ outcome: 'released', owner: 'agent-7', token: acquired!.token });
    expect(released!.hold_ms).toBeGreaterThanOrEqual(140);

    const only = await dispatch(handlers, 'getLockEvents', { windowMs: 60_000, taskId: 'live' });
    expect(only).toMatchObject({ ok: true, value: { total: 2 } });
    expect(await dispatch(handlers, 'getLockEvents', { windowMs: 0 })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });

  it('shows a hold from 20 hours ago in the 24 h window, behind more than the 4 MiB tail the host starts from', async () => {
    const { root, logs } = await emptyRootWithLogs('lockstep-lock-range-');
    const now = Date.now();
    const line = (t: number, task: string, owner: string, i: number): LockEvent => ({
      ts: new Date(t).toISOString(),
      task_id: task,
      mode: 'write',
      pid: 4000 + (i % 7),
      owner,
      wait_ms: 12,
      outcome: 'released',
      hold_ms: 40,
      token: `tok-${task}-${i}`,
      host: 'box',
    });
    // The lock log's format: one JSON line per event, in the file of its UTC day.
    const append = (e: LockEvent) => appendFileSync(join(logs, `locks-${e.ts.slice(0, 10)}.jsonl`), `${JSON.stringify(e)}\n`);
    const old = now - 20 * 3600_000;
    append(line(old, 'night-job', 'agent-9', 0));
    // 30,000 recent lines (about 6 MiB) in the last 10 minutes: the host's first read keeps only their newest 4 MiB.
    const recent = Array.from({ length: 30_000 }, (_, i) => line(now - 600_000 + i * 20, `task-${i % 12}`, `agent-${i % 5}`, i));
    for (let i = 0; i < recent.length; i += 5000)
      appendFileSync(
        join(logs, `locks-${recent[i]!.ts.slice(0, 10)}.jsonl`),
        recent
          .slice(i, i + 5000)
          .map((e) => `${JSON.stringify(e)}\n`)
          .join(''),
      );

    host = new StateHost({ root });
    await host.start();
    await host.whenWatching();
    const handlers = createHandlers(host, new DemoRunner(host, CLI));

    const day = await dispatch(handlers, 'getLockEvents', { windowMs: 24 * 3600_000, limit: 100_000 });
    expect(day.ok).toBe(true);
    if (!day.ok) return;
    const answer = day.value as { events: LockEvent[]; total: number };
    expect(answer.total).toBe(30_001);
    expect(answer.events[0]).toMatchObject({ task_id: 'night-job', owner: 'agent-9' });
    // A range picked around that night: only its line.
    const picked = await dispatch(handlers, 'getLockEvents', { from: old - 60_000, to: old + 60_000 });
    expect(picked).toMatchObject({ ok: true, value: { total: 1, events: [{ task_id: 'night-job' }] } });
    // The cap holds: the newest lines, and how many there were.
    const capped = await dispatch(handlers, 'getLockEvents', { windowMs: 24 * 3600_000, limit: 1000 });
    expect(capped).toMatchObject({ ok: true, value: { total: 30_001 } });
    if (capped.ok) expect((capped.value as { events: LockEvent[] }).events.at(-1)).toEqual(recent.at(-1));
    // A range is both ends, after one another; not both a range and a window.
    for (const bad of [{ from: now, to: now - 1 }, { from: now - 1000 }, { windowMs: 1000, from: now - 2000, to: now }])
      expect(await dispatch(handlers, 'getLockEvents', bad)).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });
  it('sends the first snapshot before reading the lock log, then its contention; getLockEvents waits for the lines', async () => {
    const { root, logs } = await emptyRootWithLogs('lockstep-lock-tail-');
    // A busy root: 20,000 acquisitions with waits in the last 10 minutes, for 12 tasks.
    const now = Date.now();
    const lines = Array.from({ length: 20_000 }, (_, i) => ({ ...ev(now - 600_000 + i * 30, `busy-${i % 12}`), wait_ms: 12 }));
    for (const e of lines) appendFileSync(join(logs, `locks-${e.ts.slice(0, 10)}.jsonl`), `${JSON.stringify(e)}\n`);

    host = new StateHost({ root });
    const received: { event: string; payload: unknown }[] = [];
    await host.start();
    await host.subscribe((event, payload) => received.push({ event, payload })).ready();
    // The first screen had no lock history to wait for.
    expect(received[0]).toMatchObject({ event: 'reset', payload: { contention: [] } });
    // Asked at once, the lock timeline gets every line of the tail, not a partial answer.
    const handlers = createHandlers(host, new DemoRunner(host, CLI));
    const answer = await dispatch(handlers, 'getLockEvents', { windowMs: 3600_000, limit: 100_000 });
    expect(answer).toMatchObject({ ok: true, value: { total: lines.length } });
    // The contention figures followed in a patch.
    const contention = received.flatMap(({ payload }) => (payload as Patch).contention ?? []);
    expect(contention).toHaveLength(12);
    expect(contention[0]).toMatchObject({ waited: expect.any(Number), wait_max_ms: 12 });
    expect(contention.reduce((n, c) => n + c.acquisitions, 0)).toBe(lines.filter((e) => Date.parse(e.ts) >= now - 15 * 60_000).length);
  });
});
