// `lockstep serve [--root DIR] [--port P] [--host ADDR]`: prints the URL
// (with the per-run token) as the first line on stdout, then serves until
// SIGINT/SIGTERM.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Flags } from '../cli/args.ts';
import { InvalidInputError } from '../engine/errors.ts';
import { defaultRoot } from '../engine/paths.ts';
import { createHandlers } from './api.ts';
import { DemoRunner } from './demo.ts';
import { startServer } from './serve.ts';
import { StateHost } from './state-host.ts';

/** out/renderer, found from either the source tree or the bundle in out/cli. */
export function findRendererDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'out', 'renderer');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    if (existsSync(join(dir, 'renderer', 'index.html')) && dir.endsWith('out')) return join(dir, 'renderer');
    dir = dirname(dir);
  }
  return resolve('out/renderer');
}

export async function serveCommand(root: string | undefined, flags: Flags): Promise<number> {
  const port = flags.int('port', { min: 0, max: 65535 }) ?? 0;
  const bindHost = flags.string('host') ?? '127.0.0.1';
  flags.assertAllUsed();
  if (!/^[\w.:[\]-]+$/.test(bindHost)) throw new InvalidInputError(`invalid --host ${JSON.stringify(bindHost)}`);
  const host = new StateHost({ root: root ? resolve(root) : defaultRoot(), monitor: true });
  const demo = new DemoRunner(host, process.argv[1]!, process.execArgv);
  const started = host.start();
  const server = await startServer({ host, handlers: createHandlers(host, demo), rendererDir: findRendererDir(), port, bindHost });
  process.stdout.write(`${server.url}\n`);
  if (bindHost !== '127.0.0.1' && bindHost !== 'localhost' && bindHost !== '::1') {
    process.stderr.write(`lockstep serve: listening on ${bindHost}, not loopback only: anyone who can reach it and has the token can change state\n`);
  }
  await started;
  process.stderr.write(`lockstep serve: ${host.snapshot().tasks.length} tasks from ${host.root}\n`);
  await new Promise<void>((r) => {
    process.once('SIGINT', r);
    process.once('SIGTERM', r);
  });
  await server.close();
  await demo.stop();
  await host.close();
  return 0;
}
