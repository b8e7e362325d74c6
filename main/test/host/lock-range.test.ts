// getLockEvents over a range that reaches back before the host's in-memory
// tail (the 24 h window, or a range the user picked): the store reads the
// lock log back, on both backends, and the answer is bounded by its limit.
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LockEvent } from '../../../shared/model.ts';
import { openStateStore } from '../../engine/index.ts';
import { createHandlers, dispatch } from '../../host/api.ts';
import { DemoRunner } from '../../host/demo.ts';
import { StateHost } from '../../host/state-host.ts';
import { describeBackends } from '../backends.ts';

const CLI = join(import.meta.dirname, '../../cli/bin.ts');
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeBackends('lock log read back by time range', (backend) => {
  it('returns the lines of the range oldest first, of one task if asked, and keeps the newest when over the limit', async () => {
    const store = await backend.open({ owner: 'agent-1' });
    // Real lock lines: each hold logs its acquisition and its release (the release line may land just after the call returns).
    const hold = async (task: string) => store.releaseLock(await store.acquireLock(task));
    const lines = async (fromMs: number, n: number) => {
      for (let tries = 0; tries < 100; tries++) {
        if ((await store.readLockEvents({ fromMs, toMs: Date.now() + 1000, limit: 100 })).total >= n) return;
        await pause(20);
      }
    };
    const start = Date.now();
    await hold('early');
    await lines(start, 2);
    await pause(30);
    const middle = Date.now();
    await pause(30);
    await hold('late-a');
    await hold('late-b');
    await lines(start, 6);
    const end = Date.now() + 1;

    const all = await store.readLockEvents({ fromMs: middle - 60_000, toMs: end, limit: 100 });
    expect(all.total).toBe(6);
    expect(all.events.map((e) => `${e.task_id} ${e.outcome}`)).toEqual([
      'early acquired',
      'early released',
      'late-a acquired',
      'late-a released',
      'late-b acquired',
      'late-b released',
    ]);
    const later = await store.readLockEvents({ fromMs: middle, toMs: end, limit: 100 });
    expect(later.events.map((e) => e.task_id)).toEqual(['late-a', 'late-a', 'late-b', 'late-b']);
    expect(await store.readLockEvents({ fromMs: middle, toMs: end, limit: 100, taskId: 'late-b' })).toMatchObject({ total: 2 });
    const capped = await store.readLockEvents({ fromMs: middle - 60_000, toMs: end, limit: 2 });
    expect(capped.total).toBe(6);
    expect(capped.events.map((e) => `${e.task_id} ${e.outcome}`)).toEqual(['late-b acquired', 'late-b released']);
    expect(await store.readLockEvents({ fromMs: end + 1000, toMs: end + 2000, limit: 10 })).toEqual({ events: [], total: 0 });
  });
});

describe('the host answers a window older than its tail from the log', () => {
  let dir = '';
  let host: StateHost | null = null;
  afterEach(async () => {
    await host?.close();
    host = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows a hold from 20 hours ago in the 24 h window, behind more than the 4 MiB tail the host starts from', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lockstep-lock-range-'));
    const root = join(dir, 'state');
    const store = openStateStore({ root });
    await store.init();
    store.close();
    const logs = join(root, 'logs');
    mkdirSync(logs, { recursive: true });
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
});
