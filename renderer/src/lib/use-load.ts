// Loads data for a key and keeps the last answer while the next loads, so
// a live refetch (e.g. the task got a new version) never blanks the view.
import { useCallback, useEffect, useEffectEvent, useState } from 'react';
import { toApiError, type ApiError } from '../bridge/api.ts';

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export interface Loaded<T> {
  /** The latest outcome, possibly for an older key (see `current`). */
  outcome: Outcome<T> | null;
  /** The outcome belongs to the key asked for now. */
  current: boolean;
  reload(): void;
}

export function useLoad<T>(key: string | null, load: () => Promise<T>): Loaded<T> {
  const [state, setState] = useState<{ key: string; outcome: Outcome<T> } | null>(null);
  const [attempt, setAttempt] = useState(0);
  const run = useEffectEvent(load);
  useEffect(() => {
    if (key === null) return;
    let live = true;
    const stamped = `${key}#${attempt}`;
    run().then(
      (value) => live && setState({ key: stamped, outcome: { ok: true, value } }),
      (err: unknown) => live && setState({ key: stamped, outcome: { ok: false, error: toApiError(err) } }),
    );
    return () => {
      live = false;
    };
  }, [key, attempt]);
  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  return { outcome: state?.outcome ?? null, current: state?.key === `${key}#${attempt}`, reload };
}
