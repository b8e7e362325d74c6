// One screenshot of each main view from a live, populated root: three
// simulated agents, a reviewer holding a lock with someone queued behind it,
// checkpoints, and one damaged task. Saved to test-results/screenshots/.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect } from '../fixtures.ts';
import { openView, taskDrawer, waitReady } from './support.ts';

test('screenshots of every view from a populated, live root', async ({ dashboard }) => {
  test.slow();
  const { page } = dashboard;
  await waitReady(page);
  const sim = dashboard.spawnCli('simulate', '--agents', '3', '--tasks', '12', '--seconds', '8');

  await expect(page.getByRole('button', { name: /^Tasks 12\b/ })).toBeVisible({ timeout: 20_000 });
  const holder = dashboard.spawnCli('lock', 'acquire', 'sim-3', '--hold', '60000', '--owner', 'reviewer');
  await holder.firstLine;
  dashboard.spawnCli('lock', 'acquire', 'sim-3', '--timeout', '60000', '--owner', 'release-bot');
  await expect(page.getByRole('button', { name: /^Waiters [1-9]/ })).toBeVisible();
  await expect(page.getByRole('list', { name: 'Recent activity' }).getByRole('listitem').nth(15)).toBeVisible();
  await expect(page.getByRole('region', { name: 'Sessions' })).toBeVisible();
  await dashboard.screenshot('overview');

  await openView(page, 'Tasks');
  await expect(page.getByRole('table', { name: 'Tasks', exact: true })).toHaveAttribute('aria-rowcount', '13');
  await dashboard.screenshot('tasks');

  await page.getByRole('table', { name: 'Tasks', exact: true }).locator('[data-task-id="sim-1"]').getByRole('link').click();
  const drawer = taskDrawer(page, 'sim-1');
  await expect(drawer.getByRole('listitem', { name: /^Version \d+$/ }).nth(2)).toBeVisible();
  await dashboard.screenshot('task-detail');
  await drawer.getByRole('button', { name: 'Close' }).click();
  await expect(drawer).toBeHidden();

  await openView(page, 'Locks');
  await expect(page.getByRole('table', { name: 'Lock holders' }).getByText('release-bot')).toBeVisible();
  await expect(page.getByRole('table', { name: 'Lock contention' })).toBeVisible();
  await dashboard.screenshot('locks');

  // The simulation has ended: sessions are complete and checkpoints taken.
  expect(JSON.parse(await sim.firstLine)).toMatchObject({ agents: 3, errors: 0 });
  await openView(page, 'Sessions');
  const sessions = page.getByRole('table', { name: 'Sessions' });
  await sessions.getByRole('link').first().click();
  await expect(
    page
      .getByRole('table', { name: /^Tasks of session / })
      .locator('[role="row"][data-task-id]')
      .first(),
  ).toBeVisible();
  await dashboard.screenshot('sessions');

  await openView(page, 'Checkpoints');
  const oldest = page.getByRole('table', { name: 'Checkpoints' }).locator('tbody tr').last();
  await oldest.getByRole('button', { name: 'Restore' }).click();
  const restore = page.getByRole('dialog', { name: /^Restore checkpoint / });
  await expect(restore.getByRole('table', { name: 'Restore preview' })).toBeVisible();
  await dashboard.screenshot('checkpoints-restore-preview');
  await restore.getByRole('button', { name: 'Cancel' }).click();
  await expect(restore).toBeHidden();

  // A partial write replaced one task's state file.
  const stateFile = join(dashboard.root, 'tasks', 'task-sim-7', 'state.json');
  writeFileSync(`${stateFile}.partial`, '{"status":"in_pro');
  renameSync(`${stateFile}.partial`, stateFile);
  await openView(page, 'Integrity');
  await page.getByRole('button', { name: 'Verify now' }).click();
  await expect(page.getByRole('table', { name: 'Integrity problems' }).locator('tr[data-task-id="sim-7"]')).toBeVisible();
  await dashboard.screenshot('integrity');
});
