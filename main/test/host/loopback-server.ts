// A real `lockstep serve` for tests: a StateHost over a state root, served on
// a free loopback port with a stand-in renderer (one index.html), so a test
// talks HTTP and WebSocket to the same server a user's browser would.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHandlers } from '../../host/api.ts';
import { DemoRunner } from '../../host/demo.ts';
import { startServer, type RunningServer } from '../../host/serve.ts';
import { StateHost, type StateHostOptions } from '../../host/state-host.ts';

export interface LoopbackServer {
  host: StateHost;
  server: RunningServer;
  /** Stops the server, then the host. */
  close(): Promise<void>;
}

/** Starts the host (and waits until it watches `options.root`), then serves it on 127.0.0.1; the renderer lives in `dir`/renderer. */
export async function serveOnLoopback(dir: string, options: StateHostOptions): Promise<LoopbackServer> {
  const rendererDir = join(dir, 'renderer');
  mkdirSync(rendererDir);
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Lockstep</title>');
  const host = new StateHost(options);
  await host.start();
  await host.whenWatching();
  const server = await startServer({
    host,
    handlers: createHandlers(host, new DemoRunner(host, 'unused')),
    rendererDir,
    port: 0,
    bindHost: '127.0.0.1',
    log: () => {},
  });
  return {
    host,
    server,
    close: async () => {
      await server.close();
      await host.close();
    },
  };
}
