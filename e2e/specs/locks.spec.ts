// Locks held and awaited by real `lockstep lock acquire` processes, and a
// dead holder's lock broken from the UI.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { test, expect } from '../fixtures.ts';
import { openLocksWithTask, openView, updateTask, waitReady } from './support.ts';

test('holder and waiter are shown live, and the waiter takes over when the holder goes', async ({ dashboard }) => {
  const page = await openLocksWithTask(dashboard, 'contended');

  const holder = dashboard.spawnCli('lock', 'acquire', 'contended', '--hold', '30000', '--owner', 'e2e-holder');
  const held = JSON.parse(await holder.firstLine) as { pid: number; mode: string };
  expect(held.pid).toBe(holder.child.pid);

  const holders = page.getByRole('table', { name: 'Lock holders' });
  const row = holders.locator('tbody tr[data-task-id="contended"]');
  await expect(row).toHaveCount(1);
  const cell = (column: number) => row.locator(`td:nth-child(${column})`);
  await expect(cell(2)).toHaveText('write');
  await expect(cell(3)).toHaveText('e2e-holder');
  await expect(cell(4)).toHaveText(String(held.pid));
  await expect(cell(5)).toHaveText(hostname());
  await expect(cell(6)).toHaveText('alive');
  await expect(cell(8)).toHaveText(/^in \d/); // expires in …
  await expect(cell(9)).toHaveText('—'); // nobody waits yet
  await expect(row.getByRole('button', { name: 'Break lock' })).toHaveCount(0); // a live holder cannot be broken

  const waiter = dashboard.spawnCli('lock', 'acquire', 'contended', '--timeout', '20000', '--owner', 'e2e-waiter');
  await expect(cell(9)).toContainText('e2e-waiter');
  await expect(cell(9).getByRole('listitem')).toHaveAttribute('title', new RegExp(`^pid ${waiter.child.pid}@`));
  await expect(page.getByText('1 holder on 1 task · 1 waiter')).toBeVisible();

  // SIGTERM makes the holder release; the waiter becomes the holder.
  holder.child.kill('SIGTERM');
  const taken = JSON.parse(await waiter.firstLine) as { pid: number; owner: string };
  expect(taken).toMatchObject({ pid: waiter.child.pid, owner: 'e2e-waiter' });
  await expect(cell(3)).toHaveText('e2e-waiter');
  await expect(cell(4)).toHaveText(String(waiter.child.pid));
  await expect(cell(9)).toHaveText('—');
  await expect(holders.getByText('e2e-holder')).toHaveCount(0);
  await expect(page.getByText('1 holder on 1 task · 0 waiters')).toBeVisible();

  waiter.child.kill('SIGTERM');
  await expect(page.getByText('No locks held right now')).toBeVisible();
  await expect(page.getByText('0 holders on 0 tasks · 0 waiters')).toBeVisible();
  expect(dashboard.cli('locks').json).toEqual([]);
});

test('a dead holder is flagged and its lock can be broken', async ({ dashboard }) => {
  const { page } = dashboard;
  await waitReady(page);
  updateTask(dashboard, 'ghosted', { status: 'in_progress' });

  // A pid that surely belongs to no process any more.
  const gone = spawn(process.execPath, ['-e', '0']);
  await once(gone, 'exit');
  const lockFile = join(dashboard.root, 'tasks', 'task-ghosted', 'state.lock');
  mkdirSync(join(dashboard.root, 'tasks', 'task-ghosted'), { recursive: true });
  const now = Date.now();
  writeFileSync(
    lockFile,
    JSON.stringify({
      task_id: 'ghosted',
      mode: 'write',
      token: randomBytes(8).toString('hex'),
      pid: gone.pid,
      host: hostname(),
      start: null,
      owner: 'ghost',
      acquired_at: new Date(now).toISOString(),
      expires_at: new Date(now + 3_600_000).toISOString(),
    }),
  );

  await openView(page, 'Locks');
  const row = page.getByRole('table', { name: 'Lock holders' }).locator('tbody tr[data-task-id="ghosted"]');
  await expect(row).toContainText('ghost');
  await expect(row.locator('td:nth-child(6)')).toHaveText('dead');
  await expect(row).toContainText('dead holder');
  await expect(page.getByText('1 stale')).toBeVisible();

  await row.getByRole('button', { name: 'Break lock' }).click();
  const dialog = page.getByRole('dialog', { name: 'Break the lock on ghosted?' });
  await expect(dialog).toContainText(`its holder (pid ${gone.pid} on ${hostname()}) is dead`);
  await dialog.getByRole('button', { name: 'Break lock' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('status').filter({ hasText: /Broke the lock on ghosted \(\d+ files? removed\)/ })).toBeVisible();
  await expect(row).toHaveCount(0);
  await expect(page.getByText('No locks held right now')).toBeVisible();
  expect(existsSync(lockFile)).toBe(false);
});
