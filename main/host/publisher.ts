// Sends the host's snapshot and patches to its subscribers (Electron
// windows, serve WebSocket clients) with a gap-free sequence number.
import type { EventName } from '../../shared/channels.ts';
import type { Events, Patch } from '../../shared/contract.ts';
import type { Logger } from './logger.ts';

export type HostListener = <E extends EventName>(event: E, payload: Events[E]) => void;

export class Publisher {
  private readonly listeners = new Set<HostListener>();
  private readonly log: () => Logger;
  /** Seq of the last patch sent; a snapshot carries it. */
  seq = 0;

  constructor(log: () => Logger) {
    this.log = log;
  }

  subscribe(listener: HostListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sends a patch with the next seq, unless it changes nothing (absent and undefined sections alike). */
  patch(patch: Patch): void {
    const sections = patch as unknown as Record<string, unknown>;
    for (const key of Object.keys(sections)) if (sections[key] === undefined) delete sections[key];
    if (Object.keys(sections).length === 1) return; // only seq: nothing changed
    patch.seq = ++this.seq;
    this.emit('patch', patch);
  }

  emit<E extends EventName>(event: E, payload: Events[E]): void {
    for (const listener of this.listeners) {
      try {
        listener(event, payload);
      } catch (err) {
        // One broken subscriber must not starve the others.
        this.log().error(`A subscriber failed on '${event}'`, err);
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
