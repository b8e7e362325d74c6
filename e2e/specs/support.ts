// Small helpers shared by the specs: CLI calls that must succeed, and the
// locators a user would look at.
import { expect, type Dashboard } from '../fixtures.ts';
import type { Locator, Page } from '@playwright/test';

/** Run the CLI on the dashboard's root; fail the test with its stderr unless it exits 0. */
export function cliOk<T = Record<string, unknown>>(dashboard: Dashboard, ...args: string[]): T {
  const r = dashboard.cli(...args);
  expect(r.code, `lockstep ${args.join(' ')} → ${r.stderr}`).toBe(0);
  return r.json as T;
}

export interface TaskJson {
  task_id: string;
  version: number;
  [field: string]: unknown;
}

export function updateTask(dashboard: Dashboard, id: string, fields: Record<string, unknown>, ...flags: string[]): TaskJson {
  return cliOk<TaskJson>(dashboard, 'task', 'update', id, JSON.stringify(fields), ...flags);
}

export function createSession(dashboard: Dashboard, options: Record<string, unknown> = {}): string {
  return cliOk<{ id: string }>(dashboard, 'session', 'create', '--options', JSON.stringify(options)).id;
}

/** Click a sidebar link and wait until the view is the current one. */
export async function openView(page: Page, name: 'Overview' | 'Sessions' | 'Tasks' | 'Locks' | 'Checkpoints' | 'Integrity'): Promise<void> {
  const link = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
  await link.click();
  await expect(link).toHaveAttribute('aria-current', 'page');
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
}

/** Where the lock specs start: task `taskId` exists, and the Locks view is open with no lock held yet. */
export async function openLocksWithTask(dashboard: Dashboard, taskId: string): Promise<Page> {
  const { page } = dashboard;
  await waitReady(page);
  updateTask(dashboard, taskId, { status: 'in_progress' });
  await openView(page, 'Locks');
  await expect(page.getByText('No locks held right now')).toBeVisible();
  return page;
}

/** A row of the (virtualized) tasks table. */
export function taskRow(page: Page, id: string): Locator {
  return page.getByRole('table', { name: 'Tasks', exact: true }).locator(`[role="row"][data-task-id="${id}"]`);
}

export function taskDrawer(page: Page, id: string): Locator {
  return page.getByRole('dialog', { name: `Task ${id}`, exact: true });
}

/** Wait until the dashboard has its first snapshot (the loading screen is gone). */
export async function waitReady(page: Page): Promise<void> {
  await expect(page.getByRole('status').filter({ hasText: 'Connecting to Lockstep' })).toHaveCount(0);
  await expect(page.getByRole('status', { name: 'Connection: Live' })).toBeVisible();
}
