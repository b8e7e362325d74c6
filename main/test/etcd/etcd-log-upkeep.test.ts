// The audit and lock logs on etcd are pruned to their retention, off the
// commits' path: the keyspace stays bounded however many commits and locks
// go by, and the readers that follow the logs (the dashboard's activity
// feed, `log --since`, contention) still see every recent entry.
import { Etcd3 } from 'etcd3';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../shared/model.ts';
import { sleep } from '../helpers.ts';
import { closeStores, etcdFixture, type EtcdFixture } from './setup.ts';

const clients: Etcd3[] = [];
afterEach(async () => {
  await closeStores();
  for (const c of clients.splice(0)) c.close();
});

/** How many keys each log holds, counted on the cluster itself. */
async function logSizes(fx: EtcdFixture): Promise<{ audit: number; locks: number }> {
  const etcd = new Etcd3({ hosts: fx.cluster.endpoints });
  clients.push(etcd);
  const [audit, locks] = await Promise.all([
    etcd.getAll().prefix(`${fx.ns}/audit/`).count(),
    etcd.getAll().prefix(`${fx.ns}/locklog/`).count(),
  ]);
  return { audit, locks };
}

describe('etcd: log upkeep', () => {
  it('keeps the audit and lock logs bounded under many commits and locks, and their readers see every recent entry', async () => {
    const retention = { maxEntries: 60, everyRevisions: 25 };
    const fx = await etcdFixture('logcap', { logRetention: retention });
    const follower = fx.store.openLogReader('audit');
    await follower.readNew();
    const followed: AuditEntry[] = [];
    const commits = 400;
    for (let v = 1; v <= commits; v++) {
      if (v % 4 === 0) {
        const lock = await fx.store.acquireLock('t', 'write');
        await fx.store.updateTaskState('t', { n: v }, { lock });
        await fx.store.releaseLock(lock);
      } else {
        await fx.store.updateTaskState('t', { n: v });
      }
      // The dashboard follows the log far more often than every 10 commits.
      if (v % 10 === 0) followed.push(...(await follower.readNew()));
    }
    // Between two prunes at most everyRevisions writes go by, each adding at most one entry to each log.
    // The prune a write triggers runs in the background: the last one may still be under way.
    const bound = retention.maxEntries + retention.everyRevisions;
    await expect
      .poll(async () => Object.values(await logSizes(fx)), { timeout: 10_000 })
      .toSatisfy((n: number[]) => n.every((c) => c <= bound));
    // A prune still under way may cut the logs between two reads: sizes and the whole log are taken
    // together, again until the sizes did not change around the read of the log.
    let sizes = await logSizes(fx);
    let all = await fx.store.readAuditLog();
    for (let tries = 0; JSON.stringify(await logSizes(fx)) !== JSON.stringify(sizes); tries++) {
      expect(tries, 'the log sizes kept changing after the writes ended').toBeLessThan(50);
      await sleep(100);
      sizes = await logSizes(fx);
      all = await fx.store.readAuditLog();
    }
    console.log(
      `etcd log upkeep: after ${commits} commits (${commits / 4} under a lock), audit ${sizes.audit} keys, lock log ${sizes.locks} keys (cap ${retention.maxEntries}, pruned every ${retention.everyRevisions} revisions)`,
    );
    expect(sizes.audit).toBeGreaterThanOrEqual(retention.maxEntries);
    expect(sizes.locks).toBeGreaterThanOrEqual(retention.maxEntries);

    // The follower saw every commit, in order, although the oldest entries are gone from the cluster.
    const versions = followed.filter((e) => e.change_type === 'task_updated').map((e) => e.new_version);
    expect(versions).toEqual(Array.from({ length: commits }, (_, i) => i + 1));

    // What is kept is the newest: the whole log ends with the last commit, and a `since` query still answers.
    expect(all.length).toBe(sizes.audit);
    expect(all.at(-1)).toMatchObject({ change_type: 'task_updated', new_version: commits });
    const since = all.find((e) => e.new_version === commits - 9)!.timestamp;
    const recent = (await fx.store.readAuditLog({ since, task: 't' })).filter((e) => e.change_type === 'task_updated');
    expect(recent.map((e) => e.new_version)).toEqual(Array.from({ length: 10 }, (_, i) => commits - 9 + i));
    expect((await fx.store.getContention()).find((c) => c.task_id === 't')?.acquisitions).toBeGreaterThan(0);

    // gc prunes to the cap at once.
    await fx.store.collectGarbage();
    expect(await logSizes(fx)).toEqual({ audit: retention.maxEntries, locks: retention.maxEntries });
    // The task itself is untouched by the upkeep.
    expect((await fx.store.getTaskState('t'))?.version).toBe(commits);
  }, 180_000);

  it('removes entries older than the retention age on gc, and keeps the younger ones', async () => {
    // The 3 younger commits and the prune must all happen within maxAgeMs of the first of them: 4 s, not
    // 1.5 s, as etcd's disk syncs on a loaded machine can take hundreds of ms each.
    const fx = await etcdFixture('logage', { logRetention: { maxAgeMs: 4000, everyRevisions: 1_000_000_000 } });
    for (let v = 1; v <= 5; v++) await fx.store.updateTaskState('old', { n: v });
    await sleep(4100);
    for (let v = 1; v <= 3; v++) await fx.store.updateTaskState('new', { n: v });
    expect((await fx.store.pruneLogs()).audit).toBe(5);
    expect((await fx.store.readAuditLog()).map((e) => [e.task_id, e.new_version])).toEqual([
      ['new', 1],
      ['new', 2],
      ['new', 3],
    ]);
    expect((await fx.store.getTaskHistory('old')).length).toBe(5);
  }, 60_000);
});
