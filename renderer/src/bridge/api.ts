// A thin typed client over the bridge: components call `api.getTask({taskId})`
// and get the value, or a thrown ApiError carrying the contract's code and
// message — never a raw Result to unpack at every call site.
import { REQUEST_CHANNELS, type RequestMethod } from '../../../shared/channels.ts';
import type { LockstepBridge, RequestOf, Responses, Result } from '../../../shared/contract.ts';
import type { ErrorCode, SerializedError } from '../../../shared/errors.ts';

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(error: SerializedError) {
    super(error.message);
    this.name = 'ApiError';
    this.code = error.code;
    this.details = error.details;
  }
}

export type Api = { [M in RequestMethod]: (request: RequestOf<M>) => Promise<Responses[M]> };

/** Any thrown value as an ApiError, so views can always show code + message. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError({ code: 'INTERNAL', message });
}

export function createApi(bridge: LockstepBridge): Api {
  const api: Partial<Record<RequestMethod, (request: unknown) => Promise<unknown>>> = {};
  for (const method of Object.keys(REQUEST_CHANNELS) as RequestMethod[]) {
    const call = bridge[method] as (request: unknown) => Promise<Result<unknown>>;
    api[method] = async (request: unknown) => {
      let result: Result<unknown>;
      try {
        result = await call(request);
      } catch (err) {
        // IPC itself failed (e.g. no handler registered): still a typed error.
        throw toApiError(err);
      }
      if (!result || typeof result !== 'object') throw new ApiError({ code: 'INTERNAL', message: `malformed reply to ${method}` });
      if (result.ok) return result.value;
      throw new ApiError(result.error);
    };
  }
  return api as Api;
}
