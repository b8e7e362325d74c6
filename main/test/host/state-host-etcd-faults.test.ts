// The dashboard host on etcd under faults, with real processes: the
// cluster's leader killed (-9) under a write load, and a compaction that
// cancels the host's watch. Each test runs its own 3-member cluster, so
// killing a member or compacting never disturbs the run's shared one.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Etcd3 } from 'etcd3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AuditEntry } from '../../../shared/model.ts';
import type { Patch, Snapshot, WatchStatus } from '../../../shared/contract.ts';
import { EtcdFeed } from '../../engine/etcd/feed.ts';
import { EtcdStateStore } from '../../engine/etcd/index.ts';
import { lineLogger } from '../../host/logger.ts';
import { StateHost } from '../../host/state-host.ts';
import { freshNamespace, startCluster, type EtcdCluster } from '../etcd/cluster.ts';
import { spawnEtcdWorker, type EtcdFixture } from '../etcd/setup.ts';
import { killChildren, type Proc } from '../helpers.ts';

const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  await killChildren();
  for (const clean of cleanups.splice(0).reverse()) await clean().catch(() => {});
});

async function until(check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function ownCluster(): Promise<EtcdCluster> {
  const cluster = await startCluster({ members: 3 });
  cleanups.push(() => cluster.stop());
  return cluster;
}

function ownStore(endpoints: string[], namespace: string, owner: string): EtcdStateStore {
  const store = new EtcdStateStore({ etcd: { endpoints, namespace }, owner });
  cleanups.push(() => store.close());
  return store;
}

/** What a dashboard window receives: the reset snapshots and every patch, with the time each arrived. */
function subscribeAll(host: StateHost) {
  const resets: Snapshot[] = [];
  const patches: { at: number; patch: Patch }[] = [];
  const subscription = host.subscribe((event, payload) => {
    if (event === 'reset') resets.push(payload as Snapshot);
    if (event === 'patch') patches.push({ at: Date.now(), patch: payload as Patch });
  });
  cleanups.push(async () => subscription.close());
  return {
    resets,
    patches,
    ready: () => subscription.ready(),
    /** Every audit entry the window was sent: the first snapshot's activity, then each patch's. */
    activity(): AuditEntry[] {
      return [...(resets[0]?.activity ?? []), ...patches.flatMap((p) => p.patch.activity ?? [])];
    },
    watchStatuses(): WatchStatus[] {
      return patches.flatMap((p) => (p.patch.watch ? [p.patch.watch] : []));
    },
  };
}

async function runIncrementers(fixture: EtcdFixture, task: string, processes: number, count: number) {
  const workers: Proc[] = [];
  for (let i = 0; i < processes; i++)
    workers.push(spawnEtcdWorker(fixture, ['--mode', 'increment', '--task', task, '--count', String(count)]));
  await Promise.all(workers.map((w) => w.waitForLine((l) => l === 'ready', 30_000)));
  for (const w of workers) w.send('go');
  return Promise.all(workers.map((w) => w.waitForJson<{ done: number; conflicts: number; error?: unknown }>((v) => 'done' in v, 170_000)));
}

/** The host's tasks as the store has them: id and version. */
async function sameAsStore(host: StateHost, store: EtcdStateStore): Promise<{ host: string[]; store: string[] }> {
  const stored = (await store.listTasks()).map((t) => `${t.task_id}@${t.version}`).sort();
  const shown = host
    .snapshot()
    .tasks.map((t) => `${t.task_id}@${t.version}`)
    .sort();
  return { host: shown, store: stored };
}

/**
 * A TCP link to one member that can be cut and restored on the same port:
 * while cut, open connections are dropped and new ones refused, as when a
 * dashboard's network goes down.
 */
class Link {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private cut = false;
  private readonly target: URL;

  constructor(target: string) {
    this.target = new URL(target);
  }

  async start(): Promise<string> {
    this.server = createServer((client) => {
      if (this.cut) return void client.destroy();
      const upstream = connect(Number(this.target.port), this.target.hostname);
      for (const s of [client, upstream]) this.sockets.add(s);
      client.pipe(upstream).pipe(client);
      const close = () => {
        for (const s of [client, upstream]) {
          s.destroy();
          this.sockets.delete(s);
        }
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => this.stop());
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  down(): void {
    this.cut = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  up(): void {
    this.cut = false;
  }

  async stop(): Promise<void> {
    this.down();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

describe('StateHost on etcd, under faults', () => {
  it('misses no version and loses no update when the leader is killed (-9) under a load from 4 writer processes', async () => {
    const cluster = await ownCluster();
    const namespace = freshNamespace('host-leader');
    const store = ownStore(cluster.endpoints, namespace, 'checker');
    await store.init();

    // Activity is the host's per-version record: one audit entry per commit, each carrying its new_version.
    const host = new StateHost({ etcd: { endpoints: cluster.endpoints, namespace }, activityLimit: 10_000 });
    cleanups.push(() => host.close());
    await host.start();
    await host.whenWatching();
    const window = subscribeAll(host);
    await window.ready();

    const fixture: EtcdFixture = { cluster, ns: namespace, store, another: () => store };
    const load = runIncrementers(fixture, 'counter', 4, 150);
    await until(() => (host.snapshot().tasks.find((t) => t.task_id === 'counter')?.version ?? 0) > 100);
    const leader = await cluster.leader();
    const killedAt = Date.now();
    await cluster.kill(leader.name);

    const results = await load;
    for (const r of results) expect(r).toMatchObject({ done: 150 });
    // Every acknowledged update is in the store, once: a resent commit would make the counter run ahead.
    expect(await store.getTaskState('counter')).toMatchObject({ counter: 600, version: 600 });

    await until(() => host.snapshot().tasks.find((t) => t.task_id === 'counter')?.version === 600);
    await until(() => window.activity().filter((e) => e.task_id === 'counter').length >= 600);
    await host.whenSettled();
    const versions = window
      .activity()
      .filter((e) => e.task_id === 'counter')
      .map((e) => e.new_version);
    expect(versions).toEqual(Array.from({ length: 600 }, (_, k) => k + 1)); // no gap, no duplicate, in order
    expect(window.resets).toHaveLength(1); // the host never had to start its windows over
    expect(await sameAsStore(host, store)).toEqual({ host: ['counter@600'], store: ['counter@600'] });

    // The longest time the window went without news of a commit, from the kill on.
    const arrivals = window.patches.filter((p) => p.at >= killedAt && p.patch.activity?.length).map((p) => p.at);
    const stall = Math.max(0, ...arrivals.map((at, i) => at - (i === 0 ? killedAt : arrivals[i - 1]!)));
    console.log(
      `etcd 3 members, leader killed under 4 writers: the dashboard went ${stall} ms without a new version; saw 600/600 versions, 0 duplicates`,
    );
  }, 180_000); // 4 writers, an election and a 3-member cluster of our own on 2 shared cores

  it('recovers from a compaction that cancels its watch (rescan) and ends equal to the store, while writes continue', async () => {
    const cluster = await ownCluster();
    const namespace = freshNamespace('host-compact');
    const writer = ownStore(cluster.endpoints, namespace, 'writer');
    await writer.init();
    for (let i = 1; i <= 3; i++) await writer.updateTaskState(`t${i}`, { step: 0 });

    // What the host's change feed reports (it reads, it does not change anything): proof that etcd
    // cancelled the watch for a compacted revision, and what the feed said about it.
    const feedStatuses: string[] = [];
    const feed = EtcdFeed.prototype as unknown as { setStatus(error: string | null): void };
    const setStatus = feed.setStatus;
    vi.spyOn(feed, 'setStatus').mockImplementation(function (this: EtcdFeed, error: string | null) {
      feedStatuses.push(String(error));
      setStatus.call(this, error);
    });

    // The host reaches the cluster through one member over a link we can cut.
    const link = new Link(cluster.endpoints[0]!);
    const logged: string[] = []; // the outage is logged, as expected: kept off the test output
    const host = new StateHost({
      etcd: { endpoints: [await link.start()], namespace },
      activityLimit: 10_000,
      logger: lineLogger((l) => logged.push(l)),
    });
    cleanups.push(() => host.close());
    await host.start();
    await host.whenWatching();
    const window = subscribeAll(host);
    await window.ready();

    const raw = new Etcd3({ hosts: cluster.endpoints });
    cleanups.push(async () => raw.close());
    const compactNow = async () => {
      const revision = Number((await raw.get('none').exec()).header.revision);
      await raw.kv.compact({ revision: String(revision), physical: true });
      return revision;
    };

    let step = 0;
    let writing = true;
    const writes = (async () => {
      while (writing) {
        step++;
        await writer.updateTaskState(`t${(step % 3) + 1}`, { step });
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    // A compaction behind a watch that keeps up changes nothing for it: etcd cancels only watches that still need compacted revisions.
    await until(() => window.activity().length >= 20);
    await compactNow();
    await until(() => window.activity().length >= 40);

    // The link goes down; writes go on; the cluster compacts past what the host has seen; the link comes back.
    link.down();
    const seenBefore = window.activity().length;
    await new Promise((r) => setTimeout(r, 1000));
    const compactedAt = await compactNow();
    await new Promise((r) => setTimeout(r, 300));
    link.up();

    // The host's watch resumes from a compacted revision, is cancelled, and the host rescans.
    await until(() => window.activity().length > seenBefore + 30, 60_000);
    writing = false;
    await writes;
    await until(() => host.snapshot().tasks.every((t) => t.version > 1));
    await expect
      .poll(
        async () => {
          const { host: shown, store: stored } = await sameAsStore(host, writer);
          return shown.join() === stored.join() ? shown : { shown, stored };
        },
        { timeout: 20_000 },
      )
      .toHaveLength(3);

    // The activity log is read by position, not from the watch: it misses nothing either. (It reaches the
    // window in the patch after the tasks' read, so the snapshot above may be a moment ahead of it.)
    const audited = (await writer.readAuditLog()).map((e) => `${e.task_id}@${e.new_version}`);
    await expect.poll(() => window.activity().map((e) => `${e.task_id}@${e.new_version}`), { timeout: 10_000 }).toEqual(audited);

    // etcd cancelled the resumed watch (its start revision was compacted away) and the feed rescanned.
    expect(feedStatuses).toContainEqual(expect.stringMatching(/^etcd watch cancelled .*; rescanning$/));
    // The window ends on a live watch with no error. (The host replaces the feed's own error text with
    // its refresh error, so "rescanning" itself never reaches the window: see the report.)
    expect(host.snapshot().watch).toMatchObject({ mode: 'native', error: null });
    const notes = logged.filter((l) => l.includes('Dashboard of'));
    if (notes.length) expect(notes.at(-1)).toMatch(/refreshing works again/); // an outage the host logged, it logged the end of too
    console.log(`feed statuses: ${JSON.stringify(feedStatuses)}`);
    console.log(
      `compacted at revision ${compactedAt}; watch statuses sent to the window: ${JSON.stringify(window.watchStatuses())}; resets: ${window.resets.length}`,
    );
  }, 120_000);
});
