// One-click restore, without fear: preview exactly what each task would
// change → confirm → live progress → a summary that says how to undo.
import { useEffect, useState } from 'react';
import { useApi, useServices } from '../../app/services.ts';
import { toApiError } from '../../bridge/api.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { FieldList } from '../../components/DiffTable.tsx';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { ProgressBar } from '../../components/ProgressBar.tsx';
import { Chip } from '../../components/StatusChip.tsx';
import { TaskLink } from '../../components/TaskLink.tsx';
import { plural } from '../../lib/format.ts';
import { onProgress, previewCounts, startRunning, type RestoreFlow } from './restore-flow.ts';
import type { Responses } from '../../../../shared/contract.ts';

function PreviewList({ preview }: { preview: Responses['previewRestore'] }) {
  const items = [...preview.items].sort((a, b) => Number(a.unchanged) - Number(b.unchanged) || a.task_id.localeCompare(b.task_id, 'en', { numeric: true }));
  return (
    <div className="table-wrap preview-wrap">
      <table className="table" aria-label="Restore preview">
        <thead>
          <tr>
            <th scope="col">Task</th>
            <th scope="col">Current</th>
            <th scope="col">Outcome</th>
            <th scope="col">Fields</th>
          </tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr key={item.task_id} className={item.unchanged ? 'row-muted' : undefined} data-task-id={item.task_id}>
              <td className="mono">{item.task_id}</td>
              <td className="mono num">{item.current_version === null ? '—' : `v${item.current_version}`}</td>
              <td>
                {item.unchanged ? <Chip>unchanged</Chip> : item.current_version === null ? <Chip tone="accent">recreated</Chip> : <Chip tone="info">will change</Chip>}
              </td>
              <td>{item.unchanged ? <span className="muted small">already matches the checkpoint</span> : <FieldList changes={item.changes} />}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function RestoreCheckpointDialog({ checkpointId, onClose }: { checkpointId: string; onClose: () => void }) {
  const api = useApi();
  const { bridge } = useServices();
  const [flow, setFlow] = useState<RestoreFlow>({ step: 'loading' });

  useEffect(() => {
    let live = true;
    api.previewRestore({ checkpointId }).then(
      (preview) => live && setFlow({ step: 'preview', preview }),
      (err: unknown) => live && setFlow({ step: 'failed', error: toApiError(err), during: 'preview', preview: null }),
    );
    // Subscribe before any restore starts, so no progress event is missed.
    const off = bridge.on('restoreProgress', (event) => setFlow((f) => onProgress(f, checkpointId, event)));
    return () => {
      live = false;
      off();
    };
  }, [api, bridge, checkpointId]);

  const confirm = async () => {
    setFlow(startRunning);
    try {
      const result = await api.restoreCheckpoint({ checkpointId });
      setFlow({ step: 'done', result });
    } catch (err) {
      setFlow((f) => ({ step: 'failed', error: toApiError(err), during: 'restore', preview: f.step === 'running' || f.step === 'preview' ? f.preview : null }));
    }
  };

  const counts = flow.step === 'preview' ? previewCounts(flow.preview) : null;
  const actions =
    flow.step === 'preview' ? (
      <>
        <button type="button" className="btn" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="btn btn-primary" onClick={confirm} data-autofocus>
          Confirm restore
        </button>
      </>
    ) : (
      <button type="button" className="btn" onClick={onClose} data-autofocus={flow.step === 'done' ? true : undefined}>
        {flow.step === 'running' ? 'Close (restore continues)' : 'Close'}
      </button>
    );

  return (
    <Dialog title={`Restore checkpoint ${checkpointId}`} onClose={onClose} actions={actions} className="dialog-wide">
      {flow.step === 'loading' ? <p className="muted">Computing what would change…</p> : null}
      {flow.step === 'preview' && counts ? (
        <>
          <p>
            <strong>{plural(counts.changing, 'task')}</strong> will change{counts.unchanged ? `, ${counts.unchanged} already match` : ''}. Session{' '}
            <span className="mono">{flow.preview.checkpoint.session_id}</span>, checkpoint taken {new Date(flow.preview.checkpoint.created_at).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' })}
            {flow.preview.checkpoint.reason ? ` (“${flow.preview.checkpoint.reason}”)` : ''}.
          </p>
          <p className="muted small">Each changed task gets a new version with the checkpoint&apos;s content; nothing is deleted, so this can be undone from each task&apos;s timeline.</p>
          <PreviewList preview={flow.preview} />
        </>
      ) : null}
      {flow.step === 'running' ? (
        <div className="restore-progress">
          <p>
            Restoring… <span className="num">{flow.done}</span> / <span className="num">{flow.total}</span>
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
      {flow.step === 'done' ? (
        <div className="restore-done" role="status">
          <p className="restore-done-title">
            <span className="ok-mark" aria-hidden="true">
              ✓
            </span>{' '}
            Restored {plural(flow.result.restored.length, 'task')}; {flow.result.changed.length} got a new version
            {flow.result.restored.length > flow.result.changed.length ? `, ${flow.result.restored.length - flow.result.changed.length} already matched` : ''}.
          </p>
          <p className="muted">
            This can be undone: every changed task kept its previous version in history. Open a task&apos;s timeline and use “Restore this version” on the version before the restore.
          </p>
          {flow.result.changed.length > 0 ? (
            <ul className="link-list" aria-label="Changed tasks">
              {flow.result.changed.map((id) => (
                <li key={id}>
                  <TaskLink taskId={id} />
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
      {flow.step === 'failed' ? (
        <>
          <ErrorMessage
            error={flow.error}
            title={flow.during === 'preview' ? 'Could not preview this restore' : flow.error.code === 'PARTIAL_RESTORE' ? 'The restore stopped part-way' : 'Restore failed'}
          />
          {flow.during === 'restore' ? (
            <p className="muted small">Tasks restored before the failure have new versions; each can be rolled back from its timeline.</p>
          ) : null}
        </>
      ) : null}
    </Dialog>
  );
}
