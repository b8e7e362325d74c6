import { existsSync } from 'node:fs';

export default function globalSetup(): void {
  if (!existsSync('out/cli/lockstep.js') || !existsSync('out/renderer/index.html')) {
    throw new Error('e2e needs a build: run "npm run build" first (npm test does it).');
  }
  if (!process.env.ELECTRON_PATH) {
    process.stdout.write(
      'e2e: the "electron" project is skipped: no Electron binary here (set ELECTRON_PATH to run the same specs in the desktop app).\n',
    );
  }
}
