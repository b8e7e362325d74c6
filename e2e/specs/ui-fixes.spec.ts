// Issue 8 §6, what the screenshots showed: one wording for an unnamed
// writer, chips and paths that are never clipped at the end, the right first
// step on an empty root, and a version restore that says when it drops the
// task's session link.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator } from '@playwright/test';
import { test, expect } from '../fixtures.ts';
import { cliOk, createSession, openView, taskDrawer, taskRow, updateTask, waitReady } from './support.ts';

/** Right edge of `a` is left of the left edge of `b` (they do not overlap). */
async function endsBefore(a: Locator, b: Locator): Promise<boolean> {
  const [ra, rb] = [await a.boundingBox(), await b.boundingBox()];
  return ra !== null && rb !== null && ra.x + ra.width <= rb.x + 0.5;
}

test('a writer with no owner label is "unnamed writer" in the table, the task header, the timeline and the feed', async ({ dashboard }) => {
  const { page } = dashboard;
  await waitReady(page);
  updateTask(dashboard, 'anon', { status: 'in_progress' }); // the CLI's default owner is ""
  updateTask(dashboard, 'anon', { progress: 50 }, '--owner', 'agent-7');
  updateTask(dashboard, 'anon', { progress: 60 });

  await openView(page, 'Tasks');
  await expect(taskRow(page, 'anon')).toContainText('unnamed writer');
  await taskRow(page, 'anon').getByRole('link', { name: 'anon' }).click();
  const drawer = taskDrawer(page, 'anon');
  const header = drawer.locator('.facts div').filter({ hasText: 'Last writer' }).locator('dd');
  const timelineWriter = (v: number) => drawer.getByRole('listitem', { name: `Version ${v}` }).locator('.tl-owner');
  await expect(timelineWriter(3)).toHaveText('unnamed writer');
  await expect(header).toHaveText('unnamed writer');
  await expect(timelineWriter(2)).toHaveText('agent-7');
  await expect(timelineWriter(1)).toHaveText('unnamed writer');
});

test('activity chips are never clipped; long integrity paths are cut in the middle, keeping the file name', async ({ dashboard }) => {
  const { page } = dashboard;
  await waitReady(page);
  const sid = createSession(dashboard, { agent: 'chips' });
  const longId = 'integrity-path-with-a-rather-long-task-name';
  updateTask(dashboard, longId, { status: 'in_progress' }, '--session', sid);
  const cid = cliOk<{ id: string }>(dashboard, 'checkpoint', 'create', sid).id;
  updateTask(dashboard, longId, { status: 'failed' });
  cliOk(dashboard, 'checkpoint', 'restore', cid);

  const feed = page.getByRole('list', { name: 'Recent activity' });
  const restored = feed.getByRole('listitem').filter({ hasText: 'checkpoint restored' });
  await expect(restored).toHaveCount(1);
  await expect(feed.getByRole('listitem').filter({ hasText: 'checkpoint created' })).toHaveCount(2); // the checkpoint and the undo point
  // Every chip shows its whole label and ends before the owner column starts.
  for (const item of await feed.getByRole('listitem').all()) {
    const chip = item.locator('.feed-type');
    expect(await chip.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    expect(await endsBefore(chip, item.locator('.feed-owner'))).toBe(true);
  }
  await expect(restored.locator('.feed-owner')).toHaveText('unnamed writer'); // the CLI ran without --owner
  // …and the columns still line up from row to row.
  const lefts = await feed.locator('.feed-owner').evaluateAll((els) => els.map((el) => Math.round(el.getBoundingClientRect().left)));
  expect(new Set(lefts).size).toBe(1);
  await dashboard.screenshot('activity-feed');

  // A damaged task: its path is longer than the Path column.
  const stateFile = join(dashboard.root, 'tasks', `task-${longId}`, 'state.json');
  writeFileSync(stateFile, '{"trunc');
  await openView(page, 'Integrity');
  await page.getByRole('button', { name: 'Verify now' }).click();
  const row = page.getByRole('table', { name: 'Integrity problems' }).locator(`tbody tr[data-task-id="${longId}"]`).first();
  const path = row.locator('.mid-ellipsis');
  await expect(path).toHaveAttribute('title', stateFile);
  await expect(path).toHaveText(stateFile); // copying it copies the whole path
  await dashboard.screenshot('integrity-long-path');
  // The start is cut (the head overflows its box); the end is shown whole, inside the cell.
  expect(await path.locator('.mid-ellipsis-head').evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
  const tail = path.locator('.mid-ellipsis-tail');
  await expect(tail).toHaveText('/state.json');
  expect(await tail.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
  const [cell, shown] = [await row.locator('td.cell-path').boundingBox(), await tail.boundingBox()];
  expect(shown!.x + shown!.width).toBeLessThanOrEqual(cell!.x + cell!.width);
});

test('the empty-root page asks for `lockstep init` only while the root does not exist', async ({ dashboard }) => {
  const { page } = dashboard;
  await waitReady(page);
  const start = page.getByRole('region', { name: 'No tasks or sessions yet' });
  const steps = start.getByRole('listitem');
  // The fixture's root is initialised: the first step is writing a task.
  await expect(steps).toHaveCount(2);
  await expect(steps.first()).toContainText(/^lockstep task update <id>/);
  await expect(start.getByText('lockstep init', { exact: true })).toHaveCount(0);

  rmSync(dashboard.root, { recursive: true, force: true });
  await expect(start).toContainText('which does not exist yet');
  await expect(steps).toHaveCount(3);
  await expect(steps.first()).toContainText('lockstep init');
  await dashboard.screenshot('empty-root-missing');

  cliOk(dashboard, 'init');
  await expect(steps).toHaveCount(2);
  await expect(steps.first()).toContainText(/^lockstep task update <id>/);
});

test('restoring a version from before the task joined its session says it drops the session link', async ({ dashboard }) => {
  const { page } = dashboard;
  await waitReady(page);
  const sid = createSession(dashboard, {});
  updateTask(dashboard, 'drifter', { status: 'pending' });
  updateTask(dashboard, 'drifter', { status: 'in_progress' }, '--session', sid);

  await openView(page, 'Tasks');
  await taskRow(page, 'drifter').getByRole('link', { name: 'drifter' }).click();
  const drawer = taskDrawer(page, 'drifter');
  await drawer.getByRole('listitem', { name: 'Version 1' }).getByRole('button', { name: 'Restore this version' }).click();
  const confirm = page.getByRole('dialog', { name: 'Restore drifter to v1?' });
  const note = confirm.getByRole('note', { name: 'Session link' });
  await expect(note).toContainText(`restoring it removes this task's link to session ${sid}`);
  await expect(note).toContainText(`lockstep task update drifter '{}' --session ${sid}`);
  await dashboard.screenshot('restore-version-session-link');

  // Restoring v2 (which has the link) says nothing about it.
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  updateTask(dashboard, 'drifter', { status: 'review' });
  await drawer.getByRole('listitem', { name: 'Version 2' }).getByRole('button', { name: 'Restore this version' }).click();
  await expect(page.getByRole('dialog', { name: 'Restore drifter to v2?' })).toBeVisible();
  await expect(page.getByRole('note', { name: 'Session link' })).toHaveCount(0);
});
