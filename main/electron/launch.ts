// `npm start` / `npm run dev`: open the desktop app, or explain in one
// paragraph why it cannot open here and what gives the same dashboard.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

const MAIN_ENTRY = 'out/main/main.js';

export function findElectron(env = process.env): string | null {
  if (env.ELECTRON_PATH) return existsSync(env.ELECTRON_PATH) ? env.ELECTRON_PATH : null;
  // Read what the electron package would export, without requiring it:
  // requiring it tries to download a missing binary.
  try {
    const pkgDir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
    const path = join(pkgDir, 'dist', readFileSync(join(pkgDir, 'path.txt'), 'utf8').trim());
    return existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

export const MISSING_ELECTRON =
  'Lockstep cannot open the desktop app: the Electron binary is not installed on this machine ' +
  '(npm skipped or could not download it, e.g. with ELECTRON_SKIP_BINARY_DOWNLOAD=1 or without internet access). ' +
  'Install it with "node node_modules/electron/install.js" where downloads work, or point ELECTRON_PATH at an Electron 45 binary. ' +
  'The same dashboard runs in any browser with "npx lockstep serve" (add --root DIR for another state folder): it prints a URL to open.';

function main(): number | Promise<number> {
  const args = process.argv.slice(2);
  const dev = args[0] === '--dev';
  const rest = dev ? args.slice(1) : args;
  const electron = findElectron();
  if (!electron) {
    process.stderr.write(`${MISSING_ELECTRON}\n`);
    return 1;
  }
  const child = dev
    ? spawn(process.execPath, ['node_modules/electron-vite/bin/electron-vite.js', 'dev', '--entry', MAIN_ENTRY, ...(rest.length ? ['--', ...rest] : [])], { stdio: 'inherit', env: { ...process.env, ELECTRON_EXEC_PATH: electron } })
    : spawn(electron, [MAIN_ENTRY, ...rest], { stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

if (import.meta.filename === process.argv[1]) {
  Promise.resolve(main()).then((code) => (process.exitCode = code));
}
