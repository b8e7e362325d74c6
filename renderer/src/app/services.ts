// Everything a view needs from outside React, created once in main.tsx and
// handed down by context (tests and Electron/serve get their own instances).
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { LockstepBridge } from '../../../shared/contract.ts';
import type { Api } from '../bridge/api.ts';
import type { ConnectionState, ConnectionStore } from '../bridge/connection.ts';
import type { Route } from '../lib/route.ts';
import type { MirrorState, MirrorStore } from '../store/mirror-store.ts';
import type { RouteState, RouteStore } from '../store/route-store.ts';

export interface Services {
  api: Api;
  bridge: LockstepBridge;
  mirror: MirrorStore;
  route: RouteStore;
  connection: ConnectionStore;
}

export const ServicesContext = createContext<Services | null>(null);

export function useServices(): Services {
  const services = useContext(ServicesContext);
  if (!services) throw new Error('ServicesContext is missing: render inside <ServicesContext value={…}>');
  return services;
}

export function useApi(): Api {
  return useServices().api;
}

/** Subscribe to one narrow slice of the mirror; re-renders only when it changes (Object.is). */
export function useMirror<T>(selector: (s: MirrorState) => T): T {
  return useStore(useServices().mirror, selector);
}

export function useRoute(): Route {
  return useStore(useServices().route, (s) => s.route);
}

/** One field of the route, so a view re-renders only when that field changes. */
export function useRouteField<K extends keyof Route>(key: K): Route[K] {
  return useStore(useServices().route, (s) => s.route[key]);
}

export function useNavigate(): RouteState['navigate'] {
  return useStore(useServices().route, (s) => s.navigate);
}

export function useConnection<T>(selector: (s: ConnectionState) => T): T {
  return useStore(useServices().connection, selector);
}
