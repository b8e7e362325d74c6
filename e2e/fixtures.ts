// The dashboard under test, as a browser page against `lockstep serve` or as
// the Electron app, each on its own temporary state root. Specs change that
// root through real CLI processes while the page is open.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { test as base, chromium, _electron, type Browser, type Page } from '@playwright/test';

export const CLI = resolve('out/cli/lockstep.js');
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: unknown;
}

export interface Dashboard {
  page: Page;
  root: string;
  mode: 'serve' | 'electron';
  /** Run the lockstep CLI on this root and wait for it (always with --json). */
  cli(...args: string[]): CliResult;
  /** Start a long-running CLI process (e.g. lock acquire --hold); killed after the test. */
  spawnCli(...args: string[]): { child: ChildProcess; firstLine: Promise<string> };
  /** Save a screenshot as a test artifact under test-results/screenshots. */
  screenshot(name: string): Promise<void>;
}

export function runCli(root: string, args: string[], input?: string): CliResult {
  const r = spawnSync(process.execPath, [CLI, '--root', root, '--json', ...args], { encoding: 'utf8', input, timeout: 60_000 });
  let json: unknown = null;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    /* not JSON */
  }
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, json };
}

export async function startServe(root: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [CLI, '--root', root, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error('lockstep serve did not print its URL within 20 s')), 20_000);
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolveUrl(line.trim());
    });
    child.once('exit', (code) => reject(new Error(`lockstep serve exited with ${code}`)));
  });
  return { url, child };
}

/** SIGTERM (SIGKILL after 5 s) and wait for the exit. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveExit) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveExit();
    });
    child.kill('SIGTERM');
  });
}

export const test = base.extend<{ dashboard: Dashboard }, { browser: Browser }>({
  browser: [
    // Playwright reads fixture dependencies from this destructuring; this one has none.
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
      await use(browser);
      await browser.close();
    },
    { scope: 'worker' },
  ],
  dashboard: async ({ browser }, use, testInfo) => {
    const mode = testInfo.project.metadata.mode as 'serve' | 'electron';
    if (mode === 'electron' && !process.env.ELECTRON_PATH) {
      testInfo.skip(true, 'no Electron binary on this machine (set ELECTRON_PATH to run the desktop app specs)');
    }
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-e2e-'));
    const root = join(dir, '.worktrees', '.state');
    mkdirSync(root, { recursive: true });
    runCli(root, ['init']);
    const children: ChildProcess[] = [];
    let page: Page;
    let close: () => Promise<void>;
    if (mode === 'electron') {
      const app = await _electron.launch({
        executablePath: process.env.ELECTRON_PATH,
        args: [resolve('out/main/main.js'), '--root', root],
      });
      page = await app.firstWindow();
      // The built UI comes from the app's own scheme (main/electron/app-protocol.ts), never file://.
      await page.waitForURL((url) => url.href.startsWith('lockstep://app/'));
      close = () => app.close();
    } else {
      const served = await startServe(root);
      children.push(served.child);
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      page = await context.newPage();
      await page.goto(served.url);
      close = () => context.close();
    }
    const dashboard: Dashboard = {
      page,
      root,
      mode,
      cli: (...args) => runCli(root, args),
      spawnCli: (...args) => {
        const child = spawn(process.execPath, [CLI, '--root', root, '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        children.push(child);
        const firstLine = new Promise<string>((r) => createInterface({ input: child.stdout! }).once('line', r));
        return { child, firstLine };
      },
      screenshot: async (name) => {
        // Finite CSS animations (drawer slide-in, row flashes) are fast-forwarded to their end state.
        await page.screenshot({
          path: join('test-results', 'screenshots', `${mode}-${name}.png`),
          fullPage: false,
          animations: 'disabled',
        });
      },
    };
    await use(dashboard);
    await close();
    // Wait for every process to finish before deleting the root: a serve that
    // is still shutting down reacts to the deletion (it tries to recover the
    // vanishing tasks), which made rmSync stop part-way and leave files behind.
    await Promise.all(children.map(stopChild));
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  },
});

export { expect } from '@playwright/test';
