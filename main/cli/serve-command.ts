// `lockstep serve [--root DIR | --etcd URLS [--namespace NS]] [--port P] [--host ADDR]`:
// prints the URL (with the per-run token) as the first line on stdout, then
// serves until SIGINT/SIGTERM. The store comes from the same global options
// as every other command (cli/store-target.ts): a folder or an etcd cluster.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Flags } from './args.ts';
import { storeOptionsOf, type StoreTarget } from './store-target.ts';
import { InvalidInputError, defaultRoot } from '../engine/public.ts';
import { createHandlers } from '../host/api.ts';
import { DemoRunner } from '../host/demo.ts';
import { startServer, type RunningServer } from '../host/serve.ts';
import { externalAddresses, hostWithPort, isLoopbackAddress, isWildcardAddress } from '../host/serve-access.ts';
import { stderrLogger } from '../host/logger.ts';
import { StateHost } from '../host/state-host.ts';

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

export async function serveCommand(target: StoreTarget, flags: Flags): Promise<number> {
  const port = flags.int('port', { min: 0, max: 65535 }) ?? 0;
  const hostFlag = flags.string('host') ?? '127.0.0.1';
  flags.assertAllUsed();
  if (!/^[\w.:[\]-]+$/.test(hostFlag)) throw new InvalidInputError(`invalid --host ${JSON.stringify(hostFlag)}`);
  const bindHost = hostFlag.replace(/^\[(.*)\]$/, '$1'); // [::1] as in a URL
  // Refusal lines are best-effort: a stderr whose reader went away (EPIPE)
  // must not end the server.
  process.stderr.on('error', () => {});
  const store = target.kind === 'files' ? { root: target.root ? resolve(target.root) : defaultRoot() } : storeOptionsOf(target);
  const host = new StateHost({ ...store, monitor: true, logger: stderrLogger });
  const demo = new DemoRunner(host, process.argv[1]!, process.execArgv);
  const started = host.start();
  let server: RunningServer;
  try {
    server = await startServer({ host, handlers: createHandlers(host, demo), rendererDir: findRendererDir(), port, bindHost });
  } catch (err) {
    await started.catch((loadErr: unknown) => stderrLogger.error(`lockstep serve: loading ${host.root} failed`, loadErr));
    await host.close();
    // EADDRINUSE, EADDRNOTAVAIL (an address of another machine), ENOTFOUND: the flags are wrong.
    throw new InvalidInputError(`cannot listen on ${hostWithPort(bindHost, port)}: ${(err as Error).message}`);
  }
  process.stdout.write(`${server.url}\n`);
  if (!isLoopbackAddress(server.address)) process.stderr.write(remoteWarning(server));
  try {
    await started;
  } catch (err) {
    // Nothing to show (an unreachable cluster: exit 6 naming its endpoints); stop serving and say why.
    await server.close();
    await host.close();
    throw err;
  }
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

/**
 * --host with an address other machines can reach: the dashboard works
 * there (the token is still required), but plain HTTP carries the token and
 * every state in clear text, so say so and point to the SSH tunnel.
 */
export function remoteWarning(server: RunningServer): string {
  const where = isWildcardAddress(server.address)
    ? `every interface (${
        externalAddresses()
          .map((a) => `http://${hostWithPort(a, server.port)}/?token=${server.token}`)
          .join(', ') || 'no external address right now'
      })`
    : hostWithPort(server.address, server.port);
  return (
    `lockstep serve: warning: listening on ${where}: other machines can reach the dashboard; they still need the token.\n` +
    `lockstep serve: warning: the traffic is not encrypted: anyone who can watch this network can read the token, then read and change task state. ` +
    `Prefer the default (loopback) and an SSH tunnel: ssh -L ${server.port}:127.0.0.1:${server.port} <this machine> lockstep serve --port ${server.port}\n`
  );
}
