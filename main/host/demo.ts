// "Start demo": runs simulated agents into a temporary root and points the
// dashboard at it, so a new user sees it come alive at once. The agents are
// real: separate processes (the ones `lockstep simulate` starts) writing
// through the engine like any other client. The host starts them itself,
// because inside the desktop app a Node process can only be a utility
// process: the packaged app's RunAsNode fuse is off, so Electron's binary
// cannot be re-run as node (which is what `simulate` would do).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStateStore } from '../engine/public.ts';
import type { StateHost } from './state-host.ts';

/** A Node process running one module, whichever way the host starts it. */
export interface NodeProcess {
  kill(): void;
  readonly exited: Promise<void>;
}

/** Starts `modulePath` with `args` (its process.argv.slice(2)) in a new Node process. */
export type StartNodeProcess = (modulePath: string, args: string[]) => NodeProcess;

/** Under `lockstep serve`: a child process of this Node binary. */
export function nodeChildProcess(execArgv: string[] = []): StartNodeProcess {
  return (modulePath, args) => {
    const child = spawn(process.execPath, [...execArgv, modulePath, ...args], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    return { kill: () => child.kill('SIGTERM'), exited };
  };
}

export class DemoRunner {
  private agents: NodeProcess[] = [];
  /** The temporary folder of the current demo, deleted when the demo stops. */
  private dir: string | null = null;
  private readonly host: StateHost;
  private readonly cliPath: string;
  private readonly startProcess: StartNodeProcess;

  /** `cliPath`: the lockstep CLI entry (source .ts or the bundled .js). */
  constructor(host: StateHost, cliPath: string, execArgv: string[] = [], startProcess: StartNodeProcess = nodeChildProcess(execArgv)) {
    this.host = host;
    this.cliPath = cliPath;
    this.startProcess = startProcess;
  }

  async start({ agents = 4, tasks = 24 }: { agents?: number; tasks?: number }): Promise<{ root: string }> {
    await this.stop();
    this.dir = mkdtempSync(join(tmpdir(), 'lockstep-demo-'));
    const root = join(this.dir, '.worktrees', '.state');
    const store = openStateStore({ root });
    await store.init();
    store.close();
    const started = Array.from({ length: agents }, (_, i) =>
      this.startProcess(this.cliPath, [
        '--root',
        root,
        '__agent',
        '--agent',
        String(i + 1),
        '--tasks',
        String(tasks),
        '--seconds',
        '600',
        '--pace-ms',
        '250',
      ]),
    );
    this.agents = started;
    void Promise.all(started.map((agent) => agent.exited)).then(() => {
      if (this.agents !== started) return;
      this.agents = [];
      this.host.setDemo({ root, running: false });
    });
    await this.host.switchRoot(root);
    this.host.setDemo({ root, running: true });
    return { root };
  }

  /** Stop the agents and delete the temporary folder (the dashboard has moved on from it by then). */
  async stop(): Promise<void> {
    const agents = this.agents;
    this.agents = [];
    if (agents.length) {
      for (const agent of agents) agent.kill();
      await Promise.race([Promise.all(agents.map((agent) => agent.exited)), new Promise((resolve) => setTimeout(resolve, 3000).unref())]);
    }
    if (this.dir) {
      rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
      this.dir = null;
    }
  }
}
