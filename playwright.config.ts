import { defineConfig } from '@playwright/test';

// One set of specs, two ways to run the dashboard (as VS Code and
// RedisInsight do): `serve` drives Debian's Chromium against `lockstep
// serve`; `electron` launches the desktop app where a binary exists
// (ELECTRON_PATH) and is skipped, with the reason printed, elsewhere.
export default defineConfig({
  testDir: 'e2e/specs',
  outputDir: 'test-results/e2e',
  timeout: 90_000,
  expect: { timeout: 15_000 },
  workers: 1,
  fullyParallel: false,
  retries: 0,
  reporter: [['list']],
  globalSetup: './e2e/global-setup.ts',
  use: { viewport: { width: 1440, height: 900 }, trace: 'retain-on-failure' },
  projects: [
    { name: 'serve', metadata: { mode: 'serve' } },
    { name: 'electron', metadata: { mode: 'electron' } },
  ],
});
