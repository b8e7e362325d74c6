// Sends the host's snapshot and patches to its subscribers (Electron
// windows, serve WebSocket clients) with a gap-free sequence number.
//
// A subscriber receives nothing until it says it is ready (the contract's
// `ready`); then it gets the snapshot as a `reset` and every event after it.
// The snapshot is taken and sent in the same turn that the subscriber starts
// receiving, so no patch falls between the two and none is sent twice.
import type { EventName } from '../../shared/channels.ts';
import type { Events, Patch, Snapshot } from '../../shared/contract.ts';
import type { Logger } from './logger.ts';

export type HostListener = <E extends EventName>(event: E, payload: Events[E]) => void;

/** Where the publisher takes the snapshot a ready subscriber starts from. */
export interface SnapshotSource {
  snapshot(): Snapshot;
  /** Resolves when the model holds exactly what was sent: no refresh is half-way through. */
  whenSettled(): Promise<void>;
}

export interface Subscription {
  /**
   * The subscriber is ready (again, after a reload or a seq gap): send it the
   * snapshot, then every event after it. Resolves with the snapshot's seq.
   * Call it once the host has started: before, its model is still empty.
   */
  ready(): Promise<{ seq: number }>;
  /** Send nothing more. */
  close(): void;
}

interface Subscriber {
  listener: HostListener;
  live: boolean;
}

export class Publisher {
  private readonly subscribers = new Set<Subscriber>();
  private readonly log: () => Logger;
  private readonly source: SnapshotSource;
  /** Seq of the last patch sent; a snapshot carries it. */
  seq = 0;

  constructor(log: () => Logger, source: SnapshotSource) {
    this.log = log;
    this.source = source;
  }

  subscribe(listener: HostListener): Subscription {
    const subscriber: Subscriber = { listener, live: false };
    this.subscribers.add(subscriber);
    return {
      ready: async () => {
        await this.source.whenSettled();
        if (!this.subscribers.has(subscriber)) throw new Error('the subscription was closed');
        // From here to the send nothing awaits: this snapshot and the next patch are adjacent.
        const snapshot = this.source.snapshot();
        subscriber.live = true;
        this.deliver(subscriber, 'reset', snapshot);
        return { seq: snapshot.seq };
      },
      close: () => {
        this.subscribers.delete(subscriber);
      },
    };
  }

  /** Sends a patch with the next seq, unless it changes nothing (absent and undefined sections alike). */
  patch(patch: Patch): void {
    const sections = patch as unknown as Record<string, unknown>;
    for (const key of Object.keys(sections)) if (sections[key] === undefined) delete sections[key];
    if (Object.keys(sections).length === 1) return; // only seq: nothing changed
    patch.seq = ++this.seq;
    this.emit('patch', patch);
  }

  /** Sends an event to every ready subscriber. */
  emit<E extends EventName>(event: E, payload: Events[E]): void {
    for (const subscriber of this.subscribers) if (subscriber.live) this.deliver(subscriber, event, payload);
  }

  private deliver<E extends EventName>(subscriber: Subscriber, event: E, payload: Events[E]): void {
    try {
      subscriber.listener(event, payload);
    } catch (err) {
      // One broken subscriber must not starve the others.
      this.log().error(`A subscriber failed on '${event}'`, err);
    }
  }

  clear(): void {
    this.subscribers.clear();
  }
}
