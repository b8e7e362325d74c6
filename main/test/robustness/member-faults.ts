// The etcd run's own fault: kill -9 of a cluster member, by pid, while the
// workers run; it stays down for a while, then starts again on its data
// folder. One member at a time, so the cluster keeps its quorum (2 of 3) and
// the run measures what the engine does through an election and a member
// catching up, not an outage. The first victim is always the leader, later
// ones are the leader half the time.
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster, type EtcdCluster } from '../etcd/cluster.ts';
import type { FaultEvent } from './events.ts';
import type { Journal } from './journal.ts';
import type { Random } from './random.ts';

const REAPER = fileURLToPath(new URL('../etcd/cluster-reaper.ts', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A 3-member cluster for one run. The members die with this process when it
 * exits; a reaper process (the test harness's) kills them by pid if this
 * process is itself killed.
 */
export async function startRunCluster(): Promise<EtcdCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-torture-etcd-'));
  spawn(process.execPath, [REAPER, String(process.pid), dir], { stdio: 'ignore', detached: true }).unref();
  return startCluster({ members: 3, dir });
}

/** The members' logs, kept with the run (the data folders go with the cluster). */
export function keepMemberLogs(cluster: EtcdCluster, logs: string): void {
  mkdirSync(logs, { recursive: true });
  for (const m of cluster.state.members) {
    try {
      copyFileSync(join(cluster.state.dir, `${m.name}.log`), join(logs, `etcd-${m.name}.log`));
    } catch {
      /* a member that never wrote a log */
    }
  }
}

/** Until `deadline()` has passed: wait, kill a member, keep it down 1–3 s, restart it and wait until the cluster is healthy. */
export async function killMembers(
  cluster: EtcdCluster,
  journal: Journal,
  rng: Random,
  deadline: () => number,
): Promise<{ kills: number; leaderKills: number }> {
  const log = (event: FaultEvent) => journal.append(event);
  let kills = 0;
  let leaderKills = 0;
  // Before the first kill and between kills: long enough for the load to settle in again.
  let pause = rng.between(1500, 3000);
  // A member still down at the deadline is started again before the workers stop, so only the kill must fit.
  while (Date.now() + pause + 1000 < deadline()) {
    await sleep(pause);
    const leader = await cluster.leader();
    const victim = kills === 0 || rng.next() < 0.5 ? leader : rng.pick(cluster.state.members.filter((m) => m !== leader));
    const isLeader = victim === leader;
    log({ type: 'member-kill', member: victim.name, pid: victim.pid ?? 0, leader: isLeader, t: Date.now() });
    await cluster.kill(victim.name);
    kills++;
    if (isLeader) leaderKills++;
    await sleep(rng.between(1000, 3000));
    const restarting = Date.now();
    await cluster.restart(victim.name);
    log({ type: 'member-restart', member: victim.name, pid: victim.pid ?? 0, t: Date.now(), healthy_ms: Date.now() - restarting });
    pause = rng.between(2000, 5000);
  }
  return { kills, leaderKills };
}
