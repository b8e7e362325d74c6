// `lockstep serve` in Chromium when someone misbehaves: a page from another
// origin fires the requests that used to end the process, a hand-edited
// state.json is nested 10,000 levels deep, and --host serves the dashboard
// on a non-loopback address. Each time the same server keeps working.
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test, expect, CLI, runCli } from '../fixtures.ts';
import { openView, taskDrawer, taskRow, updateTask, waitReady } from './support.ts';

test.beforeEach(() => {
  test.skip(test.info().project.metadata.mode !== 'serve', 'these specs are about lockstep serve');
});

/** A page on another origin (another loopback port), as any site the user visits could be. */
async function attackerSite(html: string): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  await new Promise<void>((r) => server.listen(0, 'localhost', r));
  const address = server.address();
  return { url: `http://localhost:${typeof address === 'object' && address ? address.port : 0}/`, server };
}

test('requests from another origin that used to end serve are refused, and the dashboard keeps updating', async ({
  dashboard,
  browser,
}) => {
  const { page } = dashboard;
  await waitReady(page);
  updateTask(dashboard, 'alive', { status: 'in_progress' });
  await openView(page, 'Tasks');
  await expect(taskRow(page, 'alive')).toContainText('in_progress');

  const serveOrigin = new URL(page.url()).origin;
  const paths = ['/%', '/%E0%A4%A', '/%c0%ae%c0%ae/etc/passwd', '/%00', '/%ff%fe'];
  const site = await attackerSite(`<!doctype html><title>elsewhere</title><script>
    const target = ${JSON.stringify(serveOrigin)};
    const loads = ${JSON.stringify(paths)}.map((p) => new Promise((done) => {
      const img = new Image();
      img.onload = img.onerror = done;
      img.src = target + p;
    }));
    const blind = [
      fetch(target + '/%', { mode: 'no-cors' }).catch(() => {}),
      fetch(target + '/', { mode: 'no-cors', method: 'POST', body: 'x' }).catch(() => {}),
    ];
    const socket = new Promise((done) => {
      const ws = new WebSocket(target.replace('http', 'ws') + '/api?token=guessed');
      ws.onerror = ws.onclose = done;
    });
    window.fired = Promise.all([...loads, ...blind, socket]).then(() => 'done');
  </script>`);
  const context = await browser.newContext();
  try {
    const attacker = await context.newPage();
    await attacker.goto(site.url);
    expect(await attacker.evaluate(() => (window as unknown as { fired: Promise<string> }).fired)).toBe('done');
  } finally {
    await context.close();
    site.server.close();
  }

  // Same server, still live: a change made now reaches the open page.
  updateTask(dashboard, 'alive', { status: 'review' });
  await expect(taskRow(page, 'alive')).toContainText('review');
  await expect(page.getByRole('status', { name: 'Connection: Live' })).toBeVisible();
  // And it still serves the page (the token is kept for the tab).
  await page.reload();
  await waitReady(page);
  await expect(taskRow(page, 'alive')).toContainText('review');
});

test('a task whose state.json is nested 10,000 levels deep opens with an error, and everything else still works', async ({ dashboard }) => {
  const { page } = dashboard;
  await waitReady(page);
  updateTask(dashboard, 'deep', { status: 'in_progress' });
  updateTask(dashboard, 'plain', { status: 'pending' });
  await openView(page, 'Tasks');
  await expect(taskRow(page, 'deep')).toBeVisible();

  // Edited by hand, in place, as an editor would. (The version stays the
  // same, so the table keeps its row as it was; opening the task reads the file.)
  const file = join(dashboard.root, 'tasks', 'task-deep', 'state.json');
  const state = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const depth = 10_000;
  writeFileSync(
    file,
    JSON.stringify({ ...state, status: 'hand-edited' }).replace(/}$/, `,"nested":${'['.repeat(depth)}${']'.repeat(depth)}}`),
  );

  await taskRow(page, 'deep').getByRole('link', { name: 'deep' }).click();
  const drawer = taskDrawer(page, 'deep');
  await expect(drawer.getByRole('alert')).toContainText('Could not load this task');
  await expect(drawer.getByRole('alert')).toContainText('nested too deeply');
  await dashboard.screenshot('deep-state-error');
  await drawer.getByRole('button', { name: 'Close' }).click();

  await taskRow(page, 'plain').getByRole('link', { name: 'plain' }).click();
  await expect(taskDrawer(page, 'plain')).toContainText('pending');
  await expect(taskDrawer(page, 'plain').getByRole('alert')).toHaveCount(0);
  updateTask(dashboard, 'plain', { status: 'done' });
  await expect(taskRow(page, 'plain')).toContainText('done');
});

const externalIPv4 = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

test('--host with a non-loopback address: the dashboard works in Chromium over that address, with the token', async ({ browser }) => {
  test.skip(!externalIPv4, 'this machine has no non-loopback IPv4 address');
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-e2e-host-'));
  const root = join(dir, 'state');
  mkdirSync(root, { recursive: true });
  runCli(root, ['init']);
  runCli(root, ['task', 'update', 'remote-1', '{"status":"in_progress"}']);
  const child = spawn(process.execPath, [CLI, '--root', root, 'serve', '--port', '0', '--host', externalIPv4!], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  try {
    const url = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
    expect(new URL(url).hostname).toBe(externalIPv4);
    const page = await context.newPage();
    await page.goto(url);
    await waitReady(page);
    await openView(page, 'Tasks');
    await expect(taskRow(page, 'remote-1')).toContainText('in_progress');
    runCli(root, ['task', 'update', 'remote-1', '{"status":"review"}']);
    await expect(taskRow(page, 'remote-1')).toContainText('review');
    expect(stderr).toContain('the traffic is not encrypted');

    // Without the token the page gets nothing.
    const stranger = await context.browser()!.newContext();
    const noToken = await stranger.newPage();
    await noToken.goto(url.replace(/\?token=.*$/, ''));
    await expect(noToken.getByText('No access token')).toBeVisible();
    await stranger.close();
  } finally {
    await context.close();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
});
