import { describe, expect, it } from 'vitest';
import type { LockstepBridge } from '../../../shared/contract.ts';
import { ApiError, createApi } from '../../src/bridge/api.ts';

function fakeBridge(impl: Partial<Record<keyof LockstepBridge, (r: unknown) => Promise<unknown>>>): LockstepBridge {
  return new Proxy({} as LockstepBridge, {
    get: (_t, key: string) => impl[key as keyof LockstepBridge] ?? (() => Promise.resolve({ ok: true, value: null })),
  });
}

describe('typed client', () => {
  it('returns the value of an ok result', async () => {
    const api = createApi(fakeBridge({ breakLock: async () => ({ ok: true, value: { removed: 2 } }) }));
    await expect(api.breakLock({ taskId: 'a' })).resolves.toEqual({ removed: 2 });
  });

  it('throws an ApiError carrying code, message and details', async () => {
    const api = createApi(
      fakeBridge({
        restoreTaskVersion: async () => ({ ok: false, error: { code: 'VERSION_CONFLICT', message: 'now v9', details: { current: 9 } } }),
      }),
    );
    const err = await api.restoreTaskVersion({ taskId: 'a', version: 2, expectedVersion: 8 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'VERSION_CONFLICT', message: 'now v9', details: { current: 9 } });
  });

  it('turns a transport rejection into an INTERNAL ApiError', async () => {
    const api = createApi(fakeBridge({ ready: () => Promise.reject(new Error('No handler registered')) }));
    await expect(api.ready({})).rejects.toMatchObject({ code: 'INTERNAL', message: 'No handler registered' });
  });
});
