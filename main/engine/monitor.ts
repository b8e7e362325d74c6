// Background upkeep for long-running hosts (the dashboard, `lockstep serve`).
import type { StoreConfig } from './config.ts';
import type { EventHub } from './events.ts';
import type { StateStore } from './backend.ts';

export class Monitor {
  private readonly timers: NodeJS.Timeout[] = [];
  /** Newest task update seen per session at its last auto checkpoint. */
  private readonly lastCheckpointed = new Map<string, string>();
  private readonly store: StateStore;
  private readonly config: StoreConfig;
  private readonly events: EventHub;

  constructor(store: StateStore, config: StoreConfig, events: EventHub) {
    this.store = store;
    this.config = config;
    this.events = events;
  }

  start(): void {
    if (this.timers.length > 0) return;
    this.every(this.config.cleanup_interval_ms, 'cleanup', () => this.store.cleanupExpiredLocks());
    this.every(this.config.verify_interval_ms, 'verify', () => this.store.verifyAllStates());
    this.every(this.config.checkpoint_interval_ms, 'checkpoint', () => this.autoCheckpoint());
  }

  stop(): void {
    for (const t of this.timers.splice(0)) clearInterval(t);
  }

  private every(ms: number, job: string, fn: () => Promise<unknown>): void {
    if (ms <= 0) return;
    let running = false;
    const timer = setInterval(() => {
      if (running) return; // a slow run is never stacked on itself
      running = true;
      fn()
        .catch((err: unknown) => this.events.emit('state.monitor_error', { job, message: (err as Error).message }))
        .finally(() => (running = false));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }

  /** Checkpoint active sessions whose tasks changed since their last auto checkpoint. */
  async autoCheckpoint(): Promise<number> {
    let made = 0;
    for (const session of await this.store.getActiveSessions()) {
      const versions = await Promise.all(session.task_ids.map((id) => this.store.getTaskState(id).catch(() => null)));
      const fingerprint = versions.map((s) => (s ? `${s.task_id}@${s.version}` : '')).join(',');
      if (this.lastCheckpointed.get(session.id) === fingerprint) continue;
      await this.store.createCheckpoint(session.id, 'auto');
      this.lastCheckpointed.set(session.id, fingerprint);
      made++;
    }
    return made;
  }
}
