// The dashboard of an etcd cluster: `lockstep serve --etcd URLS --namespace NS`
// against a real 3-member cluster on loopback (started by the test harness,
// main/test/etcd/cluster.ts), changed by real CLI processes on the same
// cluster while the page is open: a session, commits and their timeline, a
// lock holder, and a checkpoint restore all show live.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Page } from '@playwright/test';
import { CLI, test, expect } from '../fixtures.ts';
import { freshNamespace, sharedCluster, type EtcdCluster } from '../../main/test/etcd/cluster.ts';
import { openView, taskDrawer, taskRow, waitReady } from './support.ts';

let cluster: EtcdCluster;
// Playwright reads fixture dependencies from this destructuring; this one has none.
// eslint-disable-next-line no-empty-pattern
test.beforeAll(async ({}, testInfo) => {
  testInfo.skip(
    testInfo.project.metadata.mode !== 'serve',
    'serve --etcd is the browser dashboard; the desktop app opens a cluster from its File menu (main/test/electron/etcd-cluster.test.ts)',
  );
  cluster = await sharedCluster();
});

interface Served {
  page: Page;
  /** The CLI on the served cluster and namespace (always --json); fails the test unless it exits 0. */
  cli<T = Record<string, unknown>>(...args: string[]): T;
  spawnCli(...args: string[]): { child: ChildProcess; firstLine: Promise<string> };
}

const children: ChildProcess[] = [];
test.afterEach(async () => {
  await Promise.all(
    children.splice(0).map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
});

async function serveCluster(browser: import('@playwright/test').Browser): Promise<Served> {
  const where = ['--etcd', cluster.endpoints.join(','), '--namespace', freshNamespace('e2e')];
  const serve = spawn(process.execPath, [CLI, ...where, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(serve);
  let stderr = '';
  serve.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve --etcd printed no URL within 30 s: ${stderr}`)), 30_000);
    createInterface({ input: serve.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve(line.trim());
    });
    serve.once('exit', (code) => reject(new Error(`serve --etcd exited with ${code}: ${stderr}`)));
  });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await page.goto(url);
  return {
    page,
    cli: (...args) => {
      const r = spawnSync(process.execPath, [CLI, ...where, '--json', ...args], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, `lockstep ${args.join(' ')} → ${r.stderr}`).toBe(0);
      return JSON.parse(r.stdout);
    },
    spawnCli: (...args) => {
      const child = spawn(process.execPath, [CLI, ...where, '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      return { child, firstLine: new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve)) };
    },
  };
}

test('a session and commits made by the CLI on etcd show live in Sessions, Tasks and the timeline', async ({ browser }) => {
  const { page, cli } = await serveCluster(browser);
  await waitReady(page);
  await openView(page, 'Tasks');
  await expect(page.getByText('No tasks yet')).toBeVisible();
  await page.evaluate(() => Object.assign(window, { __e2eNoReload: true }));

  const sid = cli<{ id: string }>('session', 'create', '--options', JSON.stringify({ agent: 'etcd-agent' })).id;
  cli('task', 'update', 'alpha', JSON.stringify({ status: 'in_progress', progress: 20 }), '--owner', 'agent-a', '--session', sid);
  const alpha = taskRow(page, 'alpha');
  await expect(alpha).toContainText('in_progress');
  await expect(alpha).toContainText('20%');
  await expect(alpha).toContainText('agent-a');
  await expect(alpha.locator('[data-version]')).toHaveAttribute('data-version', '1');

  cli('task', 'update', 'alpha', JSON.stringify({ status: 'review', progress: 90 }), '--owner', 'agent-b');
  await expect(alpha.locator('[data-version]')).toHaveAttribute('data-version', '2');
  await expect(alpha).toContainText('review');
  await expect(alpha).toContainText('agent-b');

  // The timeline: each version with its writer, read from the cluster's history keys.
  await alpha.getByRole('link', { name: 'alpha' }).click();
  const timeline = taskDrawer(page, 'alpha').getByRole('list', { name: 'Version timeline' });
  await expect(timeline.getByRole('listitem', { name: /^Version \d+$/ })).toHaveCount(2);
  await expect(timeline.getByRole('listitem', { name: 'Version 2', exact: true }).locator('.tl-owner')).toHaveText('agent-b');
  await expect(timeline.getByRole('listitem', { name: 'Version 1', exact: true }).locator('.tl-owner')).toHaveText('agent-a');
  cli('task', 'update', 'alpha', JSON.stringify({ note: 'third' }), '--owner', 'agent-c');
  await expect(timeline.getByRole('listitem', { name: /^Version \d+$/ })).toHaveCount(3);
  await expect(timeline.getByRole('listitem', { name: 'Version 3', exact: true }).locator('.tl-owner')).toHaveText('agent-c');
  await page.keyboard.press('Escape');

  await openView(page, 'Sessions');
  const row = page
    .getByRole('table', { name: 'Sessions' })
    .getByRole('row')
    .filter({ has: page.getByRole('link', { name: sid }) });
  await expect(row).toContainText('agent=etcd-agent');
  await expect(row.getByRole('img', { name: `Session ${sid} progress`, exact: false })).toHaveAccessibleName(
    `Session ${sid} progress: 0 completed, 1 in progress, 0 failed of 1`,
  );
  cli('task', 'update', 'alpha', JSON.stringify({ status: 'completed' }));
  await expect(row.getByRole('img', { name: `Session ${sid} progress`, exact: false })).toHaveAccessibleName(
    `Session ${sid} progress: 1 completed, 0 in progress, 0 failed of 1`,
  );
  expect(await page.evaluate(() => (window as unknown as { __e2eNoReload?: boolean }).__e2eNoReload)).toBe(true);
});

test('a lock held on etcd shows in Locks with its holder, and goes when released', async ({ browser }) => {
  const { page, cli, spawnCli } = await serveCluster(browser);
  await waitReady(page);
  cli('task', 'update', 'contended', JSON.stringify({ status: 'in_progress' }));
  await openView(page, 'Locks');
  await expect(page.getByText('No locks held right now')).toBeVisible();

  const holder = spawnCli('lock', 'acquire', 'contended', '--hold', '30000', '--owner', 'etcd-holder');
  const held = JSON.parse(await holder.firstLine) as { pid: number; mode: string };
  expect(held).toMatchObject({ pid: holder.child.pid, mode: 'write' });
  const row = page.getByRole('table', { name: 'Lock holders' }).locator('tbody tr[data-task-id="contended"]');
  await expect(row).toHaveCount(1);
  await expect(row.locator('td:nth-child(2)')).toHaveText('write');
  await expect(row.locator('td:nth-child(3)')).toHaveText('etcd-holder');
  await expect(row.locator('td:nth-child(4)')).toHaveText(String(held.pid));
  await expect(row.locator('td:nth-child(6)')).toHaveText('alive');

  // A waiter queues behind it and is listed as such.
  const waiter = spawnCli('lock', 'acquire', 'contended', '--timeout', '20000', '--owner', 'etcd-waiter');
  await expect(row.locator('td:nth-child(9)')).toContainText('etcd-waiter');
  holder.child.kill('SIGTERM');
  expect(JSON.parse(await waiter.firstLine)).toMatchObject({ pid: waiter.child.pid, owner: 'etcd-waiter' });
  await expect(row.locator('td:nth-child(3)')).toHaveText('etcd-waiter');
  waiter.child.kill('SIGTERM');
  await expect(page.getByText('No locks held right now')).toBeVisible();
});

test('a checkpoint restore on etcd, started from the dashboard, rewrites the tasks it shows', async ({ browser }) => {
  const { page, cli } = await serveCluster(browser);
  await waitReady(page);
  const sid = cli<{ id: string }>('session', 'create').id;
  cli('task', 'update', 'ck-a', JSON.stringify({ status: 'in_progress', progress: 40 }), '--session', sid);
  cli('task', 'update', 'ck-b', JSON.stringify({ status: 'pending' }), '--session', sid);
  const cid = cli<{ id: string }>('checkpoint', 'create', sid, '--reason', 'before etcd changes').id;
  cli('task', 'update', 'ck-a', JSON.stringify({ status: 'failed' }));
  cli('task', 'update', 'ck-b', JSON.stringify({ status: 'in_progress' }));

  await openView(page, 'Checkpoints');
  const row = page.getByRole('table', { name: 'Checkpoints' }).locator(`tbody tr[data-checkpoint-id="${cid}"]`);
  await expect(row).toContainText('before etcd changes');
  await row.getByRole('button', { name: 'Restore' }).click();
  const dialog = page.getByRole('dialog', { name: `Restore checkpoint ${cid}` });
  await expect(dialog).toContainText('2 tasks will change');
  await dialog.getByRole('button', { name: 'Confirm restore' }).click();
  await expect(dialog.getByRole('status')).toContainText(`Restored checkpoint ${cid}: 2 tasks changed.`);
  await dialog.locator('footer').getByRole('button', { name: 'Close' }).click();

  await openView(page, 'Tasks');
  await expect(taskRow(page, 'ck-a')).toContainText('in_progress');
  await expect(taskRow(page, 'ck-a').locator('[data-version]')).toHaveAttribute('data-version', '3');
  await expect(taskRow(page, 'ck-b')).toContainText('pending');
  expect(cli('task', 'get', 'ck-a')).toMatchObject({ status: 'in_progress', progress: 40, version: 3, session_id: sid });
});
