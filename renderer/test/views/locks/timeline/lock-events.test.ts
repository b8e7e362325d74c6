// The timeline's copy of the lock log: an answer to getLockEvents and the
// patches that follow it may carry the same lines, and each is kept once.
import { describe, expect, it } from 'vitest';
import type { LockstepBridge, Patch } from '../../../../../shared/contract.ts';
import type { LockEvent } from '../../../../../shared/model.ts';
import type { Api } from '../../../../src/bridge/api.ts';
import { LockEventsFeed } from '../../../../src/views/locks/timeline/lock-events.ts';

const base = Date.now() - 60_000;

function lines(count: number, first: number): LockEvent[] {
  return Array.from({ length: count }, (_, k) => {
    const i = first + k;
    return {
      ts: new Date(base + i * 2).toISOString(),
      task_id: `task-${i % 5}`,
      mode: 'write',
      pid: 1000 + (i % 4),
      owner: `agent-${i % 4}`,
      wait_ms: 0,
      outcome: 'released',
      hold_ms: 1,
      token: `t${i}`,
      host: 'here',
    } as LockEvent;
  });
}

/** A feed over a host that answers `answer` and lets the test push patches. */
function feedWith(answer: LockEvent[]): { feed: LockEventsFeed; push: (events: LockEvent[]) => void } {
  let onPatch: ((patch: Patch) => void) | null = null;
  const bridge = {
    on: (event: string, listener: (payload: never) => void) => {
      if (event === 'patch') onPatch = listener as (patch: Patch) => void;
      return () => {};
    },
  } as unknown as LockstepBridge;
  const api = { getLockEvents: async () => ({ events: answer, total: answer.length }) } as unknown as Api;
  const feed = new LockEventsFeed(api, bridge);
  return { feed, push: (events) => onPatch!({ seq: 1, lockEvents: events }) };
}

const settle = () => new Promise((r) => setTimeout(r, 400)); // past the feed's 250 ms notification

describe('lock events feed', () => {
  it('keeps once the lines an answer already held when their patch comes after it, and adds the new ones', async () => {
    const first = lines(6_000, 0);
    const rest = lines(4_000, 6_000);
    const { feed, push } = feedWith(first);
    const unsubscribe = feed.subscribe(() => {});
    feed.ensure(300_000);
    await settle(); // answered: the 6,000 lines the host had read when the request came
    expect(feed.get().events).toHaveLength(6_000);
    push(first); // the patch of that same read, sent once the host's refresh was done
    push(rest);
    await settle();
    const tokens = feed.get().events.map((e) => e.token);
    expect(tokens).toHaveLength(10_000);
    expect(new Set(tokens).size).toBe(10_000);
    unsubscribe();
  });

  it('adds lines of the same millisecond from different processes, which are different holds', async () => {
    const { feed, push } = feedWith([]);
    const unsubscribe = feed.subscribe(() => {});
    feed.ensure(300_000);
    await settle();
    const [a] = lines(1, 0);
    push([a!, { ...a!, pid: 2000, token: 'other' }]);
    await settle();
    expect(feed.get().events.map((e) => e.pid)).toEqual([a!.pid, 2000]);
    unsubscribe();
  });
});
