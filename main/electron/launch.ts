// `npm start` / `npm run dev`: open the desktop app. Electron 45 downloads
// its binary lazily (the npm package has no postinstall), so on a fresh
// machine the first start runs Electron's own installer, with its progress
// shown, and then opens the app. Only when that is impossible does it explain
// why and point to `lockstep serve`, which gives the same dashboard.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

const MAIN_ENTRY = 'out/main/main.js';

export interface LaunchContext {
  /** The project folder: where `npm start` runs, holding out/ and node_modules/. */
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** Where the binary is, or why there is none. */
export type ElectronLookup = { path: string } | { missing: string; packageDir?: string };

export function findElectron({ cwd, env }: LaunchContext): ElectronLookup {
  if (env.ELECTRON_PATH) {
    return existsSync(env.ELECTRON_PATH)
      ? { path: env.ELECTRON_PATH }
      : { missing: `ELECTRON_PATH is ${env.ELECTRON_PATH}, which does not exist` };
  }
  let packageDir: string;
  try {
    packageDir = dirname(createRequire(join(cwd, 'package.json')).resolve('electron/package.json'));
  } catch {
    return { missing: 'the electron package is not installed (run "npm install")' };
  }
  // Resolved as node_modules/electron/index.js does, without requiring it:
  // requiring it would start a download without asking.
  let relative: string | null = null;
  try {
    relative = readFileSync(join(packageDir, 'path.txt'), 'utf8').trim();
  } catch {
    /* not downloaded yet */
  }
  const distDir = env.ELECTRON_OVERRIDE_DIST_PATH || join(packageDir, 'dist');
  if (env.ELECTRON_OVERRIDE_DIST_PATH) relative ??= 'electron';
  const path = relative ? join(distDir, relative) : null;
  if (path && existsSync(path)) return { path };
  return { missing: path ? `${path} is missing` : 'the Electron binary has not been downloaded yet', packageDir };
}

/**
 * Run node_modules/electron/install.js (what `require('electron')` would run),
 * its download progress on our terminal. Returns why it failed, or null.
 */
function runElectronInstaller(packageDir: string, env: NodeJS.ProcessEnv): string | null {
  const version = readPackageVersion(packageDir);
  process.stderr.write(`Lockstep: downloading Electron ${version} for this machine (first start only)…\n`);
  const result = spawnSync(process.execPath, [join(packageDir, 'install.js')], { cwd: packageDir, env, stdio: 'inherit' });
  if (result.error) return `the Electron installer could not run: ${result.error.message}`;
  if (result.status !== 0) {
    const how = result.status === null ? `was stopped by ${result.signal}` : `exited with code ${result.status}`;
    return `the Electron download failed: its installer ${how} (its message is above; offline, or a proxy or firewall in the way?)`;
  }
  return null;
}

function readPackageVersion(packageDir: string): string {
  try {
    return (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version?: string }).version ?? '';
  } catch {
    return '';
  }
}

/** The Electron binary, downloaded first if need be; or why there is none. */
export function ensureElectron(context: LaunchContext): ElectronLookup {
  const found = findElectron(context);
  if ('path' in found || !found.packageDir || context.env.ELECTRON_OVERRIDE_DIST_PATH) return found;
  if (context.env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
    return { missing: 'the Electron binary is not on this machine, and ELECTRON_SKIP_BINARY_DOWNLOAD is set, so it was not downloaded' };
  }
  const failure = runElectronInstaller(found.packageDir, context.env);
  if (failure) return { missing: failure };
  const installed = findElectron(context);
  return 'path' in installed ? installed : { missing: `the Electron installer finished, but ${installed.missing}` };
}

export function missingElectronMessage(why: string): string {
  return (
    `Lockstep cannot open the desktop app: ${why}.\n` +
    'To get Electron: run "npm start" again where downloads work (without ELECTRON_SKIP_BINARY_DOWNLOAD), ' +
    'or point ELECTRON_PATH at an Electron 45 binary.\n' +
    'The same dashboard runs in any browser: "npx lockstep serve" (add --root DIR for another state folder) prints a URL to open.'
  );
}

export async function launch(args: string[], context: LaunchContext = { cwd: process.cwd(), env: process.env }): Promise<number> {
  const dev = args[0] === '--dev';
  const rest = dev ? args.slice(1) : args;
  const electron = ensureElectron(context);
  if (!('path' in electron)) {
    process.stderr.write(`${missingElectronMessage(electron.missing)}\n`);
    return 1;
  }
  const { cwd, env } = context;
  const child = dev
    ? spawn(
        process.execPath,
        ['node_modules/electron-vite/bin/electron-vite.js', 'dev', '--entry', MAIN_ENTRY, ...(rest.length ? ['--', ...rest] : [])],
        { cwd, stdio: 'inherit', env: { ...env, ELECTRON_EXEC_PATH: electron.path } },
      )
    : spawn(electron.path, [MAIN_ENTRY, ...rest], { cwd, env, stdio: 'inherit' });
  return new Promise((resolve) => {
    child.once('error', (err) => {
      process.stderr.write(`Lockstep could not start ${electron.path}: ${err.message}\n`);
      resolve(1);
    });
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

if (import.meta.filename === process.argv[1]) {
  launch(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
