// Deadlock detection over the live waits-for graph. A process that holds one
// task's lock while it waits for another's can deadlock with others doing
// the same: A holds task-1 and waits for task-2 while B holds task-2 and
// waits for task-1. Nobody in such a cycle proceeds until one times out.
//
// Nodes are processes (host + pid): each waiter points at every process
// that keeps it waiting on that task, namely the holders it conflicts with
// and the conflicting waiters queued before it (waiting is first come,
// first served, so those go first). A cycle through two or more processes
// is a deadlock. Within one process, a holder and a waiter may belong to
// independent async paths, so a process is never reported as waiting for
// itself. Pure functions: the CLI and the dashboard both call them.
import type { Deadlock, LockMode, TaskLocks } from './model.ts';

export interface LockParty {
  pid: number;
  host: string;
  owner: string;
  mode: LockMode;
}

/** One task's lock: its live holders, and its waiters in queue order. */
export interface LockQueue {
  task_id: string;
  holders: LockParty[];
  waiters: LockParty[];
}

interface Edge {
  to: string;
  /** The task the waiter waits for. */
  task: string;
  mode: LockMode;
}

const nodeOf = (p: LockParty): string => `${p.host}\u0000${p.pid}`;
const conflicts = (waiting: LockMode, ahead: LockMode): boolean => waiting === 'write' || ahead === 'write';

/**
 * Queues from the dashboard's lock summaries. Holders that are dead or past
 * their lease are left out: the next waiter reclaims their lock, so they
 * block nobody for long, and a process known dead is in no cycle at all.
 */
export function queuesOf(summaries: readonly TaskLocks[], now = Date.now()): LockQueue[] {
  const dead = new Set<string>();
  const queues: LockQueue[] = [];
  for (const s of summaries) {
    const holders: LockParty[] = [];
    for (const h of [...(s.writer ? [s.writer] : []), ...s.readers]) {
      if (h.alive === 'dead') dead.add(nodeOf(h));
      else if (!h.expired && !(Date.parse(h.expires_at) <= now)) holders.push(h);
    }
    queues.push({ task_id: s.task_id, holders, waiters: s.waiters });
  }
  return queues.map((q) => ({ ...q, waiters: q.waiters.filter((w) => !dead.has(nodeOf(w))) }));
}

/** Every cycle of the waits-for graph, one per group of deadlocked processes, each starting at its smallest member. */
export function findDeadlocks(queues: readonly LockQueue[]): Deadlock[] {
  const edges = new Map<string, Edge[]>();
  const parties = new Map<string, LockParty>();
  for (const q of queues) {
    for (const p of [...q.holders, ...q.waiters]) if (!parties.has(nodeOf(p))) parties.set(nodeOf(p), p);
    q.waiters.forEach((w, i) => {
      const from = nodeOf(w);
      const ahead = [...q.holders, ...q.waiters.slice(0, i)];
      for (const b of ahead) {
        const to = nodeOf(b);
        if (to === from || !conflicts(w.mode, b.mode)) continue;
        const list = edges.get(from) ?? [];
        if (!list.some((e) => e.to === to && e.task === q.task_id)) list.push({ to, task: q.task_id, mode: w.mode });
        edges.set(from, list);
      }
    });
  }
  const out: Deadlock[] = [];
  for (const group of stronglyConnected([...parties.keys()].sort(), edges)) {
    if (group.length < 2) continue;
    const cycle = cycleWithin(new Set(group), edges);
    if (cycle) out.push(toDeadlock(cycle, parties));
  }
  return out.map(rotateToSmallest).sort((a, b) => key(a[0]!).localeCompare(key(b[0]!)));
}

/** Tarjan's algorithm, iterative (a graph of thousands of agents must not overflow the stack). */
function stronglyConnected(nodes: string[], edges: Map<string, Edge[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const groups: string[][] = [];
  let next = 0;
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: { node: string; edge: number }[] = [{ node: root, edge: 0 }];
    index.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (work.length) {
      const frame = work[work.length - 1]!;
      const out = edges.get(frame.node) ?? [];
      if (frame.edge < out.length) {
        const to = out[frame.edge++]!.to;
        if (!index.has(to)) {
          index.set(to, next);
          low.set(to, next++);
          stack.push(to);
          onStack.add(to);
          work.push({ node: to, edge: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(to)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const group: string[] = [];
        let n: string;
        do {
          n = stack.pop()!;
          onStack.delete(n);
          group.push(n);
        } while (n !== frame.node);
        groups.push(group);
      }
    }
  }
  return groups;
}

/** A shortest cycle through the group's smallest node (breadth-first), as the edges taken. */
function cycleWithin(group: Set<string>, edges: Map<string, Edge[]>): { from: string; edge: Edge }[] | null {
  const start = [...group].sort()[0]!;
  const came = new Map<string, { from: string; edge: Edge }>();
  const queue = [start];
  while (queue.length) {
    const node = queue.shift()!;
    for (const edge of edges.get(node) ?? []) {
      if (!group.has(edge.to)) continue;
      if (edge.to === start) {
        const path = [{ from: node, edge }];
        for (let n = node; n !== start;) {
          const step = came.get(n)!;
          path.unshift(step);
          n = step.from;
        }
        return path;
      }
      if (!came.has(edge.to)) {
        came.set(edge.to, { from: node, edge });
        queue.push(edge.to);
      }
    }
  }
  return null;
}

function toDeadlock(cycle: { from: string; edge: Edge }[], parties: Map<string, LockParty>): Deadlock {
  return cycle.map((step, i) => {
    const p = parties.get(step.from)!;
    const previous = cycle[(i - 1 + cycle.length) % cycle.length]!;
    return { owner: p.owner, pid: p.pid, host: p.host, holds: previous.edge.task, waits_for: step.edge.task, mode: step.edge.mode };
  });
}

const key = (m: { owner: string; pid: number }): string => `${m.owner}\u0000${String(m.pid).padStart(10, '0')}`;

function rotateToSmallest(cycle: Deadlock): Deadlock {
  let best = 0;
  cycle.forEach((m, i) => {
    if (key(m) < key(cycle[best]!)) best = i;
  });
  return [...cycle.slice(best), ...cycle.slice(0, best)];
}

/** "agent-1 (pid 11) holds task-1, waits for task-2 → agent-2 (pid 12) holds task-2, waits for task-1 → agent-1" */
export function describeDeadlock(cycle: Deadlock): string {
  const name = (m: Deadlock[number]) => `${m.owner || 'unnamed'} (pid ${m.pid})`;
  return `${cycle.map((m) => `${name(m)} holds ${m.holds}, waits for ${m.waits_for}`).join(' → ')} → ${name(cycle[0]!)}`;
}
