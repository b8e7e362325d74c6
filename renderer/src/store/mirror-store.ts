// The zustand store mirroring main. Main owns the truth: we say `ready`
// (on connect, and again after a reconnect), main pushes the `reset`
// snapshot, and we apply every `patch` after it strictly in `seq` order. A
// gap (a lost patch) means our copy may be wrong, so we say `ready` again for
// a fresh snapshot rather than guess. "Pause live updates" buffers patches so the screen holds still
// while someone reads it; resume applies them in order.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Patch, Snapshot } from '../../../shared/contract.ts';
import { applyPatch, countChanges, EMPTY_MIRROR, fromSnapshot, type MirrorData } from './mirror-data.ts';

/** Past this many buffered patches we drop them and resync on resume instead. */
export const MAX_BUFFERED_PATCHES = 5_000;

export interface LiveState {
  paused: boolean;
  /** Patches received while paused, in seq order. */
  buffered: readonly Patch[];
  /** Sum of countChanges over what arrived while paused. */
  pendingChanges: number;
  /** The buffer overflowed: resume asks for a fresh snapshot. */
  overflowed: boolean;
  /** A snapshot was asked for (on connect, or after a seq gap) and has not arrived yet. */
  resyncing: boolean;
  /** Epoch ms of the last snapshot or patch received. */
  lastEventAt: number | null;
  /** Why the last request for a snapshot failed, if it did. */
  resyncError: string | null;
}

export interface MirrorActions {
  /** The transport is (re)connected: ask main for a snapshot. */
  connected(): void;
  reset(snapshot: Snapshot): void;
  receivePatch(patch: Patch): void;
  pause(): void;
  resume(): void;
}

export type MirrorState = MirrorData & { live: LiveState } & MirrorActions;
export type MirrorStore = StoreApi<MirrorState>;

export interface MirrorDeps {
  /** Say `ready`: main pushes a `reset` (before this settles), then the patches after it. */
  requestSnapshot: () => Promise<unknown>;
  now?: () => number;
  /** Delay before asking again after a request failed. */
  retryMs?: number;
}

const INITIAL_LIVE: LiveState = {
  paused: false,
  buffered: [],
  pendingChanges: 0,
  overflowed: false,
  resyncing: false,
  lastEventAt: null,
  resyncError: null,
};

export function createMirrorStore(deps: MirrorDeps): MirrorStore {
  const now = deps.now ?? Date.now;
  const retryMs = deps.retryMs ?? 2_000;
  // Bookkeeping that no view renders: kept out of the state to avoid re-renders.
  let receivedSeq = 0; // last seq applied or buffered
  let waiting: Patch[] = []; // arrived before the first snapshot or during a resync
  let resets = 0; // snapshots received so far
  let asked = 0; // requests for a snapshot so far: only the latest one's failure counts

  return createStore<MirrorState>()((set, get) => {
    function askForSnapshot(): void {
      const request = ++asked;
      const resetsBefore = resets;
      const superseded = () => request !== asked || resets !== resetsBefore;
      set((s) => ({ live: { ...s.live, resyncing: true, resyncError: null } }));
      deps.requestSnapshot().catch((err: unknown) => {
        if (superseded()) return; // a newer request is out, or a snapshot came anyway
        set((s) => ({ live: { ...s.live, resyncing: false, resyncError: err instanceof Error ? err.message : String(err) } }));
        setTimeout(() => {
          if (!superseded()) askForSnapshot();
        }, retryMs);
      });
    }

    /** After a gap: one request at a time (the snapshot it brings covers every later gap). */
    function startResync(): void {
      if (!get().live.resyncing) askForSnapshot();
    }

    /** Applies (or buffers) the patches that continue the sequence; a gap parks the rest and resyncs. */
    function accept(patches: readonly Patch[]): void {
      let data: MirrorData = get();
      const live = get().live;
      const buffered = [...live.buffered];
      let pendingChanges = live.pendingChanges;
      let overflowed = live.overflowed;
      let applied = false;
      for (let i = 0; i < patches.length; i++) {
        const patch = patches[i]!;
        if (patch.seq <= receivedSeq) continue; // a duplicate: already have it
        if (patch.seq > receivedSeq + 1) {
          waiting = patches.slice(i).filter((p) => p.seq > receivedSeq);
          break;
        }
        receivedSeq = patch.seq;
        if (live.paused) {
          pendingChanges += countChanges(patch);
          if (overflowed || buffered.length >= MAX_BUFFERED_PATCHES) {
            overflowed = true;
            buffered.length = 0;
          } else buffered.push(patch);
        } else {
          data = applyPatch(data, patch, now());
          applied = true;
        }
      }
      const nextLive: LiveState = { ...live, buffered, pendingChanges, overflowed, lastEventAt: now() };
      set(applied ? { ...pick(data), live: nextLive } : { live: nextLive });
      if (waiting.length > 0) startResync();
    }

    return {
      ...EMPTY_MIRROR,
      live: INITIAL_LIVE,

      connected() {
        askForSnapshot();
      },

      reset(snapshot) {
        resets++;
        receivedSeq = snapshot.seq;
        const live = get().live;
        // Keep what is newer than the snapshot; everything else it already contains.
        const carry = [...live.buffered, ...waiting].filter((p) => p.seq > snapshot.seq).sort((a, b) => a.seq - b.seq);
        waiting = [];
        set({
          ...fromSnapshot(snapshot),
          live: { ...live, buffered: [], pendingChanges: 0, overflowed: false, resyncing: false, resyncError: null, lastEventAt: now() },
        });
        if (carry.length > 0) accept(carry);
      },

      receivePatch(patch) {
        if (!get().ready || get().live.resyncing) {
          waiting.push(patch);
          return;
        }
        accept([patch]);
      },

      pause() {
        if (get().live.paused) return;
        set((s) => ({ live: { ...s.live, paused: true } }));
      },

      resume() {
        const live = get().live;
        if (!live.paused) return;
        const buffered = live.buffered;
        if (live.overflowed) {
          set({ live: { ...live, paused: false, buffered: [], pendingChanges: 0, overflowed: false } });
          startResync();
          return;
        }
        let data: MirrorData = get();
        const at = now();
        for (const patch of buffered) data = applyPatch(data, patch, at);
        set({ ...pick(data), live: { ...live, paused: false, buffered: [], pendingChanges: 0 } });
      },
    };
  });
}

const DATA_KEYS = Object.keys(EMPTY_MIRROR) as (keyof MirrorData)[];

/** Only the data fields of a MirrorState (so actions are never overwritten): the keys of EMPTY_MIRROR. */
function pick(data: MirrorData): MirrorData {
  const out: Partial<Record<keyof MirrorData, unknown>> = {};
  for (const key of DATA_KEYS) out[key] = data[key];
  return out as MirrorData;
}
