// The serve WebSocket drops while tasks change: the page reconnects, says
// `ready` again, and shows what changed while it was away (no grace timer,
// no separate snapshot request: the same handshake as the first connect).
import type { WebSocketRoute } from '@playwright/test';
import { test, expect } from '../fixtures.ts';
import { openView, taskRow, updateTask, waitReady } from './support.ts';

test('after the WebSocket drops, the page reconnects, says ready again and shows what changed meanwhile', async ({ dashboard }) => {
  test.skip(dashboard.mode !== 'serve', 'drops the serve WebSocket');
  const { page } = dashboard;
  await waitReady(page);
  updateTask(dashboard, 'before', { status: 'queued' });

  // Every dashboard connection goes through this proxy, which counts `ready`
  // and, while `away` is set, turns reconnect attempts away.
  let away = false;
  const readies: number[] = [];
  const connections: { page: WebSocketRoute; server: WebSocketRoute }[] = [];
  await page.routeWebSocket(/\/api\?/, (ws) => {
    if (away) {
      void ws.close({ code: 4000, reason: 'the test keeps the server away' });
      return;
    }
    const server = ws.connectToServer();
    ws.onMessage((message) => {
      if ((JSON.parse(String(message)) as { method?: string }).method === 'ready') readies.push(connections.length);
      server.send(message);
    });
    connections.push({ page: ws, server });
  });
  await page.reload();
  await waitReady(page);
  await openView(page, 'Tasks');
  await expect(taskRow(page, 'before')).toContainText('queued');
  expect(readies).toEqual([1]);

  away = true;
  await connections[0]!.page.close({ code: 4001, reason: 'dropped by the test' });
  await connections[0]!.server.close();
  await expect(page.getByRole('status', { name: 'Connection: Offline' })).toBeVisible();
  updateTask(dashboard, 'while-away', { status: 'in_progress' });
  updateTask(dashboard, 'before', { status: 'done' });
  away = false;

  await expect(page.getByRole('status', { name: 'Connection: Live' })).toBeVisible({ timeout: 30_000 });
  await expect(taskRow(page, 'while-away')).toContainText('in_progress');
  await expect(taskRow(page, 'before')).toContainText('done');
  expect(readies).toEqual([1, 2]); // once per connection that reached the server
  // …and patches flow again on the new connection.
  updateTask(dashboard, 'after', { status: 'queued' });
  await expect(taskRow(page, 'after')).toContainText('queued');
});
