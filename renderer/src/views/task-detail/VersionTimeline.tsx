// The version timeline, newest first: when, who (owner, pid), and what
// changed against the previous version. JSON is rendered only on request.
import { memo, useState } from 'react';
import type { TaskState } from '../../../../shared/model.ts';
import { DiffTable } from '../../components/DiffTable.tsx';
import { JsonView } from '../../components/JsonView.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { buildTimeline, changeSummary, type TimelineEntry } from '../../lib/diff-view.ts';
import { diffFields } from '../../../../shared/diff.ts';
import { NOISE_FIELDS } from '../../lib/diff-view.ts';
import { writerLabel } from '../../lib/writer.ts';
import { WriterName } from '../../components/WriterName.tsx';

const PAGE = 50;

interface EntryProps {
  entry: TimelineEntry;
  picked: boolean;
  onTogglePick: (version: number) => void;
  onRestore: (state: TaskState) => void;
}

function baseNote(entry: TimelineEntry): string | null {
  switch (entry.baseKind) {
    case 'previous':
      return null;
    case 'gap':
      return `compared with v${entry.base?.version}, the previous retained version`;
    case 'created':
      return 'created';
    case 'oldest-retained':
      return 'oldest retained version: older versions were pruned';
  }
}

const VersionEntry = memo(function VersionEntry({ entry, picked, onTogglePick, onRestore }: EntryProps) {
  const [showJson, setShowJson] = useState(false);
  const { state, version, writer } = entry;
  const note = baseNote(entry);
  const summary = entry.base ? changeSummary(diffFields(entry.base, state, NOISE_FIELDS)) : null;
  return (
    <li className={`tl-entry${entry.isCurrent ? ' tl-current' : ''}`} data-version={version} aria-label={`Version ${version}`}>
      <div className="tl-marker" aria-hidden="true" />
      <div className="tl-head">
        <label className="tl-pick" title="Select to compare">
          <input type="checkbox" checked={picked} onChange={() => onTogglePick(version)} aria-label={`Select v${version} to compare`} />
        </label>
        <span className="tl-version mono num">v{version}</span>
        {entry.isCurrent ? <span className="chip chip-tone-accent">current</span> : null}
        <span className="muted small">
          <RelativeTime iso={state.updated_at} /> · <RelativeTime iso={state.updated_at} clock />
        </span>
        <span className="tl-writer small">
          <WriterName label={writerLabel(writer)} className="tl-owner" />
          {writer ? (
            <span className="muted mono">
              {' '}
              pid {writer.pid}
              {writer.host ? `@${writer.host}` : ''}
            </span>
          ) : null}
        </span>
        {summary ? <span className="tl-summary mono small">{summary}</span> : null}
        <span className="toolbar-spacer" />
        <button type="button" className="btn btn-small btn-ghost" aria-expanded={showJson} onClick={() => setShowJson((v) => !v)}>
          {showJson ? 'Hide JSON' : 'View JSON'}
        </button>
        {!entry.isCurrent ? (
          <button type="button" className="btn btn-small" onClick={() => onRestore(state)}>
            Restore this version
          </button>
        ) : null}
      </div>
      {note ? <div className="tl-note muted small">{note}</div> : null}
      {entry.rows.length > 0 ? (
        <DiffTable rows={entry.rows} label={`Changes in v${version}`} />
      ) : entry.base ? (
        <p className="muted small tl-nochange">No field changes (rewritten with the same content).</p>
      ) : null}
      {showJson ? <JsonView value={state} label={`v${version} JSON`} /> : null}
    </li>
  );
});

export function VersionTimeline({
  history,
  isPicked,
  onTogglePick,
  onRestore,
}: {
  history: readonly TaskState[];
  isPicked: (version: number) => boolean;
  onTogglePick: (version: number) => void;
  onRestore: (state: TaskState) => void;
}) {
  const [limit, setLimit] = useState(PAGE);
  const entries = buildTimeline(history);
  const shown = entries.slice(0, limit);
  return (
    <>
      <ol className="timeline" aria-label="Version timeline">
        {shown.map((entry) => (
          <VersionEntry
            key={entry.version}
            entry={entry}
            picked={isPicked(entry.version)}
            onTogglePick={onTogglePick}
            onRestore={onRestore}
          />
        ))}
      </ol>
      {entries.length > limit ? (
        <button type="button" className="btn btn-small" onClick={() => setLimit((n) => n + PAGE)}>
          Show {Math.min(PAGE, entries.length - limit)} older versions
        </button>
      ) : null}
    </>
  );
}
