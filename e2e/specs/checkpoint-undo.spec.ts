// Issue 8 §3: a checkpoint restore is undone in one click. The restore saves
// what it overwrites (tasks and session file) as an undo checkpoint first;
// Undo restore in the summary restores that, and the checkpoint's row offers
// it again later (and Redo after an undo).
import { test, expect } from '../fixtures.ts';
import { cliOk, createSession, openView, taskDrawer, taskRow, updateTask, waitReady, type TaskJson } from './support.ts';

interface CheckpointJson {
  id: string;
  reason: string;
  undo_of?: string;
  tasks: Record<string, TaskJson>;
}

test('Undo restore in the summary brings back every task and the session; the undo point can redo it', async ({ dashboard }) => {
  const { page } = dashboard;
  await waitReady(page);
  const sid = createSession(dashboard, { agent: 'undo-e2e' });
  updateTask(dashboard, 'un-a', { status: 'in_progress', note: 'checkpointed' }, '--session', sid);
  updateTask(dashboard, 'un-b', { status: 'pending' }, '--session', sid);
  const cid = cliOk<CheckpointJson>(dashboard, 'checkpoint', 'create', sid, '--reason', 'good state').id;
  // The agents move on: a. and b. change, a third task joins the session.
  updateTask(dashboard, 'un-a', { status: 'failed', note: 'agent work after the checkpoint' });
  updateTask(dashboard, 'un-b', { status: 'completed', result: 'shipped' });
  updateTask(dashboard, 'un-c', { status: 'in_progress' }, '--session', sid);

  await openView(page, 'Checkpoints');
  const rows = page.getByRole('table', { name: 'Checkpoints' }).locator('tbody tr[data-checkpoint-id]');
  await rows
    .and(page.locator(`[data-checkpoint-id="${cid}"]`))
    .getByRole('button', { name: 'Restore…' })
    .click();
  // One dialog all along: its title follows what it does (restore, then undo).
  const dialog = page.getByRole('dialog');
  await expect(dialog).toHaveAccessibleName(`Restore checkpoint ${cid}`);
  await expect(dialog.getByTestId('session-change')).toContainText('~task_ids');
  await dialog.getByRole('button', { name: 'Confirm restore' }).click();
  await expect(dialog.getByRole('status')).toContainText(`Restored checkpoint ${cid}: 2 tasks changed.`);
  await expect(dialog.getByRole('status')).toContainText(`The session file of ${sid}`);
  expect(cliOk<TaskJson>(dashboard, 'task', 'get', 'un-a')).toMatchObject({ status: 'in_progress', note: 'checkpointed' });
  expect(cliOk<{ task_ids: string[] }>(dashboard, 'session', 'get', sid).task_ids).toEqual(['un-a', 'un-b']);
  await dashboard.screenshot('restore-summary-with-undo');

  // One click: everything is back, as the dashboard shows it and on disk.
  await dialog.getByRole('button', { name: 'Undo restore' }).click();
  await expect(dialog).toHaveAccessibleName(`Undo restore of checkpoint ${cid}`);
  await expect(dialog.getByRole('status')).toContainText(
    `Undid the restore of checkpoint ${cid}: 2 tasks back to how they were before it.`,
  );
  await expect(dialog.getByRole('button', { name: 'Redo restore' })).toBeVisible();
  await dashboard.screenshot('restore-summary-after-undo');
  expect(cliOk<TaskJson>(dashboard, 'task', 'get', 'un-a')).toMatchObject({ status: 'failed', note: 'agent work after the checkpoint' });
  expect(cliOk<TaskJson>(dashboard, 'task', 'get', 'un-b')).toMatchObject({ status: 'completed', result: 'shipped' });
  expect(cliOk<{ task_ids: string[] }>(dashboard, 'session', 'get', sid).task_ids).toEqual(['un-a', 'un-b', 'un-c']);

  // A task link in the summary closes the dialog and opens the task: never two dialogs stacked.
  await dialog.getByRole('list', { name: 'Changed tasks' }).getByRole('link', { name: 'un-a' }).click();
  await expect(page.getByRole('dialog', { name: /checkpoint/ })).toHaveCount(0);
  const drawer = taskDrawer(page, 'un-a');
  await expect(drawer).toBeVisible();
  await expect(page.getByRole('dialog')).toHaveCount(1);
  await expect(drawer.locator('.drawer-title')).toContainText('failed');
  await drawer.getByRole('button', { name: 'View JSON' }).first().click();
  await expect(drawer.getByLabel('v4 JSON')).toContainText('"note": "agent work after the checkpoint"');
  await drawer.getByRole('button', { name: 'Close' }).click();

  // The tasks table shows the undone content too.
  await openView(page, 'Tasks');
  await expect(taskRow(page, 'un-a')).toContainText('failed');
  await expect(taskRow(page, 'un-b')).toContainText('completed');

  // The undo points are in the list, marked, with the right action on each row.
  const list = cliOk<CheckpointJson[]>(dashboard, 'checkpoint', 'list');
  const undo1 = list.find((c) => c.undo_of === cid)!;
  const undo2 = list.find((c) => c.undo_of === undo1.id)!;
  expect(undo1.reason).toBe(`before restore of ${cid}`);
  await openView(page, 'Checkpoints');
  const row = (id: string) => page.locator(`tr[data-checkpoint-id="${id}"]`);
  await expect(row(undo1.id)).toContainText(`undo point before restore of ${cid}`);
  await expect(row(undo2.id)).toContainText(`undo point before undo of the restore of ${cid}`);
  await expect(row(undo1.id).getByRole('button')).toHaveText('Undo restore…');
  await expect(row(undo2.id).getByRole('button')).toHaveText('Redo restore…');
  await expect(row(cid).getByRole('button')).toHaveText('Restore…');
  await dashboard.screenshot('checkpoints-with-undo-points');

  // Redo from the row: a preview first (it may be long after), then the restore again.
  await row(undo2.id).getByRole('button', { name: 'Redo restore…' }).click();
  const redo = page.getByRole('dialog', { name: `Redo restore of checkpoint ${cid}` });
  await expect(redo.getByRole('table', { name: 'Restore preview' })).toBeVisible();
  await redo.getByRole('button', { name: 'Redo restore' }).click();
  await expect(redo.getByRole('status')).toContainText(`Redid the restore of checkpoint ${cid}: 2 tasks changed again.`);
  expect(cliOk<TaskJson>(dashboard, 'task', 'get', 'un-a')).toMatchObject({ status: 'in_progress', note: 'checkpointed' });
  expect(cliOk<{ task_ids: string[] }>(dashboard, 'session', 'get', sid).task_ids).toEqual(['un-a', 'un-b']);
});
