// First run on an empty root, the demo, and bad links handled in place.
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect } from '../fixtures.ts';
import { openView, taskDrawer, updateTask, waitReady } from './support.ts';

/** Open a dashboard link the way a pasted URL would: a fresh page load. */
async function openLink(page: Page, hash: string): Promise<void> {
  await page.goto(`${page.url().split('#')[0]}${hash}`);
  await page.reload();
  await waitReady(page);
}

const demoDirs: string[] = [];
test.afterAll(() => {
  // The demo writes into its own temporary root; serve is gone by now.
  for (const dir of demoDirs) rmSync(dir, { recursive: true, force: true });
});

test('an empty root explains how to start and offers a demo that comes alive', async ({ dashboard }) => {
  const { page } = dashboard;
  await waitReady(page);
  const start = page.getByRole('region', { name: 'No tasks or sessions yet' });
  await expect(start).toBeVisible();
  await expect(start).toContainText(dashboard.root);
  await expect(start.getByRole('listitem')).toHaveCount(2); // initialised already: no `lockstep init` step
  await expect(start.getByText(/^lockstep task update <id>/)).toBeVisible();
  await expect(start.getByText(/^lockstep simulate/)).toBeVisible();
  await expect(page.getByRole('button', { name: /^Integrity problems 0/ })).toBeVisible();

  await openView(page, 'Tasks');
  await expect(page.getByText('No tasks yet')).toBeVisible();
  await openView(page, 'Checkpoints');
  await expect(page.getByRole('button', { name: 'Create checkpoint' })).toBeDisabled();
  await openView(page, 'Overview');

  await start.getByRole('button', { name: 'Start demo' }).click();
  const banner = page.getByRole('status').filter({ hasText: 'Demo simulation running' });
  await expect(banner).toBeVisible();
  const demoRoot = (await banner.locator('.mono').textContent())!.trim();
  demoDirs.push(dirname(dirname(demoRoot)));
  expect(demoRoot).not.toBe(dashboard.root);
  await expect(page.getByRole('banner').getByText(demoRoot)).toBeVisible();

  // Real agent processes write tasks within seconds.
  await expect(start).toBeHidden({ timeout: 20_000 });
  await expect(page.getByRole('button', { name: /^Tasks [1-9]/ })).toBeVisible({ timeout: 20_000 });
  await openView(page, 'Tasks');
  await expect(page.getByRole('table', { name: 'Tasks', exact: true }).locator('[role="row"][data-task-id]').first()).toBeVisible();
  // The demo's agents are running processes: their sessions say so, on the Overview and in Sessions.
  await openView(page, 'Overview');
  await expect(page.getByRole('img', { name: 'running' }).first()).toBeVisible({ timeout: 20_000 });
  await openView(page, 'Sessions');
  await expect(page.getByRole('table', { name: 'Sessions' }).getByText('running', { exact: true }).first()).toBeVisible();
  // The user's own root is untouched.
  expect(dashboard.cli('task', 'list').json).toEqual([]);
});

test('a link with an invalid task id says so in place', async ({ dashboard }) => {
  const { page } = dashboard;
  await waitReady(page);
  updateTask(dashboard, 'real-task', { status: 'in_progress' });

  await openLink(page, '#/tasks?task=../../etc');
  const alert = page.getByRole('alert').filter({ hasText: 'Cannot open task' });
  await expect(alert).toContainText('Cannot open task “../../etc”: not a valid task id.');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  // The rest of the view still works.
  await expect(page.getByRole('heading', { level: 1, name: 'Tasks' })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Tasks', exact: true }).locator('[data-task-id="real-task"]')).toBeVisible();
  await alert.getByRole('button', { name: 'Dismiss' }).click();
  await expect(alert).toBeHidden();
});

test('a link to an unknown task or view shows a clear message, not a blank page', async ({ dashboard }) => {
  const { page } = dashboard;
  await waitReady(page);

  await openLink(page, '#/tasks?task=no-such-task');
  const drawer = taskDrawer(page, 'no-such-task');
  await expect(drawer).toBeVisible();
  await expect(drawer).toContainText('This task is not in the current state');
  await drawer.getByRole('button', { name: 'Close' }).click();
  await expect(drawer).toBeHidden();
  await expect(page).not.toHaveURL(/task=/);
  await expect(page.getByRole('heading', { level: 1, name: 'Tasks' })).toBeVisible();

  await openLink(page, '#/no-such-view?sort=evil');
  await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'No tasks or sessions yet' })).toBeVisible();
});
