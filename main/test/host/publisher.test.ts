// The publisher's side of the `ready` handshake: a subscriber gets nothing
// until it is ready, then the snapshot and exactly the patches after it.
import { describe, expect, it } from 'vitest';
import type { EventName } from '../../../shared/channels.ts';
import type { Snapshot } from '../../../shared/contract.ts';
import { lineLogger } from '../../host/logger.ts';
import { Publisher, type HostListener } from '../../host/publisher.ts';

/** A host model reduced to a counter: each patch sets `n`; the snapshot carries it. */
function setup() {
  let n = 0;
  let settle: (() => void) | null = null;
  let settled: Promise<void> = Promise.resolve();
  const logged: string[] = [];
  const publisher: Publisher = new Publisher(() => lineLogger((l) => logged.push(l)), {
    snapshot: () => ({ seq: publisher.seq, n }) as unknown as Snapshot,
    whenSettled: () => settled,
  });
  const send = (value: number) => {
    n = value;
    publisher.patch({ seq: 0, demo: { root: String(value), running: true } });
  };
  /** A refresh that has changed the model but not yet sent its patch. */
  const refreshHalfWay = (value: number) => {
    n = value;
    settled = new Promise((r) => (settle = r));
    return () => {
      publisher.patch({ seq: 0, demo: { root: String(value), running: true } });
      settled = Promise.resolve();
      settle!();
    };
  };
  const subscriber = () => {
    const got: { event: EventName; seq: number; n: number }[] = [];
    const listener: HostListener = (event, payload) => {
      const p = payload as unknown as { seq: number; n?: number; demo?: { root: string } };
      got.push({ event, seq: p.seq, n: p.n ?? Number(p.demo?.root) });
    };
    return { got, subscription: publisher.subscribe(listener) };
  };
  return { publisher, send, refreshHalfWay, subscriber, logged };
}

describe('Publisher', () => {
  it('sends nothing before ready, then the snapshot and every patch after it', async () => {
    const { send, subscriber } = setup();
    const { got, subscription } = subscriber();
    send(1);
    send(2);
    expect(got).toEqual([]);
    expect(await subscription.ready()).toEqual({ seq: 2 });
    send(3);
    expect(got).toEqual([
      { event: 'reset', seq: 2, n: 2 },
      { event: 'patch', seq: 3, n: 3 },
    ]);
  });

  it('waits for a refresh half-way through: its patch is not sent on top of a snapshot that already holds it', async () => {
    const { refreshHalfWay, subscriber } = setup();
    const { got, subscription } = subscriber();
    const finish = refreshHalfWay(1); // the model says 1, the patch saying so is not out yet
    const ready = subscription.ready();
    await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual([]);
    finish();
    await ready;
    expect(got).toEqual([{ event: 'reset', seq: 1, n: 1 }]);
  });

  it('a second ready (a reload, a gap) sends a fresh snapshot; a closed subscription gets nothing more', async () => {
    const { send, subscriber } = setup();
    const { got, subscription } = subscriber();
    await subscription.ready();
    send(1);
    await subscription.ready();
    subscription.close();
    send(2);
    expect(got.map((e) => `${e.event}@${e.seq}`)).toEqual(['reset@0', 'patch@1', 'reset@1']);
    await expect(subscription.ready()).rejects.toThrow(/closed/);
  });

  it('a subscriber that throws is logged and does not starve the others', async () => {
    const { publisher, send, subscriber, logged } = setup();
    await publisher
      .subscribe(() => {
        throw new Error('a broken window');
      })
      .ready();
    const { got, subscription } = subscriber();
    await subscription.ready();
    send(1);
    expect(got.map((e) => e.event)).toEqual(['reset', 'patch']);
    expect(logged.join('')).toMatch(/A subscriber failed on 'patch'/);
  });
});
