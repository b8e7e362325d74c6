// The lock log, as the timeline and the charts see it: the host's answer to
// getLockEvents for the longest window asked for, plus every line pushed in
// patches since. One feed per bridge, shared by every view that shows locks;
// it follows the bridge only while something is subscribed.
import { useEffect, useMemo, useSyncExternalStore } from 'react';
import type { LockstepBridge } from '../../../../../shared/contract.ts';
import type { LockEvent } from '../../../../../shared/model.ts';
import type { Api } from '../../../bridge/api.ts';
import type { PickedRange } from '../range.ts';
import { useApi, useRouteField, useServices } from '../../../app/services.ts';
import { useLoad } from '../../../lib/use-load.ts';

/** The most lines one answer brings: the timeline draws 50,000 at 60 fps (npm run bench:ui). */
export const FETCH_LIMIT = 50_000;
/** Lines kept in memory, newest kept. */
const KEEP = 150_000;
/** Views are told about new lines at most this often: tables and charts need not follow every patch. */
const NOTIFY_MS = 250;

export interface LockEventsState {
  events: readonly LockEvent[];
  /** Start of the span the feed holds (ms), or null before the first answer. */
  since: number | null;
  /** The host held more lines for the window than one answer brings: only the newest are shown. */
  truncated: boolean;
  error: string | null;
  /** Bumped on every change, for memoising. */
  version: number;
}

const keyOf = (e: LockEvent) => `${e.ts}\u0000${e.outcome}\u0000${e.task_id}\u0000${e.host ?? ''}\u0000${e.pid}\u0000${e.token ?? ''}`;

export class LockEventsFeed {
  private state: LockEventsState = { events: [], since: null, truncated: false, error: null, version: 0 };
  private readonly listeners = new Set<() => void>();
  private wantedMs = 0;
  private fetching: Promise<void> | null = null;
  private pending: LockEvent[] = [];
  private notifyTimer: ReturnType<typeof setTimeout> | null = null;
  private off: (() => void)[] = [];
  private readonly api: Api;
  private readonly bridge: LockstepBridge;

  constructor(api: Api, bridge: LockstepBridge) {
    this.api = api;
    this.bridge = bridge;
  }

  get = (): LockEventsState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    if (this.listeners.size === 0) this.follow();
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.unfollow();
    };
  };

  /** Make sure the feed covers the last `windowMs`; fetches when it does not yet. */
  ensure(windowMs: number): void {
    if (windowMs <= this.wantedMs && this.state.since !== null) return;
    this.wantedMs = Math.max(this.wantedMs, windowMs);
    void this.refetch();
  }

  private follow(): void {
    this.off = [
      this.bridge.on('patch', (patch) => {
        if (patch.lockEvents?.length) this.append(patch.lockEvents);
      }),
      // Another root (or a resync after a failure): start over.
      this.bridge.on('reset', () => {
        this.state = { events: [], since: null, truncated: false, error: null, version: this.state.version + 1 };
        this.arrived = [];
        this.emit();
        if (this.wantedMs > 0) void this.refetch();
      }),
    ];
    if (this.wantedMs > 0 && !this.fetching && this.state.since === null) void this.refetch();
  }

  private unfollow(): void {
    for (const off of this.off) off();
    this.off = [];
    if (this.notifyTimer) clearTimeout(this.notifyTimer);
    this.notifyTimer = null;
    // Lines pushed while nobody listened were missed: the next subscriber fetches again.
    this.state = { ...this.state, since: null };
  }

  private refetch(): Promise<void> {
    if (this.fetching) return this.fetching.then(() => this.refetch());
    const windowMs = this.wantedMs;
    const started = Date.now();
    this.pending = [];
    this.arrived = []; // the answer includes them
    this.fetching = this.api.getLockEvents({ windowMs, limit: FETCH_LIMIT }).then(
      ({ events, total }) => {
        const merged = dedupe([...events, ...this.pending]);
        this.pending = [];
        this.fetching = null;
        this.state = {
          events: merged,
          since: started - windowMs,
          truncated: total > events.length,
          error: null,
          version: this.state.version + 1,
        };
        this.emit();
      },
      (err: unknown) => {
        this.fetching = null;
        this.state = { ...this.state, error: err instanceof Error ? err.message : String(err), version: this.state.version + 1 };
        this.emit();
      },
    );
    return this.fetching;
  }

  private append(lines: readonly LockEvent[]): void {
    if (this.fetching) {
      this.pending.push(...lines); // merged with the answer, without duplicates
      return;
    }
    if (this.state.since === null) return;
    // Gathered, and joined to the list once per notification: copying 150,000 lines per patch would not keep up.
    for (const line of lines) this.arrived.push(line);
    this.scheduleNotify();
  }

  private arrived: LockEvent[] = [];

  private scheduleNotify(): void {
    if (this.notifyTimer) return;
    this.notifyTimer = setTimeout(() => {
      this.notifyTimer = null;
      if (this.arrived.length === 0 || this.state.since === null) return;
      let events = this.state.events.concat(withoutHeld(this.state.events, this.arrived));
      this.arrived = [];
      if (events.length > KEEP) events = events.slice(events.length - KEEP);
      this.state = { ...this.state, events, version: this.state.version + 1 };
      this.emit();
    }, NOTIFY_MS);
  }

  private emit(): void {
    for (const l of this.listeners) l();
  }
}

/** How far before a batch's oldest line a line already held is looked for (the log is near enough time order). */
const OVERLAP_SLACK_MS = 1000;

/**
 * The lines of `arrived` the feed does not hold yet. An answer to getLockEvents can already hold
 * lines whose patch comes after it: the host reads the log, then sends the patch once its refresh
 * is done, and a request answered in between sees them (CI: 6,000 lines of one append counted
 * twice). Only the newest lines held are compared: those from just before the batch's oldest on.
 */
function withoutHeld(held: readonly LockEvent[], arrived: readonly LockEvent[]): LockEvent[] {
  let oldest = arrived[0]!.ts;
  for (const e of arrived) if (e.ts < oldest) oldest = e.ts;
  const parsed = Date.parse(oldest);
  // ISO timestamps in UTC compare as strings, so the tail is found without parsing every line.
  const floor = Number.isNaN(parsed) ? '' : new Date(parsed - OVERLAP_SLACK_MS).toISOString();
  const keys = new Set<string>();
  for (let i = held.length - 1; i >= 0 && held[i]!.ts >= floor; i--) keys.add(keyOf(held[i]!));
  return unseen(arrived, keys);
}

function dedupe(events: LockEvent[]): LockEvent[] {
  return unseen(events, new Set());
}

/** The events whose key is not in `seen`, each once (`seen` gains them). */
function unseen(events: readonly LockEvent[], seen: Set<string>): LockEvent[] {
  const out: LockEvent[] = [];
  for (const e of events) {
    const k = keyOf(e);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(e);
  }
  return out;
}

const feeds = new WeakMap<Api, LockEventsFeed>();

/** The lock log over (at least) the last `windowMs`, live. */
export function useLockEvents(windowMs: number): LockEventsState {
  const { api, bridge } = useServices();
  let feed = feeds.get(api);
  if (!feed) feeds.set(api, (feed = new LockEventsFeed(api, bridge)));
  const state = useSyncExternalStore(feed.subscribe, feed.get, feed.get);
  useEffect(() => feed.ensure(windowMs), [feed, windowMs]);
  return state;
}

/** What a Locks view panel shows: the live window, or a range the user picked. */
export interface LockWindow {
  events: readonly LockEvent[];
  /** The picked range shown, or null: the live window up to now. */
  range: PickedRange | null;
  /** More lines than one answer brings: only the newest are here. */
  truncated: boolean;
  error: string | null;
}

/** The range the user picked, from the route (both ends or none). */
export function usePickedRange(): PickedRange | null {
  const from = useRouteField('from');
  const to = useRouteField('to');
  return useMemo(() => (from !== null && to !== null ? { from, to } : null), [from, to]);
}

/**
 * The lock log for the last `windowMs` (live), or for the picked range when
 * there is one: fetched once per range, read back from the log by the host
 * however old it is.
 */
export function useLockWindow(windowMs: number): LockWindow {
  const range = usePickedRange();
  const feed = useLockEvents(windowMs);
  const api = useApi();
  const key = range ? `${range.from}-${range.to}` : null;
  const { outcome } = useLoad(key, () => api.getLockEvents({ from: range!.from, to: range!.to, limit: FETCH_LIMIT }));
  if (!range) return { events: feed.events, range: null, truncated: feed.truncated, error: feed.error };
  const answer = outcome?.ok ? outcome.value : null;
  return {
    events: answer?.events ?? NONE,
    range,
    truncated: answer ? answer.total > answer.events.length : false,
    error: outcome && !outcome.ok ? outcome.error.message : null,
  };
}

const NONE: readonly LockEvent[] = [];
