// Failures are shown in place, with the contract's code, never as a blank area.
import type { ApiError } from '../bridge/api.ts';

export function ErrorMessage({
  error,
  title = 'Request failed',
  onRetry,
}: {
  error: ApiError | Error;
  title?: string;
  onRetry?: () => void;
}) {
  const code = 'code' in error && typeof error.code === 'string' ? error.code : null;
  return (
    <div className="error-box" role="alert">
      <div className="error-title">
        {title}
        {code ? <span className="error-code">{code}</span> : null}
      </div>
      <div className="error-message">{error.message}</div>
      {onRetry ? (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          Retry
        </button>
      ) : null}
    </div>
  );
}
