// The busy/error state of one user action (a dialog's confirm button, a
// banner's Migrate): busy while it runs, the API error if it failed. After a
// success the action either becomes ready again (`idle`) or stays busy
// (`hold`) because what follows replaces the control (a dialog closing, the
// demo root taking over the screen).
import { useCallback, useState } from 'react';
import { toApiError, type ApiError } from '../bridge/api.ts';

export interface Action<A extends unknown[]> {
  run: (...args: A) => Promise<void>;
  busy: boolean;
  error: ApiError | null;
  clearError: () => void;
}

export function useAction<A extends unknown[]>(perform: (...args: A) => Promise<void>, afterSuccess: 'idle' | 'hold' = 'hold'): Action<A> {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run = useCallback(
    async (...args: A) => {
      setBusy(true);
      setError(null);
      try {
        await perform(...args);
        if (afterSuccess === 'idle') setBusy(false);
      } catch (err) {
        setError(toApiError(err));
        setBusy(false);
      }
    },
    [perform, afterSuccess],
  );
  const clearError = useCallback(() => setError(null), []);
  return { run, busy, error, clearError };
}
