// Huge values degrade gracefully: a multi-megabyte state is listed like any
// other task, its JSON is not rendered until asked for, and a task keeping
// hundreds of versions opens with its newest ones and says how many more exist.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { CLI, test, expect } from '../fixtures.ts';
import { cliOk, taskDrawer, taskRow } from './support.ts';

test('a 3 MB state is listed, opens, and renders its JSON only on request', async ({ dashboard }) => {
  const { page } = dashboard;
  const payload = { status: 'in_progress', log: 'x'.repeat(3 * 1024 * 1024) };
  // Through stdin: a payload this large does not fit on a command line.
  const update = spawnSync(process.execPath, [CLI, '--root', dashboard.root, '--json', 'task', 'update', 'big', '-'], {
    input: JSON.stringify(payload),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  expect(update.status, update.stderr).toBe(0);
  await page.goto(`${page.url().split('#')[0]}#/tasks?task=big`);
  await expect(taskRow(page, 'big')).toHaveAttribute('data-task-id', 'big');
  const drawer = taskDrawer(page, 'big');
  await expect(drawer).toBeVisible();
  await drawer
    .getByRole('button', { name: /View JSON/ })
    .first()
    .click();
  await expect(drawer.getByText(/large documents are not rendered automatically/).first()).toBeVisible();
  await expect(drawer.getByRole('button', { name: 'Show anyway' }).first()).toBeVisible();
});

test('a task keeping 260 versions opens with the newest 200 and counts the rest', async ({ dashboard }) => {
  const { page } = dashboard;
  writeFileSync(join(dashboard.root, 'config.json'), JSON.stringify({ max_history: 1000, fsync: false }));
  const { openStateStore } = await import('../../main/engine/index.ts');
  const store = openStateStore({ root: dashboard.root });
  for (let i = 1; i <= 260; i++) await store.updateTaskState('long', { step: i });
  store.close();
  expect(cliOk<unknown[]>(dashboard, 'task', 'history', 'long')).toHaveLength(260);
  await page.goto(`${page.url().split('#')[0]}#/tasks?task=long`);
  const drawer = taskDrawer(page, 'long');
  await expect(drawer.getByText('200 retained, 60 older not shown')).toBeVisible();
});
