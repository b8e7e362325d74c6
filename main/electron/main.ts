// Electron main entry (bundled by electron-vite to out/main/main.js).
import * as electron from 'electron';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startApp } from './app.ts';

startApp(electron, { mainDir: dirname(fileURLToPath(import.meta.url)) }).catch((err: unknown) => {
  electron.dialog.showErrorBox('Lockstep could not start', err instanceof Error ? err.message : String(err));
  electron.app.exit(1);
});
