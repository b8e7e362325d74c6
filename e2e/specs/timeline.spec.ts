// The task detail drawer: each version, who wrote it and what it changed;
// restoring an old version writes it back as a new one.
import type { Locator } from '@playwright/test';
import { test, expect } from '../fixtures.ts';
import { cliOk, openView, taskDrawer, taskRow, updateTask, waitReady, type TaskJson } from './support.ts';

/** One row of a diff table: its sign (added/modified/removed), field name and values. */
async function expectChange(diff: Locator, field: string, kind: 'added' | 'modified' | 'removed', values: string) {
  const row = diff.getByRole('row').filter({ has: diff.page().getByRole('rowheader', { name: field, exact: true }) });
  await expect(row).toHaveCount(1);
  await expect(row.getByRole('cell', { name: kind, exact: true })).toBeVisible();
  await expect(row.locator('td.diff-values')).toHaveText(values);
}

test('the timeline shows every version with its writer and diff, and restores v1 as a new version', async ({ dashboard }) => {
  const { page } = dashboard;
  await waitReady(page);
  updateTask(dashboard, 'docs', { status: 'pending', title: 'Write docs', estimate: 3 }, '--owner', 'alice');
  updateTask(dashboard, 'docs', { status: 'in_progress', assignee: 'bob' }, '--owner', 'bob');
  updateTask(dashboard, 'docs', { status: 'review', estimate: 5 }, '--owner', 'carol');

  await openView(page, 'Tasks');
  await taskRow(page, 'docs').getByRole('link', { name: 'docs' }).click();
  const drawer = taskDrawer(page, 'docs');
  await expect(drawer).toBeVisible();
  await expect(page).toHaveURL(/[?&]task=docs/);

  const timeline = drawer.getByRole('list', { name: 'Version timeline' });
  await expect(timeline.getByRole('listitem', { name: /^Version \d+$/ })).toHaveCount(3);
  const version = (n: number) => timeline.getByRole('listitem', { name: `Version ${n}`, exact: true });

  await expect(version(3)).toContainText('current');
  await expect(version(3).locator('.tl-owner')).toHaveText('carol');
  const v3 = version(3).getByRole('table', { name: 'Changes in v3' });
  await expectChange(v3, 'status', 'modified', '"in_progress"→"review"');
  await expectChange(v3, 'estimate', 'modified', '3→5');
  await expect(v3.getByRole('row')).toHaveCount(2);

  await expect(version(2).locator('.tl-owner')).toHaveText('bob');
  const v2 = version(2).getByRole('table', { name: 'Changes in v2' });
  await expectChange(v2, 'status', 'modified', '"pending"→"in_progress"');
  await expectChange(v2, 'assignee', 'added', '"bob"');
  await expect(v2.getByRole('row')).toHaveCount(2);

  await expect(version(1).locator('.tl-owner')).toHaveText('alice');
  await expect(version(1)).toContainText('created');
  const v1 = version(1).getByRole('table', { name: 'Changes in v1' });
  await expectChange(v1, 'title', 'added', '"Write docs"');
  await expectChange(v1, 'estimate', 'added', '3');
  await expect(version(3).getByRole('button', { name: 'Restore this version' })).toHaveCount(0); // already current

  await version(1).getByRole('button', { name: 'Restore this version' }).click();
  const confirm = page.getByRole('dialog', { name: 'Restore docs to v1?' });
  await expect(confirm).toContainText('This writes v4 with the content of v1');
  const preview = confirm.getByRole('table', { name: 'Changes from v3 to v1' });
  await expectChange(preview, 'status', 'modified', '"review"→"pending"');
  await expectChange(preview, 'estimate', 'modified', '5→3');
  await expectChange(preview, 'assignee', 'removed', '"bob"');
  await confirm.getByRole('button', { name: 'Confirm restore' }).click();
  await expect(confirm).toBeHidden();
  await expect(drawer.getByRole('status').filter({ hasText: 'Restored v1 as v4.' })).toBeVisible();

  await expect(timeline.getByRole('listitem', { name: /^Version \d+$/ })).toHaveCount(4);
  await expect(version(4)).toContainText('current');
  await expectChange(version(4).getByRole('table', { name: 'Changes in v4' }), 'assignee', 'removed', '"bob"');

  const onDisk = cliOk<TaskJson>(dashboard, 'task', 'get', 'docs');
  expect(onDisk.version).toBe(4);
  expect(onDisk).toMatchObject({ status: 'pending', title: 'Write docs', estimate: 3 });
  expect(onDisk).not.toHaveProperty('assignee');
  await expect(taskRow(page, 'docs').locator('[data-version]')).toHaveAttribute('data-version', '4');
});
