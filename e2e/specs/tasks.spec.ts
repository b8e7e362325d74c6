// Tasks and sessions written by real CLI processes show up live.
import { test, expect } from '../fixtures.ts';
import { createSession, openView, taskRow, updateTask, waitReady } from './support.ts';

test('tasks written by the CLI appear and update live in the Tasks table', async ({ dashboard }) => {
  const { page } = dashboard;
  await waitReady(page);
  await openView(page, 'Tasks');
  await expect(page.getByText('No tasks yet')).toBeVisible();
  // A marker that a reload would wipe out.
  await page.evaluate(() => Object.assign(window, { __e2eNoReload: true }));

  updateTask(dashboard, 'alpha', { status: 'in_progress', progress: 20 }, '--owner', 'agent-a');
  updateTask(dashboard, 'beta', { status: 'pending' }, '--owner', 'agent-b');

  const table = page.getByRole('table', { name: 'Tasks', exact: true });
  await expect(table).toHaveAttribute('aria-rowcount', '3'); // header + 2 tasks
  const alpha = taskRow(page, 'alpha');
  await expect(alpha).toContainText('in_progress');
  await expect(alpha).toContainText('20%');
  await expect(alpha).toContainText('agent-a');
  await expect(alpha.locator('[data-version]')).toHaveAttribute('data-version', '1');
  await expect(taskRow(page, 'beta')).toContainText('pending');
  await expect(page.getByRole('status').filter({ hasText: /^2 tasks$/ })).toBeVisible();

  updateTask(dashboard, 'alpha', { status: 'review', progress: 90 }, '--owner', 'agent-c');
  await expect(alpha.locator('[data-version]')).toHaveAttribute('data-version', '2');
  await expect(alpha.locator('[data-version]')).toHaveText('v2');
  await expect(alpha).toContainText('review');
  await expect(alpha).toContainText('90%');
  await expect(alpha).toContainText('agent-c');
  await expect(taskRow(page, 'beta').locator('[data-version]')).toHaveAttribute('data-version', '1');

  // Search narrows the table and lands in the URL.
  await page.getByRole('searchbox', { name: 'Search tasks' }).fill('bet');
  await expect(table).toHaveAttribute('aria-rowcount', '2');
  await expect(page).toHaveURL(/#\/tasks\?q=bet/);
  await expect(page.getByRole('status').filter({ hasText: '1 of 2 tasks' })).toBeVisible();

  expect(await page.evaluate(() => (window as unknown as { __e2eNoReload?: boolean }).__e2eNoReload)).toBe(true);
});

test('a session and the tasks written with --session show in Sessions with their progress', async ({ dashboard }) => {
  const { page } = dashboard;
  await waitReady(page);
  await openView(page, 'Sessions');
  await expect(page.getByText('No sessions yet')).toBeVisible();

  const sid = createSession(dashboard, { agent: 'e2e-agent', branch: 'feature/e2e' });
  const sessions = page.getByRole('table', { name: 'Sessions' });
  const row = sessions.getByRole('row').filter({ has: page.getByRole('link', { name: sid }) });
  await expect(row).toContainText('active');
  await expect(row).toContainText('agent=e2e-agent');
  // Made by a CLI command that has exited: no process runs it.
  await expect(row.getByRole('cell').nth(2)).toHaveText('no process');
  const progress = row.getByRole('img', { name: `Session ${sid} progress`, exact: false });
  await expect(progress).toHaveAccessibleName(`Session ${sid} progress: 0 completed, 0 in progress, 0 failed of 0`);

  updateTask(dashboard, 's-one', { status: 'completed' }, '--session', sid);
  updateTask(dashboard, 's-two', { status: 'in_progress' }, '--session', sid);
  updateTask(dashboard, 'outsider', { status: 'failed' });
  await expect(progress).toHaveAccessibleName(`Session ${sid} progress: 1 completed, 1 in progress, 0 failed of 2`);
  await expect(row).toContainText('1/2');

  // Selecting the session lists exactly its tasks.
  await row.getByRole('link', { name: sid }).click();
  const own = page.getByRole('table', { name: `Tasks of session ${sid}` });
  await expect(own).toHaveAttribute('aria-rowcount', '3');
  await expect(own.locator('[data-task-id="s-one"]')).toBeVisible();
  await expect(own.locator('[data-task-id="s-two"]')).toBeVisible();
  await expect(own.locator('[data-task-id="outsider"]')).toHaveCount(0);

  updateTask(dashboard, 's-two', { status: 'completed' }, '--session', sid);
  await expect(progress).toHaveAccessibleName(`Session ${sid} progress: 2 completed, 0 in progress, 0 failed of 2`);
  await expect(own.locator('[data-task-id="s-two"] [data-version]')).toHaveAttribute('data-version', '2');
});
