// What the dashboard asks the server, counted on the WebSocket: one `ready`
// per page load, and a task panel that reads its history once, then only
// the versions after the newest it holds (live writes and a restore alike),
// while versions past max_history drop out of the timeline.
import { test, expect } from '../fixtures.ts';
import { openView, taskDrawer, taskRow, updateTask, waitReady } from './support.ts';

interface Sent {
  method: string;
  request: { taskId?: string; after?: number };
}

test('the task panel asks only for new versions; a reload says ready once', async ({ dashboard }) => {
  test.skip(dashboard.mode !== 'serve', 'counts the frames of the serve WebSocket');
  const { page } = dashboard;
  await waitReady(page);
  for (let i = 1; i <= 3; i++) updateTask(dashboard, 'docs', { step: i, status: 'in_progress' }, '--owner', `agent-${i}`);

  // Count from a fresh page load: the handshake, then the panel's requests.
  const sent: Sent[] = [];
  page.on('websocket', (ws) => ws.on('framesent', (frame) => sent.push(JSON.parse(String(frame.payload)) as Sent)));
  await page.reload();
  await waitReady(page);
  expect(sent.filter((m) => m.method === 'ready')).toHaveLength(1);
  const historyRequests = () => sent.filter((m) => m.method === 'getTask').map((m) => m.request);

  await openView(page, 'Tasks');
  await taskRow(page, 'docs').getByRole('link', { name: 'docs' }).click();
  const drawer = taskDrawer(page, 'docs');
  const timeline = drawer.getByRole('list', { name: 'Version timeline' });
  const entries = timeline.getByRole('listitem', { name: /^Version \d+$/ });
  await expect(entries).toHaveCount(3);
  expect(historyRequests()).toEqual([{ taskId: 'docs' }]);

  // Live writes: each new version is read alone.
  for (let i = 4; i <= 5; i++) {
    updateTask(dashboard, 'docs', { step: i }, '--owner', `agent-${i}`);
    await expect(entries).toHaveCount(i);
  }
  expect(historyRequests()).toEqual([{ taskId: 'docs' }, { taskId: 'docs', after: 3 }, { taskId: 'docs', after: 4 }]);

  // A restore writes v6 and the panel shows it without reading the history again.
  await timeline.getByRole('listitem', { name: 'Version 1', exact: true }).getByRole('button', { name: 'Restore this version' }).click();
  await page.getByRole('dialog', { name: 'Restore docs to v1?' }).getByRole('button', { name: 'Confirm restore' }).click();
  await expect(drawer.getByRole('status').filter({ hasText: 'Restored v1 as v6.' })).toBeVisible();
  await expect(entries).toHaveCount(6);
  await expect(taskRow(page, 'docs').locator('[data-version]')).toHaveAttribute('data-version', '6');
  expect(historyRequests().slice(3)).toEqual([{ taskId: 'docs', after: 5 }]);

  // A burst past max_history (10 earlier versions kept): v1 and v2 are pruned on disk and leave the timeline.
  for (let i = 7; i <= 13; i++) updateTask(dashboard, 'docs', { step: i }, '--owner', 'burst');
  await expect(timeline.getByRole('listitem', { name: 'Version 13', exact: true })).toBeVisible();
  await expect(entries).toHaveCount(11);
  await expect(timeline.getByRole('listitem', { name: 'Version 2', exact: true })).toHaveCount(0);
  const burst = historyRequests().slice(4);
  expect(burst.length).toBeGreaterThan(0);
  expect(burst.length).toBeLessThanOrEqual(7);
  expect(burst.every((r) => r.after !== undefined)).toBe(true);
  await expect(drawer.getByRole('heading', { name: /Version timeline/ })).toContainText('11 retained');
  await dashboard.screenshot('task-history');
});
