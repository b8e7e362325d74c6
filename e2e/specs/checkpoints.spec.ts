// One-click checkpoint restore: create a checkpoint in the UI, let the CLI
// change the tasks, then restore from the preview and check the disk.
import { test, expect } from '../fixtures.ts';
import { cliOk, createSession, openView, updateTask, waitReady, type TaskJson } from './support.ts';

const SAVED = {
  'ck-a': { status: 'in_progress', progress: 40 },
  'ck-b': { status: 'pending', progress: 0 },
  'ck-c': { status: 'completed', progress: 100 },
} as const;

test('restoring a checkpoint previews each task, restores them all and says so', async ({ dashboard }) => {
  const { page } = dashboard;
  await waitReady(page);
  const sid = createSession(dashboard, { agent: 'e2e' });
  for (const [id, fields] of Object.entries(SAVED)) updateTask(dashboard, id, fields, '--session', sid);

  await openView(page, 'Checkpoints');
  await expect(page.getByText('No checkpoints yet')).toBeVisible();
  await page.getByRole('button', { name: 'Create checkpoint' }).click();
  const create = page.getByRole('dialog', { name: 'Create checkpoint' });
  await expect(create.getByRole('combobox', { name: 'Session' })).toHaveValue(sid);
  await create.getByRole('textbox', { name: 'Reason (optional)' }).fill('before e2e changes');
  await create.getByRole('button', { name: 'Create checkpoint' }).click();
  await expect(create).toBeHidden();

  const row = page.getByRole('table', { name: 'Checkpoints' }).locator('tbody tr[data-checkpoint-id]');
  await expect(row).toHaveCount(1);
  const cid = (await row.getAttribute('data-checkpoint-id'))!;
  await expect(page.getByRole('status').filter({ hasText: `Created checkpoint ${cid}` })).toBeVisible();
  await expect(row).toContainText(sid);
  await expect(row).toContainText('before e2e changes');
  await expect(row.locator('td:nth-child(5)')).toHaveText('3');

  // The agents move on after the checkpoint.
  updateTask(dashboard, 'ck-a', { status: 'failed' });
  updateTask(dashboard, 'ck-b', { status: 'in_progress', progress: 70 });
  updateTask(dashboard, 'ck-c', { blocker: 'flaky test' });
  const before = Object.fromEntries(Object.keys(SAVED).map((id) => [id, cliOk<TaskJson>(dashboard, 'task', 'get', id).version]));
  expect(before).toEqual({ 'ck-a': 2, 'ck-b': 2, 'ck-c': 2 });

  await row.getByRole('button', { name: 'Restore' }).click();
  const dialog = page.getByRole('dialog', { name: `Restore checkpoint ${cid}` });
  await expect(dialog).toContainText('3 tasks will change');
  await expect(dialog).toContainText('(“before e2e changes”)');
  const preview = dialog.getByRole('table', { name: 'Restore preview' });
  const item = (id: string) => preview.locator(`tr[data-task-id="${id}"]`);
  await expect(item('ck-a')).toContainText('v2');
  await expect(item('ck-a')).toContainText('will change');
  await expect(item('ck-a').locator('.fieldlist')).toHaveText('~status');
  await expect(item('ck-b').locator('.fieldlist')).toHaveText('~status~progress');
  await expect(item('ck-c').locator('.fieldlist')).toHaveText('−blocker');

  await dialog.getByRole('button', { name: 'Confirm restore' }).click();
  await expect(dialog.getByRole('status')).toContainText(`Restored checkpoint ${cid}: 3 tasks changed.`);
  const changed = dialog.getByRole('list', { name: 'Changed tasks' });
  await expect(changed.getByRole('link')).toHaveText(['ck-a', 'ck-b', 'ck-c']);
  await expect(dialog.getByRole('button', { name: 'Undo restore' })).toBeVisible();
  await dialog.locator('footer').getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();

  // On disk: the checkpointed content, each as a new version.
  for (const [id, fields] of Object.entries(SAVED)) {
    const state = cliOk<TaskJson>(dashboard, 'task', 'get', id);
    expect(state, id).toMatchObject({ ...fields, session_id: sid });
    expect(state, id).not.toHaveProperty('blocker');
    expect(state.version, id).toBe(before[id]! + 1);
  }
});
