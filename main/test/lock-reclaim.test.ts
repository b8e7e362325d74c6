// Requirements 3 and 4: reclaiming stale locks under a race never lets two
// writers in, and a holder frozen past its lease cannot clobber the state
// written by the process that took over.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LockHolder } from '../../shared/model.ts';
import {
  cleanUpAfterEach,
  deadPid,
  openTempStore,
  plantTicket,
  readAuditLines,
  runCli,
  sleep,
  spawnCli,
  spawnWorker,
  ticketsOf,
} from './helpers.ts';

cleanUpAfterEach();

interface RaceResult {
  round: number;
  acquired: boolean;
  violation: boolean;
  waited_ms?: number;
  error?: unknown;
}

describe('stale lock reclaim race', () => {
  it('8 processes reclaiming a dead or expired lock never hold it together (60 rounds)', async () => {
    const { root, store } = openTempStore();
    await store.init();
    await store.updateTaskState('contended', { n: 0 });
    const lockFile = join(root, 'tasks', 'task-contended', 'state.lock');
    const marker = join(root, 'occupied');

    const PROCS = 8;
    const ROUNDS = 60;
    const racers = Array.from({ length: PROCS }, () =>
      spawnWorker('race-lock', ['--root', root, '--task', 'contended', '--marker', marker]),
    );
    await Promise.all(racers.map((r) => r.waitForLine((l) => l === 'ready')));

    const results: RaceResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // A stale holder's ticket at the head of the queue: alternately a dead holder and a live one whose lease ran out.
      const dead = round % 2 === 0;
      expect(ticketsOf(lockFile)).toEqual([]);
      plantTicket(
        lockFile,
        dead
          ? { pid: await deadPid(), owner: 'dead-holder', leaseMs: 60_000 }
          : { pid: process.pid, owner: 'expired-holder', leaseMs: 1000, ageMs: 60_000 },
      );
      for (const r of racers) r.send(`go ${round}`);
      const roundResults = await Promise.all(racers.map((r) => r.waitForJson<RaceResult>((v) => v.round === round, 30_000)));
      results.push(...roundResults);
    }
    for (const r of racers) r.send('exit');
    await Promise.all(racers.map((r) => r.waitExit()));

    expect(results).toHaveLength(PROCS * ROUNDS);
    expect(results.filter((r) => !r.acquired)).toEqual([]);
    expect(results.filter((r) => r.violation)).toEqual([]);
    expect(existsSync(marker)).toBe(false);
    // Each stale lock was broken exactly once: no reclaimer ever removed a live holder's fresh lock.
    const broken = readAuditLines(root).filter((e) => e.change_type === 'lock_broken' && e.task_id === 'contended');
    expect(broken).toHaveLength(ROUNDS);
    expect(ticketsOf(lockFile)).toEqual([]);
  }, 120_000);
});

describe('releasing a lock after its lease expired', () => {
  it('never disturbs the process that took it over (8 s of churn: 6 careful writers, 2 overstaying)', async () => {
    const { root, store } = openTempStore();
    await store.updateTaskState('churn', { n: 0 });
    const marker = join(root, 'occupied');
    const common = ['--root', root, '--task', 'churn', '--marker', marker, '--ms', '8000'];
    const workers = [
      ...Array.from({ length: 6 }, () => spawnWorker('lease-churn', [...common, '--mode', 'good'])),
      ...Array.from({ length: 2 }, () => spawnWorker('lease-churn', [...common, '--mode', 'sloppy', '--lease', '50'])),
    ];
    await Promise.all(workers.map((w) => w.waitForLine((l) => l === 'ready')));
    for (const w of workers) w.send('go');
    const results = await Promise.all(
      workers.map((w) =>
        w.waitForJson<{ mode: string; acquired: number; violations: number; timeouts: number; errors: unknown[] }>(() => true, 40_000),
      ),
    );
    for (const r of results) {
      expect(r.errors).toEqual([]);
      expect(r.timeouts).toBe(0);
      expect(r.acquired).toBeGreaterThan(5);
    }
    // The overstaying holders really were taken over...
    expect(readAuditLines(root).filter((e) => e.change_type === 'lock_broken').length).toBeGreaterThan(10);
    // ...and their late releases never let two careful writers in together.
    expect(results.reduce((n, r) => n + r.violations, 0)).toBe(0);
    expect(existsSync(marker)).toBe(false);
  }, 60_000);
});

describe('a holder paused past its lease', () => {
  it("cannot commit after SIGCONT: VersionConflictError, and the new writer's state and lock survive", async () => {
    const { root, store } = openTempStore();
    await store.init();
    await store.updateTaskState('paused', { by: 'setup' });
    await store.updateTaskState('paused', { by: 'setup', step: 2 });
    const LEASE = 300;

    const holder = spawnWorker('paused-holder', ['--root', root, '--task', 'paused', '--lease', String(LEASE)]);
    const ready = await holder.waitForJson<{ ready: boolean; version: number }>((v) => v.ready === true);
    expect(ready.version).toBe(2);

    holder.signal('SIGSTOP');
    await sleep(LEASE + 300);

    // Another process takes over the expired lease (within its 3 s time-out, far below the default 10 s lease) and commits.
    const other = await runCli(root, ['--json', 'task', 'update', 'paused', '{"by":"other"}', '--timeout', '3000']);
    expect(other.stderr).toBe('');
    expect(other.code).toBe(0);
    expect(other.json).toMatchObject({ version: 3, by: 'other' });

    // And a third process holds the lock while the frozen one wakes up.
    const third = spawnCli(root, ['--json', 'lock', 'acquire', 'paused', '--hold', '20000', '--owner', 'third']);
    const thirdRecord = await third.waitForJson<{ pid: number; mode: string }>();
    expect(thirdRecord).toMatchObject({ pid: third.pid, mode: 'write' });

    holder.signal('SIGCONT');
    holder.send('commit');
    const outcome = await holder.waitForJson<{ result: string; name?: string }>((v) => 'result' in v);
    expect(outcome).toMatchObject({ result: 'error', name: 'VersionConflictError', code: 'VERSION_CONFLICT' });
    expect(await holder.waitForJson<{ refreshed: boolean }>((v) => 'refreshed' in v)).toEqual({ refreshed: false });
    await holder.waitForJson((v) => 'released' in v);
    expect((await holder.waitExit()).code).toBe(0);

    // Nothing of the frozen holder reached the disk.
    const stateFile = join(root, 'tasks', 'task-paused', 'state.json');
    expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toMatchObject({ version: 3, by: 'other' });
    expect(existsSync(join(root, 'tasks', 'task-paused', 'history', 'v4.json'))).toBe(false);
    // Its release did not remove the third process's lock.
    const locks = await runCli(root, ['--json', 'locks']);
    expect(locks.code).toBe(0);
    const holders = locks.json as LockHolder[];
    expect(holders).toHaveLength(1);
    expect(holders[0]).toMatchObject({ task_id: 'paused', mode: 'write', pid: third.pid, owner: 'third', alive: 'alive' });

    third.signal('SIGTERM');
    expect((await third.waitExit()).code).toBe(0);
    expect(ticketsOf(join(root, 'tasks', 'task-paused', 'state.lock'))).toEqual([]);
    const after = await store.updateTaskState('paused', { by: 'test' }, { timeout: 1000 });
    expect(after.version).toBe(4);
  }, 60_000);
});
