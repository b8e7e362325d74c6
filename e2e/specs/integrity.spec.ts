// A truncated state.json is found by "Verify now" and repaired from history.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect } from '../fixtures.ts';
import { cliOk, openView, updateTask, waitReady, type TaskJson } from './support.ts';

test('a corrupt task is listed by Verify now and recovered from history', async ({ dashboard }) => {
  const { page } = dashboard;
  await waitReady(page);
  updateTask(dashboard, 'fragile', { status: 'in_progress', progress: 10 });
  updateTask(dashboard, 'fragile', { progress: 60 });
  updateTask(dashboard, 'sturdy', { status: 'completed' });

  await openView(page, 'Integrity');
  await page.getByRole('button', { name: 'Verify now' }).click();
  await expect(page.getByText('Everything is consistent')).toBeVisible();
  await expect(page.getByText(/^verified /)).toBeVisible();

  // A non-atomic writer truncates the file in place.
  const stateFile = join(dashboard.root, 'tasks', 'task-fragile', 'state.json');
  writeFileSync(stateFile, '{"trunc');
  await page.getByRole('button', { name: 'Verify now' }).click();

  const problems = page.getByRole('table', { name: 'Integrity problems' });
  const corrupt = problems.locator('tbody tr[data-task-id="fragile"]').filter({ hasText: 'corrupt state' });
  await expect(corrupt).toHaveCount(1);
  await expect(corrupt).toContainText('state.json: malformed JSON');
  await expect(corrupt).toContainText('can be recovered from history');
  await expect(corrupt).toContainText(stateFile);
  await expect(problems.locator('tbody tr[data-task-id="sturdy"]')).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Integrity' }).locator('.nav-count-danger')).toBeVisible(); // the sidebar flags it

  await corrupt.getByRole('button', { name: 'Recover from history' }).click();
  await expect(page.getByRole('status').filter({ hasText: /Recovered fragile from history as v\d+\./ })).toBeVisible();
  await expect(corrupt).toHaveCount(0);

  const repaired = JSON.parse(readFileSync(stateFile, 'utf8')) as TaskJson;
  expect(repaired).toMatchObject({ task_id: 'fragile', status: 'in_progress' });
  expect(cliOk<TaskJson>(dashboard, 'task', 'get', 'fragile')).toMatchObject({ task_id: 'fragile', version: repaired.version });
  expect(cliOk<{ issues: { kind: string }[] }>(dashboard, 'verify').issues.filter((i) => i.kind === 'corrupt_state')).toEqual([]);
});

// state.json is a hard link to its newest history entry (the history copy is
// free), so truncating state.json in place damages both. The content of that
// version is gone; recovery brings back the newest surviving content as a
// NEW version number, so versions never go backwards, and the damaged file
// is moved aside.
test('truncating state.json in place: recovery restores the newest surviving content as a new version', async ({ dashboard }) => {
  updateTask(dashboard, 'linked', { status: 'in_progress', progress: 10 });
  updateTask(dashboard, 'linked', { progress: 60 });
  writeFileSync(join(dashboard.root, 'tasks', 'task-linked', 'state.json'), '{"trunc');
  const { state } = cliOk<{ state: TaskJson }>(dashboard, 'task', 'recover', 'linked');
  expect(state).toMatchObject({ version: 3, progress: 10 });
  expect(cliOk<{ issues: unknown[] }>(dashboard, 'verify').issues).toEqual([]);
  expect(cliOk<TaskJson>(dashboard, 'task', 'get', 'linked')).toMatchObject({ version: 3, progress: 10 });
});
