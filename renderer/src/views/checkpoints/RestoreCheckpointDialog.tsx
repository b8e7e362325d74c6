// One-click restore, without fear: preview exactly what each task would
// change → confirm → live progress → a summary with a one-click Undo (the
// engine saved what the restore overwrote as an undo checkpoint first).
import { useEffect, useState } from 'react';
import { useApi, useServices } from '../../app/services.ts';
import { toApiError, type ApiError } from '../../bridge/api.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { FieldList } from '../../components/DiffTable.tsx';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { ProgressBar } from '../../components/ProgressBar.tsx';
import { Chip } from '../../components/StatusChip.tsx';
import { TaskLink } from '../../components/TaskLink.tsx';
import { plural } from '../../lib/format.ts';
import {
  onProgress,
  previewCounts,
  restoreMeaning,
  splitChanged,
  startRunning,
  undoLabel,
  undoMeaning,
  type RestoreFlow,
  type RestoreMeaning,
} from './restore-flow.ts';
import type { Responses } from '../../../../shared/contract.ts';
import type { RestoreResult } from '../../../../shared/model.ts';
import { DataTable, type Column } from '../../components/DataTable.tsx';

const COLUMNS: readonly Column[] = [{ header: 'Task' }, { header: 'Current' }, { header: 'Outcome' }, { header: 'Fields' }];

function PreviewList({ preview }: { preview: Responses['previewRestore'] }) {
  const items = [...preview.items].sort(
    (a, b) => Number(a.unchanged) - Number(b.unchanged) || a.task_id.localeCompare(b.task_id, 'en', { numeric: true }),
  );
  return (
    <DataTable label="Restore preview" columns={COLUMNS} wrapClassName="preview-wrap">
      {items.map((item) => (
        <tr key={item.task_id} className={item.unchanged ? 'row-muted' : undefined} data-task-id={item.task_id}>
          <td className="mono">{item.task_id}</td>
          <td className="mono num">{item.current_version === null ? '—' : `v${item.current_version}`}</td>
          <td>
            {item.unchanged ? (
              <Chip>unchanged</Chip>
            ) : item.current_version === null ? (
              <Chip tone="accent">recreated</Chip>
            ) : (
              <Chip tone="info">will change</Chip>
            )}
          </td>
          <td>
            {item.unchanged ? <span className="muted small">already matches the checkpoint</span> : <FieldList changes={item.changes} />}
          </td>
        </tr>
      ))}
    </DataTable>
  );
}

/** "Restore checkpoint A", "Undo restore of checkpoint A", "Redo restore of checkpoint A". */
function titleOf(meaning: RestoreMeaning, checkpointId: string): string {
  if (meaning.kind === 'restore') return `Restore checkpoint ${checkpointId}`;
  return `${meaning.kind === 'undo' ? 'Undo' : 'Redo'} restore of checkpoint ${meaning.origin}`;
}

function DoneSummary({
  result,
  meaning,
  onOpenTask,
  onUndo,
}: {
  result: RestoreResult;
  meaning: RestoreMeaning;
  onOpenTask: () => void;
  onUndo: (undoId: string) => void;
}) {
  const { tasks, session } = splitChanged(result);
  const matched = result.restored.length - tasks.length;
  const headline =
    meaning.kind === 'restore'
      ? `Restored checkpoint ${result.checkpoint_id}: ${plural(tasks.length, 'task')} changed`
      : meaning.kind === 'undo'
        ? `Undid the restore of checkpoint ${meaning.origin}: ${plural(tasks.length, 'task')} back to how they were before it`
        : `Redid the restore of checkpoint ${meaning.origin}: ${plural(tasks.length, 'task')} changed again`;
  return (
    <div className="restore-done" role="status">
      <p className="restore-done-title">
        <span className="ok-mark" aria-hidden="true">
          ✓
        </span>{' '}
        {headline}
        {matched > 0 ? `, ${matched} already matched` : ''}.
      </p>
      {session ? (
        <p className="small">
          The session file of <span className="mono">{result.session_id}</span> (its task list and status) was written back too.
        </p>
      ) : null}
      {tasks.length > 0 ? (
        <ul className="link-list" aria-label="Changed tasks">
          {tasks.map((id) => (
            <li key={id}>
              <TaskLink taskId={id} onOpen={onOpenTask} />
            </li>
          ))}
        </ul>
      ) : null}
      {result.undo_checkpoint_id ? (
        <div className="undo-box">
          <span className="small">
            What it replaced was saved first, as checkpoint <span className="mono">{result.undo_checkpoint_id}</span>.
          </span>
          <button type="button" className="btn btn-small" onClick={() => onUndo(result.undo_checkpoint_id!)}>
            {undoLabel(meaning)}
          </button>
        </div>
      ) : (
        <p className="muted small">Nothing needed to change, so there is nothing to undo.</p>
      )}
    </div>
  );
}

/** The undo checkpoint of a restore that stopped part-way: restoring it undoes what was written. */
function partialUndoId(error: ApiError): string | null {
  const id = error.code === 'PARTIAL_RESTORE' ? error.details?.undo_checkpoint_id : null;
  const changed = error.details?.changed;
  return typeof id === 'string' && Array.isArray(changed) && changed.length > 0 ? id : null;
}

export function RestoreCheckpointDialog({ checkpointId, onClose }: { checkpointId: string; onClose: () => void }) {
  const api = useApi();
  const { bridge, mirror } = useServices();
  const [flow, setFlow] = useState<RestoreFlow>({ step: 'loading', checkpointId });
  // Known from the mirror when the dialog opens; followed through undo and redo from there,
  // because a just-written undo checkpoint may not have reached the mirror yet.
  const [meaning, setMeaning] = useState(() => restoreMeaning(mirror.getState().checkpoints, checkpointId));

  useEffect(() => {
    let live = true;
    api.previewRestore({ checkpointId }).then(
      (preview) => live && setFlow({ step: 'preview', checkpointId, preview }),
      (err: unknown) => live && setFlow({ step: 'failed', checkpointId, error: toApiError(err), during: 'preview', preview: null }),
    );
    // Subscribe before any restore starts, so no progress event is missed.
    const off = bridge.on('restoreProgress', (event) => setFlow((f) => onProgress(f, event)));
    return () => {
      live = false;
      off();
    };
  }, [api, bridge, checkpointId]);

  const run = async (target: string) => {
    setFlow((f) => startRunning(f, target));
    try {
      const result = await api.restoreCheckpoint({ checkpointId: target });
      setFlow({ step: 'done', checkpointId: target, result });
    } catch (err) {
      setFlow((f) => ({
        step: 'failed',
        checkpointId: target,
        error: toApiError(err),
        during: 'restore',
        preview: f.step === 'running' || f.step === 'preview' ? f.preview : null,
      }));
    }
  };

  const undo = (undoId: string) => {
    setMeaning(undoMeaning(meaning));
    void run(undoId);
  };

  const counts = flow.step === 'preview' ? previewCounts(flow.preview) : null;
  const confirmLabel = meaning.kind === 'restore' ? 'Confirm restore' : meaning.kind === 'undo' ? 'Undo restore' : 'Redo restore';
  const actions =
    flow.step === 'preview' ? (
      <>
        <button type="button" className="btn" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="btn btn-primary" onClick={() => void run(flow.checkpointId)} data-autofocus>
          {confirmLabel}
        </button>
      </>
    ) : (
      <button type="button" className="btn" onClick={onClose} data-autofocus={flow.step === 'done' ? true : undefined}>
        {flow.step === 'running' ? 'Close (restore continues)' : 'Close'}
      </button>
    );
  const failedUndo = flow.step === 'failed' && flow.during === 'restore' ? partialUndoId(flow.error) : null;

  return (
    <Dialog title={titleOf(meaning, flow.checkpointId)} onClose={onClose} actions={actions} className="dialog-wide">
      {flow.step === 'loading' ? <p className="muted">Computing what would change…</p> : null}
      {flow.step === 'preview' && counts ? (
        <>
          <p>
            <strong>{plural(counts.changing, 'task')}</strong> will change{counts.unchanged ? `, ${counts.unchanged} already match` : ''}.
            Session <span className="mono">{flow.preview.checkpoint.session_id}</span>, checkpoint taken{' '}
            {new Date(flow.preview.checkpoint.created_at).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' })}
            {flow.preview.checkpoint.reason ? ` (“${flow.preview.checkpoint.reason}”)` : ''}.
          </p>
          {!flow.preview.session.unchanged ? (
            <p className="small" data-testid="session-change">
              The session file is written back too: <FieldList changes={flow.preview.session.changes} />
            </p>
          ) : null}
          <p className="muted small">
            Before anything is written, what will change is saved as a checkpoint, so the whole restore can be undone in one click.
          </p>
          <PreviewList preview={flow.preview} />
        </>
      ) : null}
      {flow.step === 'running' ? (
        <div className="restore-progress">
          <p>
            {meaning.kind === 'restore' ? 'Restoring…' : meaning.kind === 'undo' ? 'Undoing…' : 'Redoing…'}{' '}
            <span className="num">{flow.done}</span> / <span className="num">{flow.total || '…'}</span>
            {flow.current ? (
              <span className="muted">
                {' '}
                — <span className="mono">{flow.current}</span>
              </span>
            ) : null}
          </p>
          <ProgressBar done={flow.done} total={flow.total} label="Restore progress" />
        </div>
      ) : null}
      {flow.step === 'done' ? <DoneSummary result={flow.result} meaning={meaning} onOpenTask={onClose} onUndo={undo} /> : null}
      {flow.step === 'failed' ? (
        <>
          <ErrorMessage
            error={flow.error}
            title={
              flow.during === 'preview'
                ? 'Could not preview this restore'
                : flow.error.code === 'PARTIAL_RESTORE'
                  ? 'The restore stopped part-way'
                  : 'Restore failed'
            }
          />
          {failedUndo ? (
            <div className="undo-box">
              <span className="small">
                What was written before it stopped can be undone (saved as checkpoint <span className="mono">{failedUndo}</span>).
              </span>
              <button type="button" className="btn btn-small" onClick={() => undo(failedUndo)}>
                Undo what was written
              </button>
            </div>
          ) : null}
        </>
      ) : null}
    </Dialog>
  );
}
