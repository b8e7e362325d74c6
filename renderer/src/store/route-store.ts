// Keeps the parsed route in a store and in sync with location.hash, both
// ways. Moving to another place pushes a history entry; typing in a search
// box replaces it, so Back does not replay keystrokes.
import { createStore, type StoreApi } from 'zustand/vanilla';
import { formatHash, parseHash, type Route } from '../lib/route.ts';

export interface RouteState {
  route: Route;
  navigate(change: Partial<Route>, options?: { replace?: boolean }): void;
}

export type RouteStore = StoreApi<RouteState>;

type RouteWindow = Pick<Window, 'addEventListener'> & {
  location: Pick<Location, 'hash'>;
  history: Pick<History, 'pushState' | 'replaceState' | 'state'>;
};

export function createRouteStore(win: RouteWindow): RouteStore {
  const store = createStore<RouteState>()((set, get) => ({
    route: parseHash(win.location.hash),
    navigate(change, options = {}) {
      const route = { ...get().route, ...change };
      const hash = formatHash(route);
      if (hash !== formatHash(get().route)) {
        // pushState does not fire hashchange, so the store is updated here.
        if (options.replace) win.history.replaceState(win.history.state, '', hash);
        else win.history.pushState(null, '', hash);
      }
      set({ route: parseHash(hash) });
    },
  }));
  const sync = () => store.setState({ route: parseHash(win.location.hash) });
  win.addEventListener('hashchange', sync);
  win.addEventListener('popstate', sync);
  return store;
}
