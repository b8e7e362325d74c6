// A link with a task id that cannot exist (`#/tasks?task=../../etc`): say so
// in place instead of silently showing the view without the task.
import { useNavigate, useRouteField } from '../app/services.ts';

export function InvalidTaskBanner() {
  const invalid = useRouteField('invalidTask');
  const navigate = useNavigate();
  if (invalid === null) return null;
  return (
    <div className="banner banner-warn" role="alert">
      <strong>
        Cannot open task “<span className="mono">{invalid}</span>”: not a valid task id.
      </strong>
      <span>Task ids start with a letter or digit and contain only letters, digits, “.”, “_” and “-” (at most 128 characters).</span>
      <button type="button" className="btn btn-small btn-ghost" onClick={() => navigate({ invalidTask: null })}>
        Dismiss
      </button>
    </div>
  );
}
