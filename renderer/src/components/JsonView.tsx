// JSON is rendered only on request, and huge documents (hundreds of KB
// would freeze layout) need a second, explicit click.
import { useState } from 'react';
import type { JsonValue } from '../../../shared/model.ts';
import { approxJsonSize, HUGE_JSON_BYTES } from '../lib/diff-view.ts';
import { bytes } from '../lib/format.ts';

export function JsonView({ value, label }: { value: JsonValue; label: string }) {
  const [size] = useState(() => approxJsonSize(value));
  const [forced, setForced] = useState(false);
  if (size > HUGE_JSON_BYTES && !forced) {
    return (
      <div className="json-huge">
        <span>
          {label} is {bytes(size)}: large documents are not rendered automatically.
        </span>
        <button type="button" className="btn btn-small" onClick={() => setForced(true)}>
          Show anyway
        </button>
      </div>
    );
  }
  return (
    <pre className="json" aria-label={label} tabIndex={0}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}
